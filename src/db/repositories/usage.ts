import type { Database, Tx } from '../database';
import type { Window } from '../records';
import { sqlDate } from '../sql-values';

/** What a project's reservations of one resource type held over a range. */
export interface UsageSummary {
  projectId: string;
  resourceType: string;
  /** Whole hosts times hours held (physical:host). */
  hostHours: number;
  /** Instance slots times hours held (virtual:instance, virtual:stack). */
  instanceSlotHours: number;
  /** Distinct leases that held something in the range. */
  leases: number;
}

/** Where each kind of holding is allocated, and how much one row holds. */
const SOURCES = [
  { table: 'computehost_allocations', kind: 'host', amount: '1' },
  { table: 'instance_allocations', kind: 'instance', amount: 'a.slots' },
] as const;

/**
 * The usage ledger (migration 101): spans of hosts and instance slots held by leases, kept after the leases and
 * their allocations are gone. The past is never rewritten: each change to a lease's allocations cuts the lease's
 * spans at the time of the change and records what it holds from then on.
 */
export class UsageRepository {
  constructor(private readonly db: Database) {}

  /**
   * Records, in the caller's transaction, what the lease's allocations hold from `now` on, keeping what it held
   * before `now`. Called after every change to a lease's allocations (create, update, delete, healing): after a
   * delete the allocations are gone, so the lease's spans simply end at `now` (and one that had not started
   * leaves nothing). Statements by lease id, whatever the number of hosts; a lease just created (`fresh`) has
   * no spans yet, so it costs one INSERT ... SELECT.
   */
  async recordLease(tx: Tx, leaseId: string, now: Date, options: { fresh?: boolean } = {}): Promise<void> {
    const at = sqlDate(now);
    if (!options.fresh) {
      await this.db.execute('DELETE FROM usage_ledger WHERE lease_id = ? AND start_date >= ?', [leaseId, at], tx);
      await this.db.execute('UPDATE usage_ledger SET end_date = ? WHERE lease_id = ? AND end_date > ?', [at, leaseId, at], tx);
    }
    const param = this.db.dateParam;
    const select = (source: (typeof SOURCES)[number]) => `SELECT a.lease_id, l.project_id, a.reservation_id, r.resource_type,
        '${source.kind}', a.host_id, ${source.amount}, CASE WHEN a.start_date > ${param} THEN a.start_date ELSE ${param} END, a.end_date
      FROM ${source.table} a JOIN reservations r ON r.id = a.reservation_id JOIN leases l ON l.id = a.lease_id
      WHERE a.lease_id = ? AND a.end_date > ?`;
    await this.db.execute(
      'INSERT INTO usage_ledger (lease_id, project_id, reservation_id, resource_type, kind, host_id, amount, start_date, end_date) '
      + SOURCES.map(select).join(' UNION ALL '), SOURCES.flatMap(() => [at, at, leaseId, at]), tx);
  }

  /**
   * Host-hours and instance-slot-hours held within `range`, by project and resource type, of one project or all:
   * one aggregate over the spans overlapping the range.
   */
  async summarize(range: Window, projectId?: string): Promise<UsageSummary[]> {
    const start = sqlDate(range.start);
    const end = sqlDate(range.end);
    const param = this.db.dateParam;
    // Milliseconds held inside the range; the dialects differ only in date arithmetic.
    const held = {
      mysql: `TIMESTAMPDIFF(MICROSECOND, GREATEST(u.start_date, ${param}), LEAST(u.end_date, ${param})) / 1000`,
      postgres: `EXTRACT(EPOCH FROM LEAST(u.end_date, ${param}) - GREATEST(u.start_date, ${param})) * 1000`,
      sqlite: 'ROUND((julianday(MIN(u.end_date, ?)) - julianday(MAX(u.start_date, ?))) * 86400000)',
    }[this.db.dialect];
    const heldParams = this.db.dialect === 'sqlite' ? [end, start] : this.db.dialect === 'mysql' ? [start, end] : [end, start];
    const where = ['u.end_date > ?', 'u.start_date < ?'];
    const params: unknown[] = [start, end];
    if (projectId !== undefined) { where.push('u.project_id = ?'); params.push(projectId); }
    const rows = await this.db.select<Record<string, unknown>>(
      `SELECT u.project_id, u.resource_type,
         SUM(CASE WHEN u.kind = 'host' THEN u.amount * ${held} ELSE 0 END) AS host_ms,
         SUM(CASE WHEN u.kind = 'instance' THEN u.amount * ${held} ELSE 0 END) AS instance_ms,
         COUNT(DISTINCT u.lease_id) AS leases
       FROM usage_ledger u WHERE ${where.join(' AND ')}
       GROUP BY u.project_id, u.resource_type ORDER BY u.project_id, u.resource_type`,
      [...heldParams, ...heldParams, ...params]);
    const hours = (ms: unknown) => Math.round(Number(ms ?? 0) / 3_600) / 1000;
    return rows.map((r) => ({
      projectId: String(r.project_id), resourceType: String(r.resource_type),
      hostHours: hours(r.host_ms), instanceSlotHours: hours(r.instance_ms), leases: Number(r.leases),
    }));
  }
}
