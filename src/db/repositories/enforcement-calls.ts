import type { Database, Tx } from '../database';
import { fromSqlDate, sqlDate } from '../sql-values';

/** A call to the usage enforcement service waiting to be sent (see migration 201). */
export interface EnforcementCallRecord {
  id: number;
  leaseId: string;
  /** The call's name in Blazar's contract: "on-end". */
  kind: string;
  /** The JSON body, as it was when the lease ended. */
  body: string;
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  createdAt: Date;
}

const COLUMNS = 'id, lease_id, kind, body, status, attempts, next_attempt_at, last_error, created_at';

function toRecord(r: Record<string, unknown>): EnforcementCallRecord {
  return {
    id: Number(r.id), leaseId: String(r.lease_id), kind: String(r.kind), body: String(r.body),
    status: String(r.status) as EnforcementCallRecord['status'], attempts: Number(r.attempts),
    nextAttemptAt: fromSqlDate(r.next_attempt_at), lastError: r.last_error == null ? null : String(r.last_error),
    createdAt: fromSqlDate(r.created_at),
  };
}

export class EnforcementCallRepository {
  constructor(private readonly db: Database) {}

  /** Adds a call in the caller's transaction, due at once: it exists exactly when the change it reports does. */
  async add(tx: Tx, call: { leaseId: string; kind: string; body: string; now: Date }): Promise<void> {
    await this.db.insert(
      'INSERT INTO enforcement_calls (lease_id, kind, body, status, attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, 0, ?, ?)',
      [call.leaseId, call.kind, call.body, 'pending', sqlDate(call.now), sqlDate(call.now)], tx);
  }

  /** Ids of pending calls due by `now`, oldest first. */
  async due(now: Date, limit: number): Promise<number[]> {
    const rows = await this.db.select<{ id: number }>(
      `SELECT id FROM enforcement_calls WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ${Math.floor(limit)}`,
      [sqlDate(now)]);
    return rows.map((r) => Number(r.id));
  }

  /**
   * Takes a due call for `claimMs` by moving its due time forward (compare-and-set on the due time read), so
   * that no other manager sends it meanwhile; a manager that dies leaves it due again when the claim runs out.
   * Returns the call, or null when another manager took it first.
   */
  async claim(id: number, now: Date, claimMs: number): Promise<EnforcementCallRecord | null> {
    const [row] = await this.db.select(`SELECT ${COLUMNS} FROM enforcement_calls WHERE id = ?`, [id]);
    if (!row) return null;
    const call = toRecord(row);
    if (call.status !== 'pending' || call.nextAttemptAt > now) return null;
    const taken = await this.db.execute(
      'UPDATE enforcement_calls SET next_attempt_at = ?, updated_at = ? WHERE id = ? AND status = ? AND next_attempt_at = ?',
      [sqlDate(new Date(now.getTime() + claimMs)), sqlDate(now), id, 'pending', sqlDate(call.nextAttemptAt)]);
    return taken ? call : null;
  }

  async markSent(id: number, now: Date): Promise<void> {
    await this.db.execute('UPDATE enforcement_calls SET status = ?, attempts = attempts + 1, last_error = NULL, updated_at = ? WHERE id = ?',
      ['sent', sqlDate(now), id]);
  }

  /** Records a failed attempt: due again at `retryAt`, or given up (`failed`) when retryAt is null. */
  async markFailed(id: number, error: string, now: Date, retryAt: Date | null): Promise<void> {
    await this.db.execute(
      'UPDATE enforcement_calls SET status = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?',
      [retryAt ? 'pending' : 'failed', error.slice(0, 2000), sqlDate(retryAt ?? now), sqlDate(now), id]);
  }

  /** Every call of a lease, oldest first (tests, operators' investigations). */
  async listByLease(leaseId: string): Promise<EnforcementCallRecord[]> {
    const rows = await this.db.select(`SELECT ${COLUMNS} FROM enforcement_calls WHERE lease_id = ? ORDER BY id`, [leaseId]);
    return rows.map(toRecord);
  }
}
