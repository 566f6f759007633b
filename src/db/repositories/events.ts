import type { Database, Tx } from '../database';
import { canonicalJson, jsonText } from '../json-text';
import type { LeaseIdsSql } from './leases';
import type { EventRecord, EventStatus } from '../records';
import { fromSqlDate, placeholders, sqlDate } from '../sql-values';

const COLUMNS = 'id, lease_id, event_type, sequence, time, status, claimed_by, claim_expires_at, attempts, last_error, '
  + 'created_at, updated_at';

function toEvent(row: Record<string, unknown>): EventRecord {
  return {
    id: String(row.id),
    leaseId: String(row.lease_id),
    eventType: String(row.event_type),
    sequence: Number(row.sequence),
    time: fromSqlDate(row.time),
    status: row.status as EventStatus,
    claimedBy: row.claimed_by == null ? null : String(row.claimed_by),
    claimExpiresAt: row.claim_expires_at == null ? null : fromSqlDate(row.claim_expires_at),
    attempts: Number(row.attempts),
    lastError: row.last_error == null ? null : String(row.last_error),
    createdAt: fromSqlDate(row.created_at),
    updatedAt: row.updated_at == null ? null : fromSqlDate(row.updated_at),
  };
}

/**
 * An event may run when it is due and no earlier event of the same lease is still waiting or running:
 * that keeps one lease's events in time order across any number of managers.
 */
const RUNNABLE = `
  e.time <= ? AND (e.retry_at IS NULL OR e.retry_at <= ?) AND (e.status = 'UNDONE' OR (e.status = 'IN_PROGRESS' AND e.claim_expires_at < ?))
  AND NOT EXISTS (
    SELECT 1 FROM events p WHERE p.lease_id = e.lease_id AND p.id <> e.id
      AND p.status IN ('UNDONE', 'IN_PROGRESS')
      AND (p.time < e.time OR (p.time = e.time AND p.sequence < e.sequence)))`;

export class EventRepository {
  constructor(private readonly db: Database) {}

  async insert(tx: Tx, e: EventRecord): Promise<void> {
    await this.insertMany(tx, [e]);
  }

  /** Inserts events in one statement. */
  async insertMany(tx: Tx, events: readonly EventRecord[]): Promise<void> {
    if (!events.length) return;
    const row = `(${placeholders(12)})`;
    await this.db.execute(
      `INSERT INTO events (${COLUMNS}) VALUES ${events.map(() => row).join(', ')}`,
      events.flatMap((e) => [e.id, e.leaseId, e.eventType, e.sequence, sqlDate(e.time), e.status, e.claimedBy,
        sqlDate(e.claimExpiresAt), e.attempts, e.lastError, sqlDate(e.createdAt), sqlDate(e.updatedAt)]),
      tx,
    );
  }

  async listByLeases(leaseIds: readonly string[], tx?: Tx): Promise<EventRecord[]> {
    if (!leaseIds.length) return [];
    const rows = await this.db.selectMany(
      `SELECT ${COLUMNS} FROM events WHERE lease_id IN (${placeholders(leaseIds.length)}) ORDER BY time, sequence`,
      leaseIds, tx);
    return rows.map(toEvent);
  }

  /**
   * The events of each given lease as the API shows them (renderEvent), as the JSON text of an array, in time
   * order; leases without events are absent. One statement, one row per lease (see json-text.ts).
   */
  async listJsonByLeases(leases: LeaseIdsSql, tx?: Tx): Promise<Map<string, string>> {
    const j = jsonText(this.db.dialect);
    const event = j.object([
      ['id', j.quote('id')], ['lease_id', j.quote('lease_id')], ['event_type', j.quote('event_type')],
      ['time', j.quote(j.leaseDate('time'))], ['status', j.quote('status')],
      ['created_at', j.quote(j.timestamp('created_at'))], ['updated_at', j.quote(j.timestamp('updated_at'))],
    ]);
    const rows = await this.db.selectMany<{ lease_id: string; events: string }>(
      `SELECT lease_id, ${j.joined(event, 'time, sequence')} AS events FROM events `
      + `WHERE lease_id IN (${leases.sql}) GROUP BY lease_id`,
      leases.params, tx);
    return new Map(rows.map((row) => [String(row.lease_id), canonicalJson(`[${String(row.events)}]`)]));
  }

  async getMany(ids: readonly string[]): Promise<EventRecord[]> {
    if (!ids.length) return [];
    return (await this.db.selectMany(`SELECT ${COLUMNS} FROM events WHERE id IN (${placeholders(ids.length)})`, ids)).map(toEvent);
  }

  async get(id: string, tx?: Tx): Promise<EventRecord | null> {
    const rows = await this.db.select(`SELECT ${COLUMNS} FROM events WHERE id = ?`, [id], tx);
    return rows.length ? toEvent(rows[0]) : null;
  }

  /**
   * Moves an event. One moved into the future runs (again) then, even if it had run: a lease extended past
   * its before_end notice gets a new notice. One moved within the past keeps its status.
   */
  async reschedule(tx: Tx, id: string, time: Date, now: Date): Promise<void> {
    const rerun = time > now;
    await this.db.execute(
      `UPDATE events SET time = ?, updated_at = ?${rerun ? ", status = CASE WHEN status = 'IN_PROGRESS' THEN status ELSE 'UNDONE' END, attempts = 0, retry_at = NULL, last_error = NULL" : ''} WHERE id = ?`,
      [sqlDate(time), sqlDate(now), id], tx);
  }

  /** Makes a failed event runnable again at once (a lease in ERROR repaired by an update). */
  async retry(tx: Tx, id: string, now: Date): Promise<void> {
    await this.db.execute(
      "UPDATE events SET status = 'UNDONE', attempts = 0, retry_at = NULL, last_error = NULL, updated_at = ? WHERE id = ? AND status = 'ERROR'",
      [sqlDate(now), id], tx);
  }

  async delete(tx: Tx, id: string): Promise<void> {
    await this.db.execute('DELETE FROM events WHERE id = ?', [id], tx);
  }

  /** Ids of events that may run now, oldest first. */
  async findRunnable(now: Date, limit: number): Promise<string[]> {
    const at = sqlDate(now);
    const rows = await this.db.select<{ id: string }>(
      `SELECT e.id FROM events e WHERE ${RUNNABLE} ORDER BY e.time, e.sequence LIMIT ${Math.floor(limit)}`, [at, at, at]);
    return rows.map((r) => String(r.id));
  }

  /**
   * The earliest time at which something waits to run: an event's due time, a failed event's retry, or a claim
   * that will expire; with `after`, the earliest later than that (what is past but blocked behind an earlier event
   * of its lease is not a reason to wake). One statement that reads the first entry of three index ranges, however
   * many events wait: every manager asks it after each event and at each poll.
   */
  async nextWakeUp(after?: Date): Promise<Date | null> {
    const bound = after ? sqlDate(after) : null;
    const later = (column: string) => (bound ? ` AND ${column} > ?` : '');
    // A waiting retry's event time is earlier than its retry: the due time is read among events with no retry pending.
    // selectMany: the runner's look after every event it runs, without Sequelize's query layer (one row).
    const [row] = await this.db.selectMany<{ t: unknown; r: unknown; c: unknown }>(
      `SELECT (SELECT time FROM events WHERE status = 'UNDONE' AND (retry_at IS NULL OR retry_at <= time)${later('time')}
               ORDER BY status, time LIMIT 1) AS t,
              (SELECT MIN(retry_at) FROM events WHERE status = 'UNDONE' AND retry_at IS NOT NULL${later('retry_at')}) AS r,
              (SELECT MIN(claim_expires_at) FROM events WHERE status = 'IN_PROGRESS'${later('claim_expires_at')}) AS c`,
      bound ? [bound, bound, bound] : []);
    const times = [row?.t, row?.r, row?.c].filter((v) => v != null).map((v) => fromSqlDate(v).getTime());
    return times.length ? new Date(Math.min(...times)) : null;
  }

  /**
   * Claims a runnable event for `owner` until `expiresAt` with one conditional UPDATE; true when this caller
   * won it. A claim left by a crashed manager has expired and can be taken again.
   */
  async claim(id: string, owner: string, now: Date, expiresAt: Date): Promise<boolean> {
    const at = sqlDate(now);
    // The event row is locked first, so concurrent claimers queue on it: on its own, the UPDATE below share-locks
    // the row in its subquery and then wants it exclusively, and two claimers doing that deadlock. The
    // transaction also retries a deadlock with a lease update that is moving this lease's events.
    return this.db.transaction(async (tx) => {
      await this.db.select(`SELECT id FROM events WHERE id = ?${this.db.forUpdate}`, [id], tx);
      // MySQL cannot read the table an UPDATE writes in a subquery; the derived table works around that.
      const changed = await this.db.execute(
        `UPDATE events SET status = 'IN_PROGRESS', claimed_by = ?, claim_expires_at = ?, updated_at = ?
         WHERE id = ? AND id IN (SELECT id FROM (SELECT e.id FROM events e WHERE e.id = ? AND ${RUNNABLE}) AS runnable)`,
        [owner, sqlDate(expiresAt), at, id, id, at, at, at], tx);
      return changed > 0;
    });
  }

  /**
   * Claims up to `limit` events that may run now, oldest first, for `owner` until `expiresAt`, in one transaction
   * whatever their number: what a manager takes when a timer it set to their due time fires. Returns the ids this
   * caller won, and whether others were claiming the same events at that moment (look again at once: what they
   * leave is free once they commit). The oldest due events are read, then locked in id order passing over rows
   * another manager holds (SKIP LOCKED; SQLite's IMMEDIATE transaction lets one claimer in at a time), so managers
   * whose timers fire together take different events rather than queue on the same ones; the UPDATE re-checks
   * that each is still runnable.
   */
  async claimDue(owner: string, now: Date, expiresAt: Date, limit: number, dueBy: Date = now): Promise<{ claimed: string[]; contended: boolean }> {
    const at = sqlDate(now);
    // `dueBy` later than now: events due within that look-ahead are claimed too (run at their time by the claimer).
    // Retries and expired claims are judged at now.
    const runnable = [sqlDate(dueBy), at, at];
    const want = Math.max(1, Math.floor(limit));
    return this.db.transaction(async (tx) => {
      // Twice as many as wanted: what a manager claiming at the same moment takes first, the other takes after.
      const due = await this.db.select<{ id: unknown }>(
        `SELECT e.id FROM events e WHERE ${RUNNABLE} ORDER BY e.time, e.sequence LIMIT ${2 * want}`, runnable, tx);
      if (!due.length) return { claimed: [], contended: false };
      let ids = due.map((row) => String(row.id));
      if (this.db.dialect === 'sqlite') {
        ids = ids.slice(0, want);
      } else {
        // In primary-key order with a LIMIT: only the rows taken are locked (a sort would lock every candidate).
        const locked = await this.db.select<{ id: unknown }>(
          `SELECT id FROM events WHERE id IN (${placeholders(ids.length)}) ORDER BY id LIMIT ${want} FOR UPDATE SKIP LOCKED`, ids, tx);
        const mine = new Set(locked.map((row) => String(row.id)));
        ids = ids.filter((id) => mine.has(id));
      }
      const contended = ids.length < Math.min(want, due.length);
      if (!ids.length) return { claimed: [], contended };
      const list = placeholders(ids.length);
      const changed = await this.db.execute(
        `UPDATE events SET status = 'IN_PROGRESS', claimed_by = ?, claim_expires_at = ?, updated_at = ?
         WHERE id IN (${list}) AND id IN (SELECT id FROM (SELECT e.id FROM events e WHERE e.id IN (${list}) AND ${RUNNABLE}) AS runnable)`,
        [owner, sqlDate(expiresAt), at, ...ids, ...ids, ...runnable], tx);
      if (changed === ids.length) return { claimed: ids, contended };
      const won = changed === 0 ? [] : await this.db.select<{ id: unknown }>(
        `SELECT id FROM events WHERE id IN (${list}) AND claimed_by = ? AND claim_expires_at = ? AND status = 'IN_PROGRESS'`,
        [...ids, owner, sqlDate(expiresAt)], tx);
      const wonIds = new Set(won.map((row) => String(row.id)));
      return { claimed: ids.filter((id) => wonIds.has(id)), contended: true };
    });
  }

  /** Extends a claim still held by `owner`; false when the claim was lost. */
  async extendClaim(id: string, owner: string, expiresAt: Date): Promise<boolean> {
    return (await this.db.execute(
      "UPDATE events SET claim_expires_at = ? WHERE id = ? AND claimed_by = ? AND status = 'IN_PROGRESS'",
      [sqlDate(expiresAt), id, owner])) > 0;
  }

  /**
   * Ends a claim: DONE or ERROR, or back to UNDONE with `retryAt` for another attempt. Only the owner may,
   * so a manager whose claim expired and was taken over cannot overwrite the new owner's outcome.
   */
  async finish(tx: Tx | undefined, id: string, owner: string,
    outcome: { status: EventStatus; now: Date; error?: string; retryAt?: Date; dueAt?: Date }): Promise<boolean> {
    // `dueAt`: only if the event is still due then (a lease update moving it keeps the claim, not the time).
    return (await this.db.execute(
      `UPDATE events SET status = ?, claimed_by = NULL, claim_expires_at = NULL, last_error = ?, updated_at = ?,
         attempts = attempts + ?, retry_at = ?
       WHERE id = ? AND claimed_by = ? AND status = 'IN_PROGRESS'${outcome.dueAt ? ' AND time = ?' : ''}`,
      [outcome.status, outcome.error ?? null, sqlDate(outcome.now), outcome.error ? 1 : 0,
        sqlDate(outcome.retryAt ?? null), id, owner, ...(outcome.dueAt ? [sqlDate(outcome.dueAt)] : [])], tx)) > 0;
  }

  /** Gives back some of `owner`'s claims (events claimed ahead that it could not prepare). */
  async releaseClaimsOf(ids: readonly string[], owner: string, now: Date): Promise<number> {
    if (!ids.length) return 0;
    return this.db.execute(
      "UPDATE events SET status = 'UNDONE', claimed_by = NULL, claim_expires_at = NULL, updated_at = ? "
      + `WHERE id IN (${placeholders(ids.length)}) AND claimed_by = ? AND status = 'IN_PROGRESS'`, [sqlDate(now), ...ids, owner]);
  }

  /** Releases every claim of `owner` (clean shutdown) so other managers take them at once. */
  async releaseClaims(owner: string, now: Date): Promise<number> {
    return this.db.execute(
      "UPDATE events SET status = 'UNDONE', claimed_by = NULL, claim_expires_at = NULL, updated_at = ? "
      + "WHERE claimed_by = ? AND status = 'IN_PROGRESS'", [sqlDate(now), owner]);
  }
}
