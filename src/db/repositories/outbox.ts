import type { Database, Tx } from '../database';
import type { OutboxRecord } from '../records';
import { fromSqlDate, placeholders, sqlDate } from '../sql-values';

export class OutboxRepository {
  constructor(private readonly db: Database) {}

  /** Adds a notification in the caller's transaction: it exists exactly when the change it reports does. */
  async add(tx: Tx, n: Omit<OutboxRecord, 'id' | 'attempts' | 'nextAttemptAt'>): Promise<void> {
    await this.db.insert(
      'INSERT INTO notifications (message_id, lease_id, event_type, priority, payload, created_at, attempts) '
      + 'VALUES (?, ?, ?, ?, ?, ?, 0)',
      [n.messageId, n.leaseId, n.eventType, n.priority, n.payload, sqlDate(n.createdAt)], tx);
  }

  /**
   * Unsent notifications, oldest first. A row waiting for its retry time stays in the list so that the
   * dispatcher stops there and later rows do not overtake it.
   */
  async pending(limit: number): Promise<OutboxRecord[]> {
    // selectMany: the dispatcher reads this after every event, without Sequelize's query layer and date parsing.
    const rows = await this.db.selectMany(
      'SELECT id, message_id, lease_id, event_type, priority, payload, created_at, attempts, next_attempt_at '
      + `FROM notifications WHERE sent_at IS NULL ORDER BY id LIMIT ${Math.floor(limit)}`);
    return rows.map((r) => ({
      id: Number(r.id), messageId: String(r.message_id), leaseId: r.lease_id == null ? null : String(r.lease_id),
      eventType: String(r.event_type), priority: String(r.priority), payload: String(r.payload),
      createdAt: fromSqlDate(r.created_at), attempts: Number(r.attempts),
      nextAttemptAt: r.next_attempt_at == null ? null : fromSqlDate(r.next_attempt_at),
    }));
  }

  async markSent(ids: readonly number[], now: Date): Promise<void> {
    if (!ids.length) return;
    await this.db.execute(`UPDATE notifications SET sent_at = ? WHERE id IN (${placeholders(ids.length)})`, [sqlDate(now), ...ids]);
  }

  async markFailed(id: number, retryAt: Date): Promise<void> {
    await this.db.execute('UPDATE notifications SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ?', [sqlDate(retryAt), id]);
  }

  async pruneSentBefore(cutoff: Date): Promise<number> {
    return this.db.execute('DELETE FROM notifications WHERE sent_at IS NOT NULL AND sent_at < ?', [sqlDate(cutoff)]);
  }

  async countUnsent(): Promise<number> {
    const [row] = await this.db.select<{ n: number }>('SELECT COUNT(*) AS n FROM notifications WHERE sent_at IS NULL');
    return Number(row.n);
  }
}
