import { DataTypes, QueryInterface } from 'sequelize';

/** Timestamps kept to the millisecond; stored as UTC text on SQLite, DATETIME(3) elsewhere. */
const date = (allowNull = false) => ({ type: DataTypes.DATE(3), allowNull });
const uuid = () => ({ type: DataTypes.STRING(36), allowNull: false });
const serial = () => ({ type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true });
const text = (length: number, allowNull = true) => ({ type: DataTypes.STRING(length), allowNull });
const flag = (defaultValue = false) => ({ type: DataTypes.BOOLEAN, allowNull: false, defaultValue });
const stamps = { created_at: date(), updated_at: date(true) };
/**
 * Binary collation on MySQL/MariaDB: names and capability values compare exactly, as the filter language's
 * JS evaluator does (the default collation would make "GPU" equal "gpu").
 */
const exact = { charset: 'utf8mb4', collate: 'utf8mb4_bin' };

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable('leases', {
    id: { ...uuid(), primaryKey: true },
    name: text(80, false),
    user_id: text(255),
    project_id: text(255, false),
    trust_id: text(255),
    start_date: date(),
    end_date: date(),
    before_end_date: date(true),
    before_start_date: date(true),
    status: text(16, false),
    status_reason: { type: DataTypes.TEXT, allowNull: true },
    degraded: flag(),
    ...stamps,
  }, exact);
  await qi.addIndex('leases', ['project_id', 'name'], { unique: true, name: 'leases_project_name' });
  // Lists are paged by (created_at, id).
  await qi.addIndex('leases', ['created_at', 'id'], { name: 'leases_created' });
  await qi.addIndex('leases', ['status'], { name: 'leases_status' });

  await qi.createTable('reservations', {
    id: { ...uuid(), primaryKey: true },
    lease_id: { ...uuid(), references: { model: 'leases', key: 'id' }, onDelete: 'CASCADE' },
    resource_type: text(66, false),
    resource_id: text(36),
    status: text(16, false),
    missing_resources: flag(),
    resources_changed: flag(),
    // Two filters of up to 64 KiB each, JSON-escaped: more than MySQL's TEXT (64 KiB) holds.
    params: { type: qi.sequelize.getDialect() === 'sqlite' ? DataTypes.TEXT : DataTypes.TEXT('long'), allowNull: false },
    ...stamps,
  });
  await qi.addIndex('reservations', ['lease_id'], { name: 'reservations_lease' });

  await qi.createTable('events', {
    id: { ...uuid(), primaryKey: true },
    lease_id: { ...uuid(), references: { model: 'leases', key: 'id' }, onDelete: 'CASCADE' },
    event_type: text(66, false),
    // Orders events due at the same second: before_start, start, user events, before_end, end.
    sequence: { type: DataTypes.INTEGER, allowNull: false },
    time: date(),
    status: text(16, false),
    claimed_by: text(255),
    claim_expires_at: date(true),
    attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    // After a failed attempt: not retried before this (the event keeps its own time).
    retry_at: date(true),
    last_error: { type: DataTypes.TEXT, allowNull: true },
    ...stamps,
  });
  await qi.addIndex('events', ['status', 'time'], { name: 'events_due' });
  await qi.addIndex('events', ['lease_id', 'time'], { name: 'events_lease' });

  await qi.createTable('hosts', {
    id: serial(),
    hypervisor_hostname: text(255, false),
    hypervisor_type: text(255),
    hypervisor_version: { type: DataTypes.BIGINT, allowNull: true },
    vcpus: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    cpu_info: { type: DataTypes.TEXT, allowNull: true },
    memory_mb: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    local_gb: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    service_name: text(255),
    availability_zone: text(255),
    status: text(32),
    reservable: flag(true),
    trust_id: text(255),
    ...stamps,
  }, exact);
  await qi.addIndex('hosts', ['hypervisor_hostname'], { unique: true, name: 'hosts_hostname' });

  await qi.createTable('resource_properties', {
    id: serial(),
    resource_type: text(66, false),
    property_name: text(64, false),
    private: flag(),
    ...stamps,
  }, exact);
  await qi.addIndex('resource_properties', ['resource_type', 'property_name'], { unique: true, name: 'resource_properties_name' });

  await qi.createTable('host_extra_capabilities', {
    id: serial(),
    host_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'hosts', key: 'id' }, onDelete: 'CASCADE' },
    property_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'resource_properties', key: 'id' } },
    capability_value: { type: DataTypes.TEXT, allowNull: false },
    // The value as a number when it is one, so filters compare "16" >= "4" numerically.
    capability_number: { type: DataTypes.DOUBLE, allowNull: true },
    ...stamps,
  }, exact);
  await qi.addIndex('host_extra_capabilities', ['host_id', 'property_id'], { unique: true, name: 'host_caps_host_property' });
  await qi.addIndex('host_extra_capabilities', ['property_id'], { name: 'host_caps_property' });

  await qi.createTable('computehost_allocations', {
    id: serial(),
    reservation_id: { ...uuid(), references: { model: 'reservations', key: 'id' }, onDelete: 'CASCADE' },
    lease_id: uuid(),
    host_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'hosts', key: 'id' } },
    // The lease window, copied here so the overlap test reads one table through one index.
    start_date: date(),
    end_date: date(),
  });
  await qi.addIndex('computehost_allocations', ['host_id', 'start_date', 'end_date'], { name: 'allocations_overlap' });
  await qi.addIndex('computehost_allocations', ['reservation_id'], { name: 'allocations_reservation' });
  await qi.addIndex('computehost_allocations', ['lease_id'], { name: 'allocations_lease' });

  await qi.createTable('floatingips', {
    id: { ...uuid(), primaryKey: true },
    floating_network_id: text(255, false),
    subnet_id: text(255),
    floating_ip_address: text(64, false),
    reservable: flag(true),
    ...stamps,
  }, exact);
  await qi.addIndex('floatingips', ['floating_network_id', 'floating_ip_address'], { unique: true, name: 'floatingips_address' });

  // Transactional outbox: a notification is written with the change it reports and sent later.
  await qi.createTable('notifications', {
    id: serial(),
    message_id: uuid(),
    lease_id: text(36),
    event_type: text(255, false),
    priority: text(16, false),
    payload: { type: qi.sequelize.getDialect() === 'sqlite' ? DataTypes.TEXT : DataTypes.TEXT('long'), allowNull: false },
    created_at: date(),
    sent_at: date(true),
    attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    next_attempt_at: date(true),
  });
  await qi.addIndex('notifications', ['sent_at', 'id'], { name: 'notifications_pending' });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  for (const table of ['notifications', 'floatingips', 'computehost_allocations', 'host_extra_capabilities',
    'resource_properties', 'hosts', 'events', 'reservations', 'leases']) {
    await qi.dropTable(table);
  }
}
