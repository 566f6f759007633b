import type { Database, Tx } from '../database';
import type { Window } from '../records';
import { fromSqlBool, fromSqlDate, sqlDate } from '../sql-values';
import type { HostCondition } from './host-allocations';

/** A row of the host calendar. */
export interface CalendarHost {
  id: number;
  name: string;
  reservable: boolean;
  /** Nova's view of the host when it failed (down, disabled, missing); null when healthy. */
  status: string | null;
}

/** A lease's hold on a host inside the calendar's range: the whole host, or instance slots on it. */
export interface CalendarBooking {
  hostId: number;
  kind: 'host' | 'instance';
  leaseId: string;
  leaseName: string;
  projectId: string;
  start: number;
  end: number;
}

/**
 * What the dashboard's host calendar draws: every host meeting the filters (reservable or not) and every
 * booking of theirs that touches the range, with its lease's name and project. Two queries whatever the number of
 * hosts and leases; the caller decides what a given user may see of them.
 */
export class HostCalendarRepository {
  constructor(private readonly db: Database) {}

  /**
   * Hosts in id order; with `page`, only `limit` of them after the host `afterId`, and only their bookings
   * (the dashboard draws its first screen from a small page and reads the rest behind it).
   */
  async read(tx: Tx | undefined, conditions: readonly HostCondition[], range: Window,
    page?: { limit: number; afterId?: number }): Promise<{ hosts: CalendarHost[]; bookings: CalendarBooking[] }> {
    const where = ['1 = 1', ...conditions.map((c) => `(${c.sql})`)].join(' AND ');
    const params = conditions.flatMap((c) => c.params);
    const after = page?.afterId !== undefined ? ' AND h.id > ?' : '';
    const hostRows = await this.db.selectMany<Record<string, unknown>>(
      `SELECT h.id, h.hypervisor_hostname, h.reservable, h.status FROM hosts h WHERE ${where}${after} ORDER BY h.id${page ? ` LIMIT ${Number(page.limit)}` : ''}`,
      page?.afterId !== undefined ? [...params, page.afterId] : params, tx);
    if (!hostRows.length) return { hosts: [], bookings: [] };
    // The page's hosts are an id range: their bookings are those of hosts in it that meet the conditions.
    const ids = hostRows.map((r) => Number(r.id));
    const hostRange = page ? ' AND h.id BETWEEN ? AND ?' : '';
    const overlap = [...(page ? [ids[0], ids[ids.length - 1]] : []), sqlDate(range.end), sqlDate(range.start)];
    const part = (table: string, kind: string) => `SELECT DISTINCT a.host_id, '${kind}' AS kind, a.lease_id, l.name, l.project_id, a.start_date, a.end_date
         FROM ${table} a JOIN hosts h ON h.id = a.host_id JOIN leases l ON l.id = a.lease_id
        WHERE ${where}${hostRange} AND a.start_date < ? AND a.end_date > ?`;
    const bookingRows = await this.db.selectMany<Record<string, unknown>>(
      `${part('computehost_allocations', 'host')} UNION ALL ${part('instance_allocations', 'instance')}`,
      [...params, ...overlap, ...params, ...overlap], tx);
    return {
      hosts: hostRows.map((r) => ({
        id: Number(r.id), name: String(r.hypervisor_hostname), reservable: fromSqlBool(r.reservable), status: r.status == null ? null : String(r.status),
      })),
      bookings: bookingRows.map((r) => ({
        hostId: Number(r.host_id), kind: r.kind === 'instance' ? 'instance' : 'host', leaseId: String(r.lease_id), leaseName: String(r.name),
        projectId: String(r.project_id), start: fromSqlDate(r.start_date).getTime(), end: fromSqlDate(r.end_date).getTime(),
      })),
    };
  }
}
