import type { Database, Tx } from './database';
import { placeholders } from './sql-values';

/** The tables whose rows every booking of them writes (migration 009's allocation_version). */
export type BookedTable = 'hosts' | 'floatingips' | 'volume_pools';

/**
 * Raises allocation_version on the rows a transaction books, in id order (the order their locks were taken).
 * Row locks serialise bookings on one server; a Galera cluster certifies write sets instead and does not see
 * locks, so two nodes' transactions that only insert different allocation rows for one resource would both
 * commit. With the resource's own row in both write sets, the later one fails certification (a deadlock error
 * at commit, which Database.transaction retries) and, run again, sees the earlier one's booking. SQLite's
 * single writer needs none of it.
 */
export async function bumpVersions(db: Database, tx: Tx, table: BookedTable, ids: readonly (number | string)[]): Promise<void> {
  if (!ids.length || db.dialect === 'sqlite') return;
  await db.execute(`UPDATE ${table} SET allocation_version = allocation_version + 1 WHERE id IN (${placeholders(ids.length)})`,
    [...ids], tx);
}
