import type { Database, Tx } from '../database';
import type { Window } from '../records';
import { fromSqlBool, fromSqlDate, sqlDate } from '../sql-values';
import type { HostCondition } from './host-allocations';

/** A host that meets a reservation's filters, with what instance slots are cut from. */
export interface TimelineHost {
  id: number;
  name: string;
  reservable: boolean;
  vcpus: number;
  memory_mb: number;
  disk_gb: number;
}

/** Something holding a candidate host for a while: the whole host, or instance resources on it. */
export interface TimelineBooking {
  hostId: number;
  kind: 'host' | 'instance';
  start: number;
  end: number;
  /** Resources held (slots times the flavor's size); zero for whole-host bookings. */
  vcpus: number;
  memory_mb: number;
  disk_gb: number;
}

/**
 * What availability searches and capacity over time read: the hosts meeting the filters (reservable ones only,
 * unless asked), and every booking of theirs that touches a horizon. Two queries whatever the number of hosts,
 * windows or steps; the caller sweeps over these rows in memory.
 */
export class HostTimelineRepository {
  constructor(private readonly db: Database) {}

  async read(tx: Tx | undefined, conditions: readonly HostCondition[], horizon: Window,
    options: { includeUnreservable?: boolean } = {}): Promise<{ hosts: TimelineHost[]; bookings: TimelineBooking[] }> {
    const where = [options.includeUnreservable ? '1 = 1' : 'h.reservable = 1', ...conditions.map((c) => `(${c.sql})`)].join(' AND ');
    const params = conditions.flatMap((c) => c.params);
    const hostRows = await this.db.selectMany<Record<string, unknown>>(
      `SELECT h.id, h.hypervisor_hostname, h.reservable, h.vcpus, h.memory_mb, h.local_gb FROM hosts h WHERE ${where} ORDER BY h.id`, params, tx);
    if (!hostRows.length) return { hosts: [], bookings: [] };
    const range = [sqlDate(horizon.end), sqlDate(horizon.start)];
    const bookingRows = await this.db.selectMany<Record<string, unknown>>(
      `SELECT a.host_id, 'host' AS kind, a.start_date, a.end_date, 0 AS v, 0 AS m, 0 AS d
         FROM computehost_allocations a JOIN hosts h ON h.id = a.host_id
        WHERE ${where} AND a.start_date < ? AND a.end_date > ?
       UNION ALL
       SELECT a.host_id, 'instance' AS kind, a.start_date, a.end_date, a.slots * a.vcpus AS v, a.slots * a.memory_mb AS m,
              a.slots * a.disk_gb AS d
         FROM instance_allocations a JOIN hosts h ON h.id = a.host_id
        WHERE ${where} AND a.start_date < ? AND a.end_date > ?`,
      [...params, ...range, ...params, ...range], tx);
    return {
      hosts: hostRows.map((r) => ({
        id: Number(r.id), name: String(r.hypervisor_hostname), reservable: fromSqlBool(r.reservable), vcpus: Number(r.vcpus), memory_mb: Number(r.memory_mb), disk_gb: Number(r.local_gb),
      })),
      bookings: bookingRows.map((r) => ({
        hostId: Number(r.host_id), kind: r.kind === 'instance' ? 'instance' : 'host',
        start: fromSqlDate(r.start_date).getTime(), end: fromSqlDate(r.end_date).getTime(),
        vcpus: Number(r.v), memory_mb: Number(r.m), disk_gb: Number(r.d),
      })),
    };
  }
}
