import type { Database } from '../database';
import { fromSqlDate, sqlDate } from '../sql-values';

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

  async eventBacklog(now: Date): Promise<EventBacklog> {
    const [[due], states] = await Promise.all([
      this.db.select<{ n: unknown; oldest: unknown }>(
        "SELECT COUNT(*) AS n, MIN(time) AS oldest FROM events WHERE status = 'UNDONE' AND time <= ?", [sqlDate(now)]),
      this.db.select<{ status: string; n: unknown }>(
        "SELECT status, COUNT(*) AS n FROM events WHERE status IN ('IN_PROGRESS', 'ERROR') GROUP BY status"),
    ]);
    const count = (status: string) => Number(states.find((r) => r.status === status)?.n ?? 0);
    return {
      due: Number(due?.n ?? 0),
      oldestDueAt: due?.oldest == null ? null : fromSqlDate(due.oldest),
      inProgress: count('IN_PROGRESS'),
      failed: count('ERROR'),
    };
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
