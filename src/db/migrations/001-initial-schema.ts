import { DataTypes, QueryInterface } from 'sequelize';
import { createTableOnce, addIndexOnce, dropTableIfPresent, flagColumn, longTextColumn } from './steps';

/** Timestamps kept to the millisecond; stored as UTC text on SQLite, DATETIME(3) elsewhere. */
const date = (allowNull = false) => ({ type: DataTypes.DATE(3), allowNull });
const uuid = () => ({ type: DataTypes.STRING(36), allowNull: false });
const serial = () => ({ type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true });
const text = (length: number, allowNull = true) => ({ type: DataTypes.STRING(length), allowNull });
const stamps = { created_at: date(), updated_at: date(true) };
/*
 * Every table is utf8mb4 with the binary collation on MySQL/MariaDB (see TABLE_OPTIONS in ./steps): names and
 * capability values compare exactly, as the filter language's JS evaluator does. Until 0.1 only some tables
 * stated it and the others took the database's default, so the migration failed on any database whose
 * default was not utf8mb4_bin; the databases it did migrate have every table in utf8mb4_bin, as now.
 */

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  const flag = (defaultValue = false) => flagColumn(qi, defaultValue);
  await createTableOnce(qi, 'leases', {
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
  });
  await addIndexOnce(qi, 'leases', ['project_id', 'name'], { unique: true, name: 'leases_project_name' });
  // Lists are paged by (created_at, id).
  await addIndexOnce(qi, 'leases', ['created_at', 'id'], { name: 'leases_created' });
  await addIndexOnce(qi, 'leases', ['status'], { name: 'leases_status' });

  await createTableOnce(qi, 'reservations', {
    id: { ...uuid(), primaryKey: true },
    lease_id: { ...uuid(), references: { model: 'leases', key: 'id' }, onDelete: 'CASCADE' },
    resource_type: text(66, false),
    resource_id: text(36),
    status: text(16, false),
    missing_resources: flag(),
    resources_changed: flag(),
    // Two filters of up to 64 KiB each, JSON-escaped: more than MySQL's TEXT (64 KiB) holds.
    params: longTextColumn(qi),
    ...stamps,
  });
  await addIndexOnce(qi, 'reservations', ['lease_id'], { name: 'reservations_lease' });

  await createTableOnce(qi, 'events', {
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
  await addIndexOnce(qi, 'events', ['status', 'time'], { name: 'events_due' });
  await addIndexOnce(qi, 'events', ['lease_id', 'time'], { name: 'events_lease' });

  await createTableOnce(qi, 'hosts', {
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
  });
  await addIndexOnce(qi, 'hosts', ['hypervisor_hostname'], { unique: true, name: 'hosts_hostname' });

  await createTableOnce(qi, 'resource_properties', {
    id: serial(),
    resource_type: text(66, false),
    property_name: text(64, false),
    private: flag(),
    ...stamps,
  });
  await addIndexOnce(qi, 'resource_properties', ['resource_type', 'property_name'], { unique: true, name: 'resource_properties_name' });

  await createTableOnce(qi, 'host_extra_capabilities', {
    id: serial(),
    host_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'hosts', key: 'id' }, onDelete: 'CASCADE' },
    property_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'resource_properties', key: 'id' } },
    capability_value: { type: DataTypes.TEXT, allowNull: false },
    // The value as a number when it is one, so filters compare "16" >= "4" numerically.
    capability_number: { type: DataTypes.DOUBLE, allowNull: true },
    ...stamps,
  });
  await addIndexOnce(qi, 'host_extra_capabilities', ['host_id', 'property_id'], { unique: true, name: 'host_caps_host_property' });
  await addIndexOnce(qi, 'host_extra_capabilities', ['property_id'], { name: 'host_caps_property' });

  await createTableOnce(qi, 'computehost_allocations', {
    id: serial(),
    reservation_id: { ...uuid(), references: { model: 'reservations', key: 'id' }, onDelete: 'CASCADE' },
    lease_id: uuid(),
    host_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'hosts', key: 'id' } },
    // The lease window, copied here so the overlap test reads one table through one index.
    start_date: date(),
    end_date: date(),
  });
  await addIndexOnce(qi, 'computehost_allocations', ['host_id', 'start_date', 'end_date'], { name: 'allocations_overlap' });
  await addIndexOnce(qi, 'computehost_allocations', ['reservation_id'], { name: 'allocations_reservation' });
  await addIndexOnce(qi, 'computehost_allocations', ['lease_id'], { name: 'allocations_lease' });

  await createTableOnce(qi, 'floatingips', {
    id: { ...uuid(), primaryKey: true },
    floating_network_id: text(255, false),
    subnet_id: text(255),
    floating_ip_address: text(64, false),
    reservable: flag(true),
    ...stamps,
  });
  await addIndexOnce(qi, 'floatingips', ['floating_network_id', 'floating_ip_address'], { unique: true, name: 'floatingips_address' });

  // Transactional outbox: a notification is written with the change it reports and sent later.
  await createTableOnce(qi, 'notifications', {
    id: serial(),
    message_id: uuid(),
    lease_id: text(36),
    event_type: text(255, false),
    priority: text(16, false),
    payload: longTextColumn(qi),
    created_at: date(),
    sent_at: date(true),
    attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    next_attempt_at: date(true),
  });
  await addIndexOnce(qi, 'notifications', ['sent_at', 'id'], { name: 'notifications_pending' });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  for (const table of ['notifications', 'floatingips', 'computehost_allocations', 'host_extra_capabilities',
    'resource_properties', 'hosts', 'events', 'reservations', 'leases']) {
    await dropTableIfPresent(qi, table);
  }
}
