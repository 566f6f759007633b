import type { Database } from '../database';
import type { Window } from '../records';
import { fromSqlBool, fromSqlDate, sqlDate } from '../sql-values';
import type { HostCondition } from './host-allocations';

/** A hold on a host: a whole-host allocation, or instance slots on it. */
export interface HostHold {
  hostId: number;
  kind: 'host' | 'instance';
  startDate: Date;
  endDate: Date;
}

export interface CapacityRead {
  /** Hosts meeting the conditions, reservable or not. */
  hosts: { id: number; reservable: boolean }[];
  /** Their holds overlapping the range, in no particular order. */
  holds: HostHold[];
}

/**
 * Reads for capacity over time (GET /v1/os-hosts/capacity): the hosts meeting a filter and every hold on them
 * in a range, in two queries whatever the range, the step or the number of hosts; the caller sweeps them.
 */
export class HostCapacityRepository {
  constructor(private readonly db: Database) {}

  async read(conditions: readonly HostCondition[], range: Window): Promise<CapacityRead> {
    const filter = conditions.map((c) => `(${c.sql})`);
    const filterParams = conditions.flatMap((c) => c.params);
    const hostRows = await this.db.select<{ id: unknown; reservable: unknown }>(
      `SELECT h.id, h.reservable FROM hosts h${filter.length ? ` WHERE ${filter.join(' AND ')}` : ''} ORDER BY h.id`, filterParams);
    // Without a filter the hosts table is not needed: every allocation is on a host.
    const part = (table: string, kind: string) => (filter.length
      ? `SELECT a.host_id, '${kind}' AS kind, a.start_date, a.end_date FROM ${table} a JOIN hosts h ON h.id = a.host_id
         WHERE a.end_date > ? AND a.start_date < ? AND ${filter.join(' AND ')}`
      : `SELECT a.host_id, '${kind}' AS kind, a.start_date, a.end_date FROM ${table} a WHERE a.end_date > ? AND a.start_date < ?`);
    const params = [sqlDate(range.start), sqlDate(range.end), ...filterParams];
    const holdRows = await this.db.select<Record<string, unknown>>(
      `${part('computehost_allocations', 'host')} UNION ALL ${part('instance_allocations', 'instance')}`, [...params, ...params]);
    return {
      hosts: hostRows.map((r) => ({ id: Number(r.id), reservable: fromSqlBool(r.reservable) })),
      holds: holdRows.map((r) => ({
        hostId: Number(r.host_id), kind: r.kind === 'instance' ? 'instance' : 'host',
        startDate: fromSqlDate(r.start_date), endDate: fromSqlDate(r.end_date),
      })),
    };
  }
}
