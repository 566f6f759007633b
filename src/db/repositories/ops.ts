import type { Database } from '../database';
import { fromSqlBool, fromSqlDate, sqlDate } from '../sql-values';

/** Lease events whose time has come and that have not run (UNDONE), and the ones running or given up. */
export interface EventBacklog {
  /** UNDONE events with time <= now (waiting for a manager, for their retry time, or for an earlier event). */
  due: number;
  /** Due time of the oldest of those; null when none. */
  oldestDueAt: Date | null;
  /** Claimed by a manager right now. */
  inProgress: number;
  /** Given up after their retries (ERROR). */
  failed: number;
  /** Those of `due` that were due at `overdueBefore` or earlier (0 when not asked). */
  overdue: number;
}

/** Registered hosts with one health status (null: no failure recorded) and reservable flag. */
export interface HostCount {
  status: string | null;
  reservable: boolean;
  count: number;
}

/** Hosts held right now, by how they are held. */
export interface HostsAllocated {
  /** Whole hosts (physical:host reservations). */
  whole: number;
  /** Hosts with instance slots held (virtual:instance reservations). */
  slots: number;
}

/** One event that ran: when it was due and when it was marked DONE. */
export interface EventCompletion {
  dueAt: Date;
  doneAt: Date;
}

export interface OutboxBacklog {
  /** Notifications written and not yet acknowledged by the broker. */
  unsent: number;
  /** When the oldest of them was written; null when none. */
  oldestCreatedAt: Date | null;
}

/**
 * Cheap read-only queries for operators: the health check and the gauges of /metrics. Each reads indexed
 * columns only (leases.status, events (status, time), notifications (sent_at, id)), so a scrape costs little
 * whatever the size of the tables.
 */
export class OpsRepository {
  constructor(private readonly db: Database) {}

  /** Resolves when the database answers a trivial query. */
  async ping(): Promise<void> {
    await this.db.select('SELECT 1 AS ok');
  }

  /** Number of leases in each status present. */
  async leaseCountsByStatus(): Promise<Map<string, number>> {
    const rows = await this.db.select<{ status: string; n: unknown }>('SELECT status, COUNT(*) AS n FROM leases GROUP BY status');
    return new Map(rows.map((r) => [String(r.status), Number(r.n)]));
  }

  /** @param overdueBefore due events at or before this also count as `overdue` */
  async eventBacklog(now: Date, overdueBefore?: Date): Promise<EventBacklog> {
    const [[due], states] = await Promise.all([
      this.db.select<{ n: unknown; oldest: unknown; overdue: unknown }>(
        'SELECT COUNT(*) AS n, MIN(time) AS oldest, COALESCE(SUM(CASE WHEN time <= ? THEN 1 ELSE 0 END), 0) AS overdue '
        + "FROM events WHERE status = 'UNDONE' AND time <= ?", [sqlDate(overdueBefore ?? new Date(0)), sqlDate(now)]),
      this.db.select<{ status: string; n: unknown }>(
        "SELECT status, COUNT(*) AS n FROM events WHERE status IN ('IN_PROGRESS', 'ERROR') GROUP BY status"),
    ]);
    const count = (status: string) => Number(states.find((r) => r.status === status)?.n ?? 0);
    return {
      due: Number(due?.n ?? 0),
      oldestDueAt: due?.oldest == null ? null : fromSqlDate(due.oldest),
      inProgress: count('IN_PROGRESS'),
      failed: count('ERROR'),
      overdue: Number(due?.overdue ?? 0),
    };
  }

  /** Registered hosts by health status and reservable flag (a few rows: hosts is small). */
  async hostCounts(): Promise<HostCount[]> {
    const rows = await this.db.select<{ status: unknown; reservable: unknown; n: unknown }>(
      'SELECT status, reservable, COUNT(*) AS n FROM hosts GROUP BY status, reservable');
    return rows.map((r) => ({ status: r.status == null ? null : String(r.status), reservable: fromSqlBool(r.reservable), count: Number(r.n) }));
  }

  /** Distinct hosts with an allocation whose window contains `now` (reads the (host, end_date, start_date) indexes). */
  async hostsAllocated(now: Date): Promise<HostsAllocated> {
    const at = sqlDate(now);
    const count = async (table: string) => {
      const [row] = await this.db.select<{ n: unknown }>(
        `SELECT COUNT(DISTINCT host_id) AS n FROM ${table} WHERE end_date > ? AND start_date <= ?`, [at, at]);
      return Number(row?.n ?? 0);
    };
    const [whole, slots] = await Promise.all([count('computehost_allocations'), count('instance_allocations')]);
    return { whole, slots };
  }

  /**
   * Events marked DONE since `doneSince` among those due since `dueSince` (the bound on the due time keeps the
   * read on the (status, time) index), at most `limit` of them.
   */
  async recentCompletions(dueSince: Date, doneSince: Date, now: Date, limit = 10_000): Promise<EventCompletion[]> {
    const rows = await this.db.select<{ time: unknown; updated_at: unknown }>(
      "SELECT time, updated_at FROM events WHERE status = 'DONE' AND time >= ? AND time <= ? AND updated_at >= ? "
      + `LIMIT ${Math.floor(limit)}`,
      [sqlDate(dueSince), sqlDate(now), sqlDate(doneSince)]);
    return rows.filter((r) => r.updated_at != null).map((r) => ({ dueAt: fromSqlDate(r.time), doneAt: fromSqlDate(r.updated_at) }));
  }

  async outboxBacklog(): Promise<OutboxBacklog> {
    const [row] = await this.db.select<{ n: unknown; oldest: unknown }>(
      'SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM notifications WHERE sent_at IS NULL');
    return { unsent: Number(row?.n ?? 0), oldestCreatedAt: row?.oldest == null ? null : fromSqlDate(row.oldest) };
  }
}
