import type { Database, Tx } from '../database';
import { bumpVersions } from '../certification';
import type { Window } from '../records';
import { fromSqlDate, placeholders, sqlDate } from '../sql-values';

export interface VolumePoolRecord {
  id: string;
  /** The Cinder backend pool (`host@backend#pool`); unique. */
  name: string;
  capacityGb: number;
  /** The volume type volumes of this pool are created with; null for reservations naming no type. */
  volumeType: string | null;
  createdAt: Date;
  updatedAt: Date | null;
}

export interface VolumeAllocationRecord {
  reservationId: string;
  leaseId: string;
  poolId: string;
  amount: number;
  sizeGb: number;
  startDate: Date;
  endDate: Date;
}

export interface FreePoolQuery {
  window: Window;
  /** Only pools of this volume type; undefined: any pool. */
  volumeType?: string | null;
  /** This reservation's own allocation does not count as taken (re-allocation on update). */
  ignoreReservationId?: string;
  onlyPoolIds?: readonly string[];
}

export interface PoolFree {
  poolId: string;
  name: string;
  capacityGb: number;
  freeGb: number;
}

function toPool(row: Record<string, unknown>): VolumePoolRecord {
  return {
    id: String(row.id),
    name: String(row.name),
    capacityGb: Number(row.capacity_gb),
    volumeType: row.volume_type === null || row.volume_type === undefined ? null : String(row.volume_type),
    createdAt: fromSqlDate(row.created_at),
    updatedAt: row.updated_at === null || row.updated_at === undefined ? null : fromSqlDate(row.updated_at),
  };
}

function toAllocation(row: Record<string, unknown>): VolumeAllocationRecord {
  return {
    reservationId: String(row.reservation_id),
    leaseId: String(row.lease_id),
    poolId: String(row.pool_id),
    amount: Number(row.amount),
    sizeGb: Number(row.size_gb),
    startDate: fromSqlDate(row.start_date),
    endDate: fromSqlDate(row.end_date),
  };
}

const POOL_COLUMNS = 'id, name, capacity_gb, volume_type, created_at, updated_at';

/**
 * Volume pools and the gigabytes virtual:volume reservations hold on them. A pool's free space over a window
 * is its capacity minus the peak of what overlapping allocations hold: usage only rises when an allocation
 * starts, so it is summed at the window's start and at every allocation start inside the window.
 */
export class VolumePoolRepository {
  constructor(private readonly db: Database) {}

  async list(tx?: Tx): Promise<VolumePoolRecord[]> {
    return (await this.db.select(`SELECT ${POOL_COLUMNS} FROM volume_pools ORDER BY name`, [], tx)).map(toPool);
  }

  async get(id: string, tx?: Tx): Promise<VolumePoolRecord | null> {
    const [row] = await this.db.select(`SELECT ${POOL_COLUMNS} FROM volume_pools WHERE id = ?`, [id], tx);
    return row ? toPool(row) : null;
  }

  async findByName(name: string, tx?: Tx): Promise<VolumePoolRecord | null> {
    const [row] = await this.db.select(`SELECT ${POOL_COLUMNS} FROM volume_pools WHERE name = ?`, [name], tx);
    return row ? toPool(row) : null;
  }

  async insert(tx: Tx, pool: VolumePoolRecord): Promise<void> {
    await this.db.execute(
      'INSERT INTO volume_pools (id, name, capacity_gb, volume_type, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
      [pool.id, pool.name, pool.capacityGb, pool.volumeType, sqlDate(pool.createdAt), sqlDate(pool.updatedAt)], tx);
  }

  async updateCapacity(tx: Tx, id: string, capacityGb: number, updatedAt: Date): Promise<void> {
    await this.db.execute('UPDATE volume_pools SET capacity_gb = ?, updated_at = ? WHERE id = ?', [capacityGb, sqlDate(updatedAt), id], tx);
  }

  async delete(tx: Tx, id: string): Promise<void> {
    await this.db.execute('DELETE FROM volume_pools WHERE id = ?', [id], tx);
  }

  /** Locks pool rows in id order (no-op on SQLite, whose single writer serialises); returns the ids locked. */
  async lockPools(tx: Tx, poolIds: readonly string[], options: { skipLocked?: boolean } = {}): Promise<string[]> {
    if (!poolIds.length || this.db.dialect === 'sqlite') return [...poolIds];
    const sorted = [...new Set(poolIds)].sort();
    const rows = await this.db.select<{ id: string }>(
      `SELECT id FROM volume_pools WHERE id IN (${placeholders(sorted.length)}) ORDER BY id FOR UPDATE${options.skipLocked ? ' SKIP LOCKED' : ''}`,
      sorted, tx);
    const locked = rows.map((r) => String(r.id));
    // Row locks are not replicated by Galera: writing the rows makes two nodes' bookings of one pool conflict.
    await bumpVersions(this.db, tx, 'volume_pools', locked);
    return locked;
  }

  /** Every matching pool with its free gigabytes over the window (may be 0 or less after a capacity cut), by name. */
  async free(tx: Tx | undefined, q: FreePoolQuery): Promise<PoolFree[]> {
    const start = sqlDate(q.window.start);
    const end = sqlDate(q.window.end);
    const others = q.ignoreReservationId ? ' AND reservation_id <> ?' : '';
    const othersA = q.ignoreReservationId ? ' AND a.reservation_id <> ?' : '';
    const ignore = q.ignoreReservationId ? [q.ignoreReservationId] : [];
    const at = this.db.dateParam;
    const usage = `SELECT p.pool_id, p.at, SUM(a.amount * a.size_gb) AS gb
      FROM (SELECT pool_id, start_date AS at FROM volume_allocations WHERE start_date > ? AND start_date < ?${others}
            UNION SELECT pool_id, ${at} AS at FROM volume_allocations WHERE start_date <= ? AND end_date > ?${others}) p
      JOIN volume_allocations a ON a.pool_id = p.pool_id AND a.start_date <= p.at AND a.end_date > p.at${othersA}
      GROUP BY p.pool_id, p.at`;
    const params: unknown[] = [start, end, ...ignore, start, start, start, ...ignore, ...ignore];
    const where: string[] = [];
    if (q.volumeType !== undefined) {
      if (q.volumeType === null) where.push('v.volume_type IS NULL');
      else { where.push('v.volume_type = ?'); params.push(q.volumeType); }
    }
    if (q.onlyPoolIds) {
      if (!q.onlyPoolIds.length) return [];
      where.push(`v.id IN (${placeholders(q.onlyPoolIds.length)})`);
      params.push(...q.onlyPoolIds);
    }
    const rows = await this.db.select<{ id: string; name: string; capacity_gb: number; used: number | null }>(
      `SELECT v.id, v.name, v.capacity_gb, used.gb AS used FROM volume_pools v
       LEFT JOIN (SELECT u.pool_id, MAX(u.gb) AS gb FROM (${usage}) u GROUP BY u.pool_id) used ON used.pool_id = v.id`
      + `${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY v.name`, params, tx);
    return rows.map((r) => ({ poolId: String(r.id), name: String(r.name), capacityGb: Number(r.capacity_gb), freeGb: Number(r.capacity_gb) - Number(r.used ?? 0) }));
  }

  /**
   * What availability searches read: the pools of a volume type (undefined: any) and every allocation of theirs
   * touching the horizon, as GiB held from start to end (ms). Two queries, however many windows are tried.
   */
  async timeline(tx: Tx | undefined, volumeType: string | null | undefined, horizon: Window):
  Promise<{ pools: { id: string; name: string; capacityGb: number }[]; bookings: { poolId: string; start: number; end: number; gb: number }[] }> {
    const where = volumeType === undefined ? '' : volumeType === null ? ' WHERE v.volume_type IS NULL' : ' WHERE v.volume_type = ?';
    const typeParams = typeof volumeType === 'string' ? [volumeType] : [];
    const pools = await this.db.selectMany<Record<string, unknown>>(`SELECT v.id, v.name, v.capacity_gb FROM volume_pools v${where}`, typeParams, tx);
    const rows = await this.db.selectMany<Record<string, unknown>>(
      `SELECT a.pool_id, a.start_date, a.end_date, a.amount * a.size_gb AS gb FROM volume_allocations a JOIN volume_pools v ON v.id = a.pool_id
       ${where ? `${where} AND` : 'WHERE'} a.start_date < ? AND a.end_date > ?`,
      [...typeParams, sqlDate(horizon.end), sqlDate(horizon.start)], tx);
    return {
      pools: pools.map((r) => ({ id: String(r.id), name: String(r.name), capacityGb: Number(r.capacity_gb) })),
      bookings: rows.map((r) => ({
        poolId: String(r.pool_id), start: fromSqlDate(r.start_date).getTime(), end: fromSqlDate(r.end_date).getTime(), gb: Number(r.gb),
      })),
    };
  }

  /** Whether any allocation on the pool ends after `now` (running or future reservations). */
  async inUse(tx: Tx | undefined, poolId: string, now: Date): Promise<number> {
    const [row] = await this.db.select<{ n: number }>(
      'SELECT COUNT(*) AS n FROM volume_allocations WHERE pool_id = ? AND end_date > ?', [poolId, sqlDate(now)], tx);
    return Number(row.n);
  }

  /** Drops the allocations of reservations that ended (before the pool itself is deleted). */
  async removeEnded(tx: Tx, poolId: string): Promise<void> {
    await this.db.execute('DELETE FROM volume_allocations WHERE pool_id = ?', [poolId], tx);
  }

  async insertAllocation(tx: Tx, a: Omit<VolumeAllocationRecord, 'startDate' | 'endDate'>, window: Window): Promise<void> {
    await this.db.execute(
      'INSERT INTO volume_allocations (reservation_id, lease_id, pool_id, amount, size_gb, start_date, end_date) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [a.reservationId, a.leaseId, a.poolId, a.amount, a.sizeGb, sqlDate(window.start), sqlDate(window.end)], tx);
  }

  async removeReservation(tx: Tx, reservationId: string): Promise<void> {
    await this.db.execute('DELETE FROM volume_allocations WHERE reservation_id = ?', [reservationId], tx);
  }

  async allocations(filter: { reservationId?: string; poolId?: string } = {}, tx?: Tx): Promise<VolumeAllocationRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.reservationId !== undefined) { where.push('reservation_id = ?'); params.push(filter.reservationId); }
    if (filter.poolId !== undefined) { where.push('pool_id = ?'); params.push(filter.poolId); }
    const rows = await this.db.select(
      'SELECT reservation_id, lease_id, pool_id, amount, size_gb, start_date, end_date FROM volume_allocations'
      + `${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY start_date, id`, params, tx);
    return rows.map(toAllocation);
  }
}
