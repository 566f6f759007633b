import type { Database, Tx } from '../database';
import type { EventStatus } from '../records';
import { fromSqlDate, placeholders, sqlDate } from '../sql-values';

/** An event as `climate-manage event list` shows it: with its lease's name, attempts and last error. */
export interface EventListing {
  id: string;
  leaseId: string;
  leaseName: string;
  eventType: string;
  time: Date;
  status: EventStatus;
  /** Failed attempts so far. */
  attempts: number;
  /** When a failed event is tried again (UNDONE after a failure); null otherwise. */
  retryAt: Date | null;
  lastError: string | null;
}

export interface EventListQuery {
  status?: EventStatus;
  leaseId?: string;
}

/** Rows a purge removes (or, dry run, would remove), by table. */
export interface PurgeCounts {
  leases: number;
  reservations: number;
  hostAllocations: number;
  instanceAllocations: number;
  floatingIpAllocations: number;
  volumeAllocations: number;
  events: number;
  /** Outbox rows of the purged leases that were already sent. */
  notifications: number;
  /** Usage enforcement calls (on-end) of the purged leases that were sent or given up. */
  enforcementCalls: number;
}

/** What a purge leaves in place although it is old. */
export interface PurgeKept {
  /** Leases in ERROR that ended before the date: their cloud resources may still need releasing. */
  errorLeases: number;
  /** Notifications of purgeable leases not sent yet: the dispatcher still owes them to the broker. */
  unsentNotifications: number;
}

/**
 * Leases a purge removes: TERMINATED only. ERROR leases are kept because a failed start or end may have left
 * resources in the cloud that only deleting the lease through the API releases; ACTIVE, PENDING and the
 * transient statuses are live.
 */
export const PURGEABLE_STATUSES = ['TERMINATED'] as const;

/**
 * The allocation tables, each tied to a reservation by reservation_id (a foreign key): they are emptied by
 * reservation, before the reservations, so no engine ever sees a dangling reference.
 */
const ALLOCATION_TABLES = {
  hostAllocations: 'computehost_allocations',
  instanceAllocations: 'instance_allocations',
  floatingIpAllocations: 'floatingip_allocations',
  volumeAllocations: 'volume_allocations',
} as const;

const ENDED = `status IN (${PURGEABLE_STATUSES.map((s) => `'${s}'`).join(', ')}) AND end_date < ?`;

function toListing(row: Record<string, unknown>): EventListing {
  return {
    id: String(row.id),
    leaseId: String(row.lease_id),
    leaseName: String(row.lease_name),
    eventType: String(row.event_type),
    time: fromSqlDate(row.time),
    status: row.status as EventStatus,
    attempts: Number(row.attempts),
    retryAt: row.retry_at == null ? null : fromSqlDate(row.retry_at),
    lastError: row.last_error == null ? null : String(row.last_error),
  };
}

/**
 * Operators' maintenance queries (`climate-manage`): listing events across leases, and purging leases that
 * ended long ago with every row that belongs to them.
 */
export class MaintenanceRepository {
  constructor(private readonly db: Database) {}

  /** Events with their lease's name, in the order they run (time, then sequence). */
  async listEvents(query: EventListQuery = {}): Promise<EventListing[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.status !== undefined) { where.push('e.status = ?'); params.push(query.status); }
    if (query.leaseId !== undefined) { where.push('e.lease_id = ?'); params.push(query.leaseId); }
    const rows = await this.db.select(
      'SELECT e.id, e.lease_id, l.name AS lease_name, e.event_type, e.time, e.status, e.attempts, e.retry_at, e.last_error '
      + `FROM events e JOIN leases l ON l.id = e.lease_id${where.length ? ` WHERE ${where.join(' AND ')}` : ''} `
      + 'ORDER BY e.time, e.sequence, e.id', params);
    return rows.map(toListing);
  }

  /** What a purge of leases that ended before `before` removes, counted without removing anything. */
  async countPurgeable(before: Date): Promise<PurgeCounts> {
    const at = sqlDate(before);
    const leases = `SELECT id FROM leases WHERE ${ENDED}`;
    const reservations = `SELECT id FROM reservations WHERE lease_id IN (${leases})`;
    const count = async (sql: string) => Number((await this.db.select<{ n: unknown }>(sql, [at]))[0]?.n ?? 0);
    const allocations = (table: string) => count(`SELECT COUNT(*) AS n FROM ${table} WHERE reservation_id IN (${reservations})`);
    return {
      leases: await count(`SELECT COUNT(*) AS n FROM leases WHERE ${ENDED}`),
      reservations: await count(`SELECT COUNT(*) AS n FROM reservations WHERE lease_id IN (${leases})`),
      hostAllocations: await allocations(ALLOCATION_TABLES.hostAllocations),
      instanceAllocations: await allocations(ALLOCATION_TABLES.instanceAllocations),
      floatingIpAllocations: await allocations(ALLOCATION_TABLES.floatingIpAllocations),
      volumeAllocations: await allocations(ALLOCATION_TABLES.volumeAllocations),
      events: await count(`SELECT COUNT(*) AS n FROM events WHERE lease_id IN (${leases})`),
      notifications: await count(`SELECT COUNT(*) AS n FROM notifications WHERE sent_at IS NOT NULL AND lease_id IN (${leases})`),
      enforcementCalls: await count(`SELECT COUNT(*) AS n FROM enforcement_calls WHERE status <> 'pending' AND lease_id IN (${leases})`),
    };
  }

  /** Old rows a purge keeps on purpose (see PURGEABLE_STATUSES), to tell the operator about them. */
  async countKept(before: Date): Promise<PurgeKept> {
    const at = sqlDate(before);
    const [errors] = await this.db.select<{ n: unknown }>(
      "SELECT COUNT(*) AS n FROM leases WHERE status = 'ERROR' AND end_date < ?", [at]);
    const [unsent] = await this.db.select<{ n: unknown }>(
      `SELECT COUNT(*) AS n FROM notifications WHERE sent_at IS NULL AND lease_id IN (SELECT id FROM leases WHERE ${ENDED})`, [at]);
    return { errorLeases: Number(errors?.n ?? 0), unsentNotifications: Number(unsent?.n ?? 0) };
  }

  /** Up to `limit` ids of leases that ended before `before` and may be purged, oldest end first. */
  async purgeableLeaseIds(before: Date, limit: number): Promise<string[]> {
    const rows = await this.db.select<{ id: unknown }>(
      `SELECT id FROM leases WHERE ${ENDED} ORDER BY end_date, id LIMIT ${Math.floor(limit)}`, [sqlDate(before)]);
    return rows.map((r) => String(r.id));
  }

  /**
   * Deletes the given leases, if still purgeable, with their allocations, events, reservations and sent
   * notifications, in the caller's transaction. Unsent notifications stay for the dispatcher (the outbox has no
   * foreign key to leases).
   */
  async purgeLeases(tx: Tx, leaseIds: readonly string[], before: Date): Promise<PurgeCounts> {
    const counts: PurgeCounts = {
      leases: 0, reservations: 0, hostAllocations: 0, instanceAllocations: 0, floatingIpAllocations: 0,
      volumeAllocations: 0, events: 0, notifications: 0, enforcementCalls: 0,
    };
    if (!leaseIds.length) return counts;
    // Locked and checked again: purgeable statuses are final, but a lease deleted meanwhile is simply skipped.
    const locked = await this.db.select<{ id: unknown }>(
      `SELECT id FROM leases WHERE id IN (${placeholders(leaseIds.length)}) AND ${ENDED}${this.db.forUpdate}`,
      [...leaseIds, sqlDate(before)], tx);
    const ids = locked.map((r) => String(r.id));
    if (!ids.length) return counts;
    const inIds = `(${placeholders(ids.length)})`;
    const reservations = `SELECT id FROM reservations WHERE lease_id IN ${inIds}`;
    for (const [key, table] of Object.entries(ALLOCATION_TABLES) as [keyof typeof ALLOCATION_TABLES, string][]) {
      counts[key] = await this.db.execute(`DELETE FROM ${table} WHERE reservation_id IN (${reservations})`, ids, tx);
    }
    counts.events = await this.db.execute(`DELETE FROM events WHERE lease_id IN ${inIds}`, ids, tx);
    counts.reservations = await this.db.execute(`DELETE FROM reservations WHERE lease_id IN ${inIds}`, ids, tx);
    // notifications has no index on lease_id: this reads the sent rows, which the dispatcher prunes after
    // [notifications] retention_hours, so they stay few.
    counts.notifications = await this.db.execute(
      `DELETE FROM notifications WHERE sent_at IS NOT NULL AND lease_id IN ${inIds}`, ids, tx);
    // Pending on-end calls stay for the manager, as unsent notifications do.
    counts.enforcementCalls = await this.db.execute(
      `DELETE FROM enforcement_calls WHERE status <> 'pending' AND lease_id IN ${inIds}`, ids, tx);
    counts.leases = await this.db.execute(`DELETE FROM leases WHERE id IN ${inIds}`, ids, tx);
    return counts;
  }
}
