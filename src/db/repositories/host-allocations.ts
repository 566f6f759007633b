import type { Database, Tx } from '../database';
import type { AllocationRecord, Window } from '../records';
import { bumpVersions } from '../certification';
import { fromSqlDate, placeholders, sqlDate } from '../sql-values';

/** A boolean SQL condition on the host row aliased `h`, with positional parameters. */
export interface HostCondition {
  sql: string;
  params: readonly unknown[];
}

export interface FreeHostQuery {
  /** Conditions every host must meet (compiled property filters). */
  conditions: readonly HostCondition[];
  /** The window the host must be free in, already widened by the cleaning time. */
  window: Window;
  /** Allocations of this reservation do not count as busy (re-allocation on update). */
  ignoreReservationId?: string;
  /** Only these hosts (re-checking candidates), or never these (already tried). */
  onlyHostIds?: readonly number[];
  excludeHostIds?: readonly number[];
  limit?: number;
  /**
   * Lock the hosts found (FOR UPDATE SKIP LOCKED: rows other transactions hold are passed over). The locks
   * are taken as the scan meets the rows, so the answer still needs reading again: see claimFree.
   */
  skipLockedLock?: boolean;
}

/** Another lease's hold on a host in a window: the whole host, or instance slots on it. */
export interface HostBooking {
  hostId: number;
  hostName: string;
  kind: 'host' | 'instance';
  leaseId: string;
  projectId: string;
  startDate: Date;
  endDate: Date;
}

function toAllocation(row: Record<string, unknown>): AllocationRecord {
  return {
    hostId: Number(row.host_id),
    reservationId: String(row.reservation_id),
    leaseId: String(row.lease_id),
    startDate: fromSqlDate(row.start_date),
    endDate: fromSqlDate(row.end_date),
  };
}

export class HostAllocationRepository {
  constructor(private readonly db: Database) {}

  /**
   * Reservable hosts that meet the conditions and have no allocation overlapping the window, lowest id
   * first: one set-based query, whatever the number of hosts.
   */
  async findFree(tx: Tx | undefined, q: FreeHostQuery): Promise<number[]> {
    const where = ['h.reservable = 1', ...q.conditions.map((c) => `(${c.sql})`)];
    const params: unknown[] = q.conditions.flatMap((c) => c.params);
    if (q.onlyHostIds) {
      if (!q.onlyHostIds.length) return [];
      where.push(`h.id IN (${placeholders(q.onlyHostIds.length)})`);
      params.push(...q.onlyHostIds);
    }
    if (q.excludeHostIds?.length) {
      where.push(`h.id NOT IN (${placeholders(q.excludeHostIds.length)})`);
      params.push(...q.excludeHostIds);
    }
    let busy = 'a.host_id = h.id AND a.start_date < ? AND a.end_date > ?';
    params.push(sqlDate(q.window.end), sqlDate(q.window.start));
    if (q.ignoreReservationId) {
      busy += ' AND a.reservation_id <> ?';
      params.push(q.ignoreReservationId);
    }
    where.push(`NOT EXISTS (SELECT 1 FROM computehost_allocations a WHERE ${busy})`);
    // A host with instance slots reserved in the window (virtual:instance) is not free as a whole host.
    where.push('NOT EXISTS (SELECT 1 FROM instance_allocations i WHERE i.host_id = h.id AND i.start_date < ? AND i.end_date > ?)');
    params.push(sqlDate(q.window.end), sqlDate(q.window.start));
    const limit = q.limit === undefined ? '' : ` LIMIT ${Math.floor(q.limit)}`;
    const lock = q.skipLockedLock && this.db.dialect !== 'sqlite' ? ' FOR UPDATE SKIP LOCKED' : '';
    // The primary key's order is the scan's: with LIMIT and a lock, only the rows returned stay locked.
    const hint = lock && this.db.dialect === 'mysql' ? ' FORCE INDEX (PRIMARY)' : '';
    const rows = await this.db.select<{ id: number }>(
      `SELECT h.id FROM hosts h${hint} WHERE ${where.join(' AND ')} ORDER BY h.id${limit}${lock}`, params, tx);
    return rows.map((r) => Number(r.id));
  }

  /**
   * Up to `want` free hosts, lowest ids first, locked for the transaction, so that the allocations inserted for
   * them cannot collide with another transaction's. On engines with row locks, one statement finds and locks
   * candidates, passing over rows other transactions hold (concurrent requests for one window spread over the
   * hosts instead of queueing on the same rows), and a second reads them again, since the first judged them
   * by a snapshot taken before its locks. Only when that falls short are the hosts others hold waited for and
   * judged once they are released. SQLite's single writer needs neither locks nor a second look.
   */
  async claimFree(tx: Tx, q: FreeHostQuery, want: number): Promise<number[]> {
    if (want <= 0) return [];
    if (this.db.dialect === 'sqlite') return this.findFree(tx, { ...q, limit: want });
    const chosen: number[] = [];
    const tried = [...(q.excludeHostIds ?? [])];
    const judge = async (locked: number[]) => {
      const free = await this.findFree(tx, { ...q, excludeHostIds: undefined, onlyHostIds: locked, limit: undefined });
      chosen.push(...free.slice(0, want - chosen.length));
    };
    while (chosen.length < want) {
      const locked = await this.findFree(tx, { ...q, excludeHostIds: tried, limit: want - chosen.length, skipLockedLock: true });
      if (!locked.length) break;
      tried.push(...locked);
      await judge(locked);
    }
    if (chosen.length < want) {
      // What still looks free is held by other transactions (or was freed meanwhile): wait, then judge.
      const held = await this.findFree(tx, { ...q, excludeHostIds: tried, limit: undefined });
      if (held.length) await judge(await this.lockHosts(tx, held));
    }
    await this.markBooked(tx, chosen);
    return chosen;
  }

  /**
   * Raises the allocation_version of the hosts a transaction books (migration 009). A row lock is local to one
   * server; on a Galera cluster two nodes may both judge a host free and book it. Writing its row puts the host
   * in both transactions' write sets, so the second to commit fails certification (a deadlock error the
   * transaction is retried for) and, run again, sees the first one's booking. Called with the rows locked, after
   * they were judged: the lock keeps the other node's booking from being applied here in between (the applier
   * would abort this transaction), and a booking certified but not yet applied here conflicts at commit.
   */
  async markBooked(tx: Tx, hostIds: readonly number[]): Promise<void> {
    await bumpVersions(this.db, tx, 'hosts', hostIds);
  }

  /**
   * What holds these hosts in the window besides `ignoreReservationId`: whole-host allocations and instance slots of
   * other reservations, with the host's name and the lease's project, by host then earliest first. One query; it
   * explains a refusal (which host, from when, by which lease), it does not decide one.
   */
  async bookings(tx: Tx | undefined, hostIds: readonly number[], window: Window, ignoreReservationId: string): Promise<HostBooking[]> {
    if (!hostIds.length) return [];
    const part = (table: string, kind: string) => `SELECT a.host_id, a.lease_id, a.start_date, a.end_date, '${kind}' AS kind FROM ${table} a
       WHERE a.host_id IN (${placeholders(hostIds.length)}) AND a.start_date < ? AND a.end_date > ? AND a.reservation_id <> ?`;
    const params = [...hostIds, sqlDate(window.end), sqlDate(window.start), ignoreReservationId];
    const rows = await this.db.select<Record<string, unknown>>(
      `SELECT DISTINCT b.host_id, h.hypervisor_hostname, b.kind, b.lease_id, l.project_id, b.start_date, b.end_date
       FROM (${part('computehost_allocations', 'host')} UNION ALL ${part('instance_allocations', 'instance')}) b
       JOIN hosts h ON h.id = b.host_id JOIN leases l ON l.id = b.lease_id
       ORDER BY b.host_id, b.start_date, b.lease_id`, [...params, ...params], tx);
    return rows.map((r) => ({
      hostId: Number(r.host_id), hostName: String(r.hypervisor_hostname), kind: r.kind === 'instance' ? 'instance' : 'host',
      leaseId: String(r.lease_id), projectId: String(r.project_id), startDate: fromSqlDate(r.start_date), endDate: fromSqlDate(r.end_date),
    }));
  }

  /** How many reservable hosts meet the conditions, busy or not (for "not enough hosts" messages). */
  async countMatching(tx: Tx | undefined, conditions: readonly HostCondition[]): Promise<number> {
    const where = ['h.reservable = 1', ...conditions.map((c) => `(${c.sql})`)];
    const [row] = await this.db.select<{ n: number }>(
      `SELECT COUNT(*) AS n FROM hosts h WHERE ${where.join(' AND ')}`, conditions.flatMap((c) => c.params), tx);
    return Number(row.n);
  }

  /**
   * Locks the host rows in id order (so two transactions never wait on each other in a cycle) and returns the
   * ids locked. Every allocation insert happens under the lock of its host: that is what makes check-then-insert
   * atomic on engines with row locks. With `skipLocked`, rows another transaction holds are passed over instead
   * of waited for (MariaDB 10.6+, MySQL 8, PostgreSQL). SQLite's single writer needs no lock.
   */
  async lockHosts(tx: Tx, hostIds: readonly number[], options: { skipLocked?: boolean } = {}): Promise<number[]> {
    if (!hostIds.length || this.db.dialect === 'sqlite') return [...hostIds];
    const sorted = [...hostIds].sort((a, b) => a - b);
    const rows = await this.db.select<{ id: number }>(
      `SELECT id FROM hosts WHERE id IN (${placeholders(sorted.length)}) ORDER BY id FOR UPDATE${options.skipLocked ? ' SKIP LOCKED' : ''}`,
      sorted, tx);
    const locked = rows.map((r) => Number(r.id));
    // Whoever locks a host may change its bookings: the same certification key as markBooked.
    await this.markBooked(tx, locked);
    return locked;
  }

  async insert(tx: Tx, reservationId: string, leaseId: string, hostIds: readonly number[], window: Window): Promise<void> {
    if (!hostIds.length) return;
    const values = hostIds.map(() => '(?, ?, ?, ?, ?)').join(', ');
    const params = hostIds.flatMap((hostId) => [reservationId, leaseId, hostId, sqlDate(window.start), sqlDate(window.end)]);
    await this.db.execute(
      `INSERT INTO computehost_allocations (reservation_id, lease_id, host_id, start_date, end_date) VALUES ${values}`, params, tx);
  }

  async removeHosts(tx: Tx, reservationId: string, hostIds: readonly number[]): Promise<void> {
    if (!hostIds.length) return;
    await this.db.execute(
      `DELETE FROM computehost_allocations WHERE reservation_id = ? AND host_id IN (${placeholders(hostIds.length)})`,
      [reservationId, ...hostIds], tx);
  }

  /** Drops a host's past allocations (it is being deleted; ended leases keep their other records). */
  async forgetHost(tx: Tx, hostId: number): Promise<void> {
    await this.db.execute('DELETE FROM computehost_allocations WHERE host_id = ?', [hostId], tx);
  }

  async removeReservation(tx: Tx, reservationId: string): Promise<void> {
    await this.db.execute('DELETE FROM computehost_allocations WHERE reservation_id = ?', [reservationId], tx);
  }

  /** Moves every allocation of a reservation to a new window. */
  async moveReservation(tx: Tx, reservationId: string, window: Window): Promise<void> {
    await this.db.execute('UPDATE computehost_allocations SET start_date = ?, end_date = ? WHERE reservation_id = ?',
      [sqlDate(window.start), sqlDate(window.end), reservationId], tx);
  }

  /** Moves every allocation of a lease to the lease's new window. */
  async moveLease(tx: Tx, leaseId: string, window: Window): Promise<void> {
    await this.db.execute('UPDATE computehost_allocations SET start_date = ?, end_date = ? WHERE lease_id = ?',
      [sqlDate(window.start), sqlDate(window.end), leaseId], tx);
  }

  /**
   * Allocations, optionally narrowed to a lease, a reservation, a host, or those overlapping a time range
   * (ending after `endsAfter`, starting before `startsBefore`); ordered by host then start.
   */
  async list(filter: { leaseId?: string; reservationId?: string; hostId?: number; endsAfter?: Date; startsBefore?: Date }, tx?: Tx): Promise<AllocationRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.leaseId !== undefined) { where.push('lease_id = ?'); params.push(filter.leaseId); }
    if (filter.reservationId !== undefined) { where.push('reservation_id = ?'); params.push(filter.reservationId); }
    if (filter.hostId !== undefined) { where.push('host_id = ?'); params.push(filter.hostId); }
    if (filter.endsAfter !== undefined) { where.push('end_date > ?'); params.push(sqlDate(filter.endsAfter)); }
    if (filter.startsBefore !== undefined) { where.push('start_date < ?'); params.push(sqlDate(filter.startsBefore)); }
    const rows = await this.db.selectMany(
      'SELECT host_id, reservation_id, lease_id, start_date, end_date FROM computehost_allocations'
      + `${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY host_id, start_date`, params, tx);
    return rows.map(toAllocation);
  }

  /**
   * Host reservations host healing looks at: pending or active, with an allocation whose window is not over,
   * that hold a host whose status is one of `failedStatuses` or are flagged missing_resources. One query.
   */
  async reservationsToHeal(now: Date, failedStatuses: readonly string[], tx?: Tx): Promise<{ reservationId: string; leaseId: string }[]> {
    const failed = failedStatuses.length ? `h.status IN (${placeholders(failedStatuses.length)}) OR ` : '';
    const rows = await this.db.select<{ reservation_id: string; lease_id: string }>(
      `SELECT DISTINCT r.id AS reservation_id, r.lease_id FROM computehost_allocations a
       JOIN reservations r ON r.id = a.reservation_id
       JOIN hosts h ON h.id = a.host_id
       WHERE a.end_date > ? AND r.status IN ('pending', 'active') AND (${failed}r.missing_resources = 1)
       ORDER BY r.id`,
      [sqlDate(now), ...failedStatuses], tx);
    return rows.map((r) => ({ reservationId: String(r.reservation_id), leaseId: String(r.lease_id) }));
  }

  /** Reservations (with their params) holding the host now or later, for capability-change checks. */
  async reservationsOnHost(tx: Tx | undefined, hostId: number, endsAfter: Date): Promise<{ reservationId: string; params: string }[]> {
    const rows = await this.db.select<{ reservation_id: string; params: string }>(
      `SELECT DISTINCT r.id AS reservation_id, r.params FROM computehost_allocations a
       JOIN reservations r ON r.id = a.reservation_id
       WHERE a.host_id = ? AND a.end_date > ? AND r.status IN ('pending', 'active')`,
      [hostId, sqlDate(endsAfter)], tx);
    return rows.map((r) => ({ reservationId: String(r.reservation_id), params: String(r.params) }));
  }
}
