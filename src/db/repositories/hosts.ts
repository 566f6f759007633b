import type { Database, Tx } from '../database';
import type { HostRecord, PropertyRecord } from '../records';
import { fromSqlBool, fromSqlDate, placeholders, sqlBool, sqlDate } from '../sql-values';

/** Host columns settable at registration, by API name. */
export const HOST_COLUMNS = ['hypervisor_hostname', 'hypervisor_type', 'hypervisor_version', 'vcpus', 'cpu_info',
  'memory_mb', 'local_gb', 'service_name', 'availability_zone', 'status', 'reservable', 'trust_id'] as const;
const COLUMNS = `id, ${HOST_COLUMNS.join(', ')}, created_at, updated_at`;
const HOST_RESOURCE_TYPE = 'physical:host';

export type NewHost = Omit<HostRecord, 'id' | 'extras' | 'updatedAt'>;

function toHost(row: Record<string, unknown>, extras: Record<string, string> = {}): HostRecord {
  const str = (v: unknown) => (v == null ? null : String(v));
  return {
    id: Number(row.id),
    hypervisorHostname: String(row.hypervisor_hostname),
    hypervisorType: str(row.hypervisor_type),
    hypervisorVersion: row.hypervisor_version == null ? null : Number(row.hypervisor_version),
    vcpus: Number(row.vcpus),
    cpuInfo: str(row.cpu_info),
    memoryMb: Number(row.memory_mb),
    localGb: Number(row.local_gb),
    serviceName: str(row.service_name),
    availabilityZone: str(row.availability_zone),
    status: str(row.status),
    reservable: fromSqlBool(row.reservable),
    trustId: str(row.trust_id),
    createdAt: fromSqlDate(row.created_at),
    updatedAt: row.updated_at == null ? null : fromSqlDate(row.updated_at),
    extras,
  };
}

/** A capability value and the number it stands for (null when not a number), as the filter language defines it. */
export interface CapabilityValue {
  value: string;
  number: number | null;
}

export class HostRepository {
  constructor(private readonly db: Database) {}

  async insert(tx: Tx, host: NewHost): Promise<number> {
    return this.db.insert(
      `INSERT INTO hosts (${HOST_COLUMNS.join(', ')}, created_at) VALUES (${placeholders(HOST_COLUMNS.length + 1)})`,
      [host.hypervisorHostname, host.hypervisorType, host.hypervisorVersion, host.vcpus, host.cpuInfo, host.memoryMb,
        host.localGb, host.serviceName, host.availabilityZone, host.status, sqlBool(host.reservable), host.trustId,
        sqlDate(host.createdAt)], tx);
  }

  async get(id: number, tx?: Tx): Promise<HostRecord | null> {
    const rows = await this.db.select(`SELECT ${COLUMNS} FROM hosts WHERE id = ?`, [id], tx);
    if (!rows.length) return null;
    return toHost(rows[0], (await this.extrasOf([id], tx)).get(id));
  }

  /** Locks the host row for the rest of the transaction (no-op on SQLite, whose writers are serialised). */
  async lock(tx: Tx, id: number): Promise<boolean> {
    return (await this.db.select(`SELECT id FROM hosts WHERE id = ?${this.db.forUpdate}`, [id], tx)).length > 0;
  }

  async findByName(name: string, tx?: Tx): Promise<HostRecord | null> {
    const rows = await this.db.select<{ id: number }>('SELECT id FROM hosts WHERE hypervisor_hostname = ?', [name], tx);
    return rows.length ? this.get(Number(rows[0].id), tx) : null;
  }

  /** All hosts with their capabilities: two queries whatever the number of hosts. */
  async list(): Promise<HostRecord[]> {
    const [rows, extras] = await Promise.all([this.db.selectMany(`SELECT ${COLUMNS} FROM hosts ORDER BY id`), this.extrasOf(null)]);
    return rows.map((row) => toHost(row, extras.get(Number(row.id))));
  }

  /** Every host id, in order: what the allocation listing needs of the hosts (not their columns and capabilities). */
  async ids(): Promise<number[]> {
    return (await this.db.selectMany<{ id: unknown }>('SELECT id FROM hosts ORDER BY id')).map((row) => Number(row.id));
  }

  async delete(tx: Tx, id: number): Promise<void> {
    await this.db.execute('DELETE FROM host_extra_capabilities WHERE host_id = ?', [id], tx);
    await this.db.execute('DELETE FROM hosts WHERE id = ?', [id], tx);
  }

  async touch(tx: Tx, id: number, now: Date): Promise<void> {
    await this.db.execute('UPDATE hosts SET updated_at = ? WHERE id = ?', [sqlDate(now), id], tx);
  }

  /**
   * Records what the health check saw: whether the host may be leased, and why not (null: nothing wrong). With
   * `expectedStatus` (null included) only if the status is still that (compare-and-set); returns whether it changed.
   */
  async setHealth(tx: Tx, id: number, health: { reservable: boolean; status: string | null }, now: Date,
    expectedStatus?: string | null): Promise<boolean> {
    const params: unknown[] = [sqlBool(health.reservable), health.status, sqlDate(now), id];
    let where = 'id = ?';
    if (expectedStatus === null) where += ' AND status IS NULL';
    else if (expectedStatus !== undefined) { where += ' AND status = ?'; params.push(expectedStatus); }
    return (await this.db.execute(`UPDATE hosts SET reservable = ?, status = ?, updated_at = ? WHERE ${where}`, params, tx)) > 0;
  }

  /** Names of the hosts a lease holds (whole hosts or instance slots), in one query, sorted (for its log lines). */
  async namesHeldByLease(leaseId: string, tx?: Tx): Promise<string[]> {
    const rows = await this.db.select<{ name: unknown }>(
      'SELECT hypervisor_hostname AS name FROM hosts WHERE id IN (SELECT host_id FROM computehost_allocations WHERE lease_id = ? '
      + 'UNION SELECT host_id FROM instance_allocations WHERE lease_id = ?) ORDER BY hypervisor_hostname', [leaseId, leaseId], tx);
    return rows.map((r) => String(r.name));
  }

  /** The status column of the given hosts, by host id (hosts that are gone are absent). */
  async statusesOf(tx: Tx | undefined, hostIds: readonly number[]): Promise<Map<number, string | null>> {
    if (!hostIds.length) return new Map();
    const rows = await this.db.select<{ id: number; status: unknown }>(
      `SELECT id, status FROM hosts WHERE id IN (${placeholders(hostIds.length)})`, hostIds, tx);
    return new Map(rows.map((r) => [Number(r.id), r.status == null ? null : String(r.status)]));
  }

  /** Capabilities of the given hosts (all hosts for null), by host id. */
  async extrasOf(hostIds: readonly number[] | null, tx?: Tx): Promise<Map<number, Record<string, string>>> {
    const where = hostIds === null ? '' : ` WHERE c.host_id IN (${placeholders(hostIds.length)})`;
    if (hostIds !== null && !hostIds.length) return new Map();
    const rows = await this.db.selectMany<{ host_id: number; property_name: string; capability_value: string }>(
      'SELECT c.host_id, p.property_name, c.capability_value FROM host_extra_capabilities c '
      + `JOIN resource_properties p ON p.id = c.property_id${where}`, hostIds ?? [], tx);
    const byHost = new Map<number, Record<string, string>>();
    for (const row of rows) {
      const id = Number(row.host_id);
      const extras = byHost.get(id) ?? {};
      extras[row.property_name] = String(row.capability_value);
      byHost.set(id, extras);
    }
    return byHost;
  }

  /** Sets or removes (null) capabilities of a host, creating property records as needed. */
  async setExtras(tx: Tx, hostId: number, extras: Record<string, CapabilityValue | null>, now: Date): Promise<void> {
    for (const [name, value] of Object.entries(extras)) {
      const propertyId = await this.propertyId(tx, name, now);
      await this.db.execute('DELETE FROM host_extra_capabilities WHERE host_id = ? AND property_id = ?', [hostId, propertyId], tx);
      if (value === null) continue;
      await this.db.insert(
        'INSERT INTO host_extra_capabilities (host_id, property_id, capability_value, capability_number, created_at) '
        + 'VALUES (?, ?, ?, ?, ?)', [hostId, propertyId, value.value, value.number, sqlDate(now)], tx);
    }
  }

  private async propertyId(tx: Tx, name: string, now: Date): Promise<number> {
    const existing = await this.db.select<{ id: number }>(
      'SELECT id FROM resource_properties WHERE resource_type = ? AND property_name = ?', [HOST_RESOURCE_TYPE, name], tx);
    if (existing.length) return Number(existing[0].id);
    return this.db.insert(
      'INSERT INTO resource_properties (resource_type, property_name, private, created_at) VALUES (?, ?, 0, ?)',
      [HOST_RESOURCE_TYPE, name, sqlDate(now)], tx);
  }

  /** Known host properties, with the distinct values hosts have for each. */
  async properties(): Promise<(PropertyRecord & { values: string[] })[]> {
    const props = await this.db.select<{ id: number; property_name: string; private: unknown }>(
      'SELECT id, property_name, private FROM resource_properties WHERE resource_type = ? ORDER BY property_name',
      [HOST_RESOURCE_TYPE]);
    const values = await this.db.select<{ property_id: number; capability_value: string }>(
      'SELECT DISTINCT property_id, capability_value FROM host_extra_capabilities ORDER BY capability_value');
    return props.map((p) => ({
      id: Number(p.id), resourceType: HOST_RESOURCE_TYPE, name: p.property_name, private: fromSqlBool(p.private),
      values: values.filter((v) => Number(v.property_id) === Number(p.id)).map((v) => String(v.capability_value)),
    }));
  }

  async propertyNames(tx?: Tx): Promise<Set<string>> {
    const rows = await this.db.select<{ property_name: string }>(
      'SELECT property_name FROM resource_properties WHERE resource_type = ?', [HOST_RESOURCE_TYPE], tx);
    return new Set(rows.map((r) => r.property_name));
  }

  async setPropertyPrivate(tx: Tx, name: string, isPrivate: boolean, now: Date): Promise<boolean> {
    return (await this.db.execute(
      'UPDATE resource_properties SET private = ?, updated_at = ? WHERE resource_type = ? AND property_name = ?',
      [sqlBool(isPrivate), sqlDate(now), HOST_RESOURCE_TYPE, name], tx)) > 0;
  }
}
