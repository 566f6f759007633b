import type { Database, Tx } from '../database';
import { bumpVersions } from '../certification';
import type { Window } from '../records';
import { fromSqlDate, placeholders, sqlDate } from '../sql-values';

export interface FloatingIpAllocationRecord {
  reservationId: string;
  leaseId: string;
  floatingipId: string;
  floatingIpAddress: string;
  floatingNetworkId: string;
  startDate: Date;
  endDate: Date;
}

/** A registered floating IP as allocation queries return it. */
export interface FreeFloatingIp {
  id: string;
  address: string;
}

export interface FreeFloatingIpQuery {
  networkId: string;
  window: Window;
  /** This reservation's own allocations do not count as taken (re-allocation on update). */
  ignoreReservationId?: string;
  /** Only these IPs (re-checking candidates), or never these (already tried). */
  onlyIds?: readonly string[];
  excludeIds?: readonly string[];
  limit?: number;
}

function toRecord(row: Record<string, unknown>): FloatingIpAllocationRecord {
  return {
    reservationId: String(row.reservation_id),
    leaseId: String(row.lease_id),
    floatingipId: String(row.floatingip_id),
    floatingIpAddress: String(row.floating_ip_address),
    floatingNetworkId: String(row.floating_network_id),
    startDate: fromSqlDate(row.start_date),
    endDate: fromSqlDate(row.end_date),
  };
}

/** Floating IPs held by virtual:floatingip reservations. */
export class FloatingIpAllocationRepository {
  constructor(private readonly db: Database) {}

  /** Reservable IPs of the network with no allocation overlapping the window, lowest id first: one query. */
  async findFree(tx: Tx | undefined, q: FreeFloatingIpQuery): Promise<FreeFloatingIp[]> {
    const where = ['f.reservable = 1', 'f.floating_network_id = ?'];
    const params: unknown[] = [q.networkId];
    if (q.onlyIds) {
      if (!q.onlyIds.length) return [];
      where.push(`f.id IN (${placeholders(q.onlyIds.length)})`);
      params.push(...q.onlyIds);
    }
    if (q.excludeIds?.length) {
      where.push(`f.id NOT IN (${placeholders(q.excludeIds.length)})`);
      params.push(...q.excludeIds);
    }
    let busy = 'a.floatingip_id = f.id AND a.start_date < ? AND a.end_date > ?';
    params.push(sqlDate(q.window.end), sqlDate(q.window.start));
    if (q.ignoreReservationId) {
      busy += ' AND a.reservation_id <> ?';
      params.push(q.ignoreReservationId);
    }
    where.push(`NOT EXISTS (SELECT 1 FROM floatingip_allocations a WHERE ${busy})`);
    const limit = q.limit === undefined ? '' : ` LIMIT ${Math.floor(q.limit)}`;
    const rows = await this.db.select<{ id: string; floating_ip_address: string }>(
      `SELECT f.id, f.floating_ip_address FROM floatingips f WHERE ${where.join(' AND ')} ORDER BY f.id${limit}`, params, tx);
    return rows.map((r) => ({ id: String(r.id), address: String(r.floating_ip_address) }));
  }

  /**
   * What availability searches read: the network's reservable IPs (lowest id first) and every allocation of theirs
   * touching the horizon (start and end in ms). Two queries, however many windows are tried.
   */
  async timeline(tx: Tx | undefined, networkId: string, horizon: Window): Promise<{ ips: FreeFloatingIp[]; bookings: { id: string; start: number; end: number }[] }> {
    const ips = await this.db.selectMany<{ id: string; floating_ip_address: string }>(
      'SELECT f.id, f.floating_ip_address FROM floatingips f WHERE f.reservable = 1 AND f.floating_network_id = ? ORDER BY f.id', [networkId], tx);
    const rows = await this.db.selectMany<Record<string, unknown>>(
      `SELECT a.floatingip_id, a.start_date, a.end_date FROM floatingip_allocations a JOIN floatingips f ON f.id = a.floatingip_id
        WHERE f.reservable = 1 AND f.floating_network_id = ? AND a.start_date < ? AND a.end_date > ?`,
      [networkId, sqlDate(horizon.end), sqlDate(horizon.start)], tx);
    return {
      ips: ips.map((r) => ({ id: String(r.id), address: String(r.floating_ip_address) })),
      bookings: rows.map((r) => ({ id: String(r.floatingip_id), start: fromSqlDate(r.start_date).getTime(), end: fromSqlDate(r.end_date).getTime() })),
    };
  }

  /** How many reservable IPs the network has, held or not (for "not enough" messages). */
  async countOnNetwork(tx: Tx | undefined, networkId: string): Promise<number> {
    const [row] = await this.db.select<{ n: number }>(
      'SELECT COUNT(*) AS n FROM floatingips WHERE reservable = 1 AND floating_network_id = ?', [networkId], tx);
    return Number(row.n);
  }

  /**
   * Locks the floatingips rows in id order and returns the ids locked; with `skipLocked`, rows another
   * transaction holds are passed over. Every allocation insert happens under the lock of its IP. SQLite's
   * single writer needs no lock.
   */
  async lock(tx: Tx, ids: readonly string[], options: { skipLocked?: boolean } = {}): Promise<string[]> {
    if (!ids.length || this.db.dialect === 'sqlite') return [...ids];
    const sorted = [...ids].sort();
    const rows = await this.db.select<{ id: string }>(
      `SELECT id FROM floatingips WHERE id IN (${placeholders(sorted.length)}) ORDER BY id FOR UPDATE${options.skipLocked ? ' SKIP LOCKED' : ''}`,
      sorted, tx);
    const locked = rows.map((r) => String(r.id));
    // Row locks are not replicated by Galera: writing the rows makes two nodes' bookings of one IP conflict.
    await bumpVersions(this.db, tx, 'floatingips', locked);
    return locked;
  }

  async insert(tx: Tx, reservationId: string, leaseId: string, ids: readonly string[], window: Window): Promise<void> {
    if (!ids.length) return;
    const values = ids.map(() => '(?, ?, ?, ?, ?)').join(', ');
    const params = ids.flatMap((id) => [reservationId, leaseId, id, sqlDate(window.start), sqlDate(window.end)]);
    await this.db.execute(
      `INSERT INTO floatingip_allocations (reservation_id, lease_id, floatingip_id, start_date, end_date) VALUES ${values}`, params, tx);
  }

  async removeIps(tx: Tx, reservationId: string, ids: readonly string[]): Promise<void> {
    if (!ids.length) return;
    await this.db.execute(
      `DELETE FROM floatingip_allocations WHERE reservation_id = ? AND floatingip_id IN (${placeholders(ids.length)})`,
      [reservationId, ...ids], tx);
  }

  async removeReservation(tx: Tx, reservationId: string): Promise<void> {
    await this.db.execute('DELETE FROM floatingip_allocations WHERE reservation_id = ?', [reservationId], tx);
  }

  /** Drops an IP's allocations (it is being unregistered; only past ones may remain then). */
  async forgetFloatingIp(tx: Tx, floatingipId: string): Promise<void> {
    await this.db.execute('DELETE FROM floatingip_allocations WHERE floatingip_id = ?', [floatingipId], tx);
  }

  async moveReservation(tx: Tx, reservationId: string, window: Window): Promise<void> {
    await this.db.execute('UPDATE floatingip_allocations SET start_date = ?, end_date = ? WHERE reservation_id = ?',
      [sqlDate(window.start), sqlDate(window.end), reservationId], tx);
  }

  /** Allocations with their addresses, optionally narrowed; ordered by IP id then start. */
  async list(filter: { reservationId?: string; leaseId?: string; floatingipId?: string; endsAfter?: Date } = {}, tx?: Tx): Promise<FloatingIpAllocationRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.reservationId !== undefined) { where.push('a.reservation_id = ?'); params.push(filter.reservationId); }
    if (filter.leaseId !== undefined) { where.push('a.lease_id = ?'); params.push(filter.leaseId); }
    if (filter.floatingipId !== undefined) { where.push('a.floatingip_id = ?'); params.push(filter.floatingipId); }
    if (filter.endsAfter !== undefined) { where.push('a.end_date > ?'); params.push(sqlDate(filter.endsAfter)); }
    const rows = await this.db.select(
      'SELECT a.reservation_id, a.lease_id, a.floatingip_id, f.floating_ip_address, f.floating_network_id, a.start_date, a.end_date '
      + 'FROM floatingip_allocations a JOIN floatingips f ON f.id = a.floatingip_id'
      + `${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY a.floatingip_id, a.start_date`, params, tx);
    return rows.map(toRecord);
  }
}
