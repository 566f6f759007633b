import type { Database, Tx } from '../database';
import type { Window } from '../records';
import { fromSqlDate, placeholders, sqlDate } from '../sql-values';
import type { HostCondition } from './host-allocations';

/** The size of one instance (a flavor). */
export interface SlotSize {
  vcpus: number;
  memory_mb: number;
  disk_gb: number;
}

export interface InstanceAllocationRecord extends SlotSize {
  reservationId: string;
  leaseId: string;
  hostId: number;
  slots: number;
  startDate: Date;
  endDate: Date;
}

export interface FreeSlotsQuery {
  /** Conditions every host must meet (compiled property filters). */
  conditions: readonly HostCondition[];
  size: SlotSize;
  window: Window;
  /** This reservation's own allocations do not count as taken (re-allocation on update). */
  ignoreReservationId?: string;
  onlyHostIds?: readonly number[];
}

export interface HostSlots {
  hostId: number;
  slots: number;
}

function toRecord(row: Record<string, unknown>): InstanceAllocationRecord {
  return {
    reservationId: String(row.reservation_id),
    leaseId: String(row.lease_id),
    hostId: Number(row.host_id),
    slots: Number(row.slots),
    vcpus: Number(row.vcpus),
    memory_mb: Number(row.memory_mb),
    disk_gb: Number(row.disk_gb),
    startDate: fromSqlDate(row.start_date),
    endDate: fromSqlDate(row.end_date),
  };
}

/**
 * Instance slots on hosts. A reservation has one row per host, plus one more for each later addition on that
 * host (a raised amount or healing after the start, recorded from then on): what it holds on a host is the sum.
 * A host's free slots for a flavor are, over its vcpus, memory and disk, the least
 * of (capacity - what instance reservations overlapping the window hold) / (the flavor's size), counting
 * only the dimensions the flavor uses. A host held by a physical:host reservation overlapping the window
 * has none.
 */
export class InstanceAllocationRepository {
  constructor(private readonly db: Database) {}

  /**
   * Reservable hosts meeting the conditions with at least one free slot, lowest id first: one query. What a
   * host holds is its peak over the window: usage only rises when an allocation starts, so it is summed at the
   * window's start and at every allocation start inside the window, and the largest sum of each dimension taken.
   */
  async freeSlots(tx: Tx | undefined, q: FreeSlotsQuery): Promise<HostSlots[]> {
    const dims = ([['vcpus', 'v', q.size.vcpus], ['memory_mb', 'm', q.size.memory_mb], ['local_gb', 'd', q.size.disk_gb]] as const)
      .filter(([, , per]) => per > 0);
    if (!dims.length) throw new Error('a slot size needs at least one positive dimension');
    const mysql = this.db.dialect === 'mysql';
    const end = sqlDate(q.window.end);
    const start = sqlDate(q.window.start);
    const others = q.ignoreReservationId ? ' AND reservation_id <> ?' : '';
    const othersA = q.ignoreReservationId ? ' AND a.reservation_id <> ?' : '';
    const ignore = q.ignoreReservationId ? [q.ignoreReservationId] : [];
    const at = this.db.dateParam;
    const usage = `SELECT p.host_id, p.at, SUM(a.slots * a.vcpus) AS v, SUM(a.slots * a.memory_mb) AS m, SUM(a.slots * a.disk_gb) AS d
      FROM (SELECT host_id, start_date AS at FROM instance_allocations WHERE start_date > ? AND start_date < ?${others}
            UNION SELECT host_id, ${at} AS at FROM instance_allocations WHERE start_date <= ? AND end_date > ?${others}) p
      JOIN instance_allocations a ON a.host_id = p.host_id AND a.start_date <= p.at AND a.end_date > p.at${othersA}
      GROUP BY p.host_id, p.at`;
    const usageParams = [start, end, ...ignore, start, start, start, ...ignore, ...ignore];
    const peak = `SELECT u.host_id, MAX(u.v) AS v, MAX(u.m) AS m, MAX(u.d) AS d FROM (${usage}) u GROUP BY u.host_id`;
    const integerDivision = (x: string, per: number) => (mysql ? `(${x}) DIV ${Math.floor(per)}` : `CAST((${x}) / ${Math.floor(per)} AS INTEGER)`);
    const parts = dims.map(([hostColumn, used, per]) => integerDivision(`h.${hostColumn} - COALESCE(used.${used}, 0)`, per));
    const least = parts.length === 1 ? parts[0] : `${this.db.dialect === 'sqlite' ? 'MIN' : 'LEAST'}(${parts.join(', ')})`;
    const where = ['h.reservable = 1', ...q.conditions.map((c) => `(${c.sql})`)];
    const whereParams: unknown[] = q.conditions.flatMap((c) => c.params);
    if (q.onlyHostIds) {
      if (!q.onlyHostIds.length) return [];
      where.push(`h.id IN (${placeholders(q.onlyHostIds.length)})`);
      whereParams.push(...q.onlyHostIds);
    }
    where.push('NOT EXISTS (SELECT 1 FROM computehost_allocations c WHERE c.host_id = h.id AND c.start_date < ? AND c.end_date > ?)');
    whereParams.push(end, start);
    where.push(`${least} > 0`);
    const rows = await this.db.select<{ id: number; slots: number }>(
      `SELECT h.id, ${least} AS slots FROM hosts h LEFT JOIN (${peak}) used ON used.host_id = h.id `
      + `WHERE ${where.join(' AND ')} ORDER BY h.id`,
      [...usageParams, ...whereParams], tx);
    return rows.map((r) => ({ hostId: Number(r.id), slots: Number(r.slots) }));
  }

  /** Reservable hosts meeting the conditions, whatever they hold (for "not enough capacity" messages). */
  async countMatching(tx: Tx | undefined, conditions: readonly HostCondition[]): Promise<number> {
    const where = ['h.reservable = 1', ...conditions.map((c) => `(${c.sql})`)];
    const [row] = await this.db.select<{ n: number }>(
      `SELECT COUNT(*) AS n FROM hosts h WHERE ${where.join(' AND ')}`, conditions.flatMap((c) => c.params), tx);
    return Number(row.n);
  }

  async insert(tx: Tx, reservationId: string, leaseId: string, size: SlotSize, slots: readonly HostSlots[], window: Window): Promise<void> {
    const rows = slots.filter((s) => s.slots > 0);
    if (!rows.length) return;
    const values = rows.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ');
    const params = rows.flatMap((s) => [reservationId, leaseId, s.hostId, s.slots, size.vcpus, size.memory_mb, size.disk_gb,
      sqlDate(window.start), sqlDate(window.end)]);
    await this.db.execute(
      'INSERT INTO instance_allocations (reservation_id, lease_id, host_id, slots, vcpus, memory_mb, disk_gb, start_date, end_date) '
      + `VALUES ${values}`, params, tx);
  }

  /** Drops a host's past allocations (it is being deleted). */
  async forgetHost(tx: Tx, hostId: number): Promise<void> {
    await this.db.execute('DELETE FROM instance_allocations WHERE host_id = ?', [hostId], tx);
  }

  async removeReservation(tx: Tx, reservationId: string): Promise<void> {
    await this.db.execute('DELETE FROM instance_allocations WHERE reservation_id = ?', [reservationId], tx);
  }

  /** Drops a reservation's allocations on some hosts (their slots were moved elsewhere). */
  async removeHosts(tx: Tx, reservationId: string, hostIds: readonly number[]): Promise<void> {
    if (!hostIds.length) return;
    await this.db.execute(
      `DELETE FROM instance_allocations WHERE reservation_id = ? AND host_id IN (${placeholders(hostIds.length)})`,
      [reservationId, ...hostIds], tx);
  }

  /**
   * Moves the end of every allocation of a started reservation. Its start is fixed by then, and slots added
   * after the start (a raised amount, healing) keep the later start they were recorded with.
   */
  async moveEnd(tx: Tx, reservationId: string, end: Date): Promise<void> {
    await this.db.execute('UPDATE instance_allocations SET end_date = ? WHERE reservation_id = ?', [sqlDate(end), reservationId], tx);
  }

  /** Moves every allocation of a reservation to a new window. */
  async moveReservation(tx: Tx, reservationId: string, window: Window): Promise<void> {
    await this.db.execute('UPDATE instance_allocations SET start_date = ?, end_date = ? WHERE reservation_id = ?',
      [sqlDate(window.start), sqlDate(window.end), reservationId], tx);
  }

  /** Allocations, optionally narrowed to a reservation, a lease or a host; ordered by host then start. */
  async list(filter: { reservationId?: string; leaseId?: string; hostId?: number } = {}, tx?: Tx): Promise<InstanceAllocationRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.reservationId !== undefined) { where.push('reservation_id = ?'); params.push(filter.reservationId); }
    if (filter.leaseId !== undefined) { where.push('lease_id = ?'); params.push(filter.leaseId); }
    if (filter.hostId !== undefined) { where.push('host_id = ?'); params.push(filter.hostId); }
    const rows = await this.db.select(
      'SELECT reservation_id, lease_id, host_id, slots, vcpus, memory_mb, disk_gb, start_date, end_date FROM instance_allocations'
      + `${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY host_id, start_date`, params, tx);
    return rows.map(toRecord);
  }

  /**
   * Reservations of `resourceTypes` host healing looks at: pending or active, with an allocation whose window is
   * not over, holding slots on a host whose status is one of `failedStatuses`, or flagged missing_resources. One query.
   */
  async reservationsToHeal(now: Date, failedStatuses: readonly string[], resourceTypes: readonly string[], tx?: Tx):
  Promise<{ reservationId: string; leaseId: string }[]> {
    if (!resourceTypes.length) return [];
    const failed = failedStatuses.length ? `h.status IN (${placeholders(failedStatuses.length)}) OR ` : '';
    const rows = await this.db.select<{ reservation_id: string; lease_id: string }>(
      `SELECT DISTINCT r.id AS reservation_id, r.lease_id FROM instance_allocations a
       JOIN reservations r ON r.id = a.reservation_id
       JOIN hosts h ON h.id = a.host_id
       WHERE a.end_date > ? AND r.resource_type IN (${placeholders(resourceTypes.length)}) AND r.status IN ('pending', 'active')
         AND (${failed}r.missing_resources = 1)
       ORDER BY r.id`,
      [sqlDate(now), ...resourceTypes, ...failedStatuses], tx);
    return rows.map((r) => ({ reservationId: String(r.reservation_id), leaseId: String(r.lease_id) }));
  }
}
