import type { Database, Tx } from '../database';
import type { LeaseRecord, LeaseStatus } from '../records';
import { canonicalJson, jsonText } from '../json-text';
import { fromSqlBool, fromSqlDate, placeholders, sqlBool, sqlDate } from '../sql-values';

const COLUMNS = 'id, name, user_id, project_id, trust_id, start_date, end_date, before_end_date, before_start_date, '
  + 'status, status_reason, degraded, created_at, updated_at';

type Row = Record<string, unknown>;

function toLease(row: Row): LeaseRecord {
  return {
    id: String(row.id),
    name: String(row.name),
    userId: row.user_id == null ? null : String(row.user_id),
    projectId: String(row.project_id),
    trustId: row.trust_id == null ? null : String(row.trust_id),
    startDate: fromSqlDate(row.start_date),
    endDate: fromSqlDate(row.end_date),
    beforeEndDate: row.before_end_date == null ? null : fromSqlDate(row.before_end_date),
    beforeStartDate: row.before_start_date == null ? null : fromSqlDate(row.before_start_date),
    status: row.status as LeaseStatus,
    statusReason: row.status_reason == null ? null : String(row.status_reason),
    degraded: fromSqlBool(row.degraded),
    createdAt: fromSqlDate(row.created_at),
    updatedAt: row.updated_at == null ? null : fromSqlDate(row.updated_at),
  };
}

export interface LeaseListQuery {
  projectId?: string;
  status?: string;
  name?: string;
  /** Return rows after this lease in list order. */
  after?: { createdAt: Date; id: string };
  limit?: number;
}

/** A SELECT of lease ids and its parameters, to be used as `lease_id IN (sql)`. */
export interface LeaseIdsSql {
  sql: string;
  params: unknown[];
}

/** A listed lease as JSON text (LeaseRepository.listJson), with what paging needs. */
export interface LeaseJson {
  id: string;
  /** created_at as the driver gave it (a Date, or SQLite's text). */
  createdAtSql: unknown;
  /** `{"id":...,"updated_at":...`: the lease's own fields, not closed. */
  text: string;
}

/** The list's SELECT: `columns` of the leases matching `query`, in list order, after its marker, up to its limit. */
function listSql(columns: string, query: LeaseListQuery): { sql: string; params: unknown[] } {
  const { where, params } = filters(query);
  if (query.after) {
    where.push('(created_at > ? OR (created_at = ? AND id > ?))');
    const at = sqlDate(query.after.createdAt);
    params.push(at, at, query.after.id);
  }
  const limit = query.limit === undefined ? '' : ` LIMIT ${Math.floor(query.limit)}`;
  const sql = `SELECT ${columns} FROM leases${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, id${limit}`;
  return { sql, params };
}

function filters(query: LeaseListQuery): { where: string[]; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (query.projectId !== undefined) { where.push('project_id = ?'); params.push(query.projectId); }
  if (query.status !== undefined) { where.push('status = ?'); params.push(query.status); }
  if (query.name !== undefined) { where.push('name = ?'); params.push(query.name); }
  return { where, params };
}

/** Writable lease fields (everything but id and created_at). */
export type LeaseChanges = Partial<Omit<LeaseRecord, 'id' | 'createdAt'>>;

const FIELD_COLUMNS: Record<keyof LeaseChanges, string> = {
  name: 'name', userId: 'user_id', projectId: 'project_id', trustId: 'trust_id', startDate: 'start_date',
  endDate: 'end_date', beforeEndDate: 'before_end_date', beforeStartDate: 'before_start_date', status: 'status',
  statusReason: 'status_reason', degraded: 'degraded', updatedAt: 'updated_at',
};

function toSql(value: unknown): unknown {
  if (value instanceof Date) return sqlDate(value);
  if (typeof value === 'boolean') return sqlBool(value);
  return value ?? null;
}

export class LeaseRepository {
  constructor(private readonly db: Database) {}

  async insert(tx: Tx, lease: LeaseRecord): Promise<void> {
    await this.db.insert(
      `INSERT INTO leases (${COLUMNS}) VALUES (${placeholders(14)})`,
      [lease.id, lease.name, lease.userId, lease.projectId, lease.trustId, sqlDate(lease.startDate),
        sqlDate(lease.endDate), sqlDate(lease.beforeEndDate), sqlDate(lease.beforeStartDate), lease.status,
        lease.statusReason, sqlBool(lease.degraded), sqlDate(lease.createdAt), sqlDate(lease.updatedAt)],
      tx,
    );
  }

  async get(id: string, tx?: Tx): Promise<LeaseRecord | null> {
    const rows = await this.db.select(`SELECT ${COLUMNS} FROM leases WHERE id = ?`, [id], tx);
    return rows.length ? toLease(rows[0]) : null;
  }

  async getMany(ids: readonly string[]): Promise<LeaseRecord[]> {
    if (!ids.length) return [];
    return (await this.db.selectMany(`SELECT ${COLUMNS} FROM leases WHERE id IN (${placeholders(ids.length)})`, ids)).map(toLease);
  }

  /** Reads the lease and locks its row until the transaction ends, so concurrent updates serialise. */
  async getForUpdate(tx: Tx, id: string): Promise<LeaseRecord | null> {
    const rows = await this.db.select(`SELECT ${COLUMNS} FROM leases WHERE id = ?${this.db.forUpdate}`, [id], tx);
    return rows.length ? toLease(rows[0]) : null;
  }

  async findByName(name: string, projectId?: string, tx?: Tx): Promise<LeaseRecord[]> {
    const where = projectId === undefined ? 'name = ?' : 'name = ? AND project_id = ?';
    const params = projectId === undefined ? [name] : [name, projectId];
    return (await this.db.select(`SELECT ${COLUMNS} FROM leases WHERE ${where}`, params, tx)).map(toLease);
  }

  async list(query: LeaseListQuery): Promise<LeaseRecord[]> {
    const { sql, params } = listSql(COLUMNS, query);
    return (await this.db.selectMany(sql, params)).map(toLease);
  }

  /**
   * `list` as JSON text: each lease's own fields as the API shows them (renderLease), `{"id":...,"updated_at":...`
   * without its reservations, events and closing brace (see json-text.ts).
   */
  async listJson(query: LeaseListQuery): Promise<LeaseJson[]> {
    const j = jsonText(this.db.dialect);
    const text = j.object([
      ['id', j.quote('id')], ['name', j.quote('name')], ['user_id', j.quote('user_id')], ['project_id', j.quote('project_id')],
      ['trust_id', j.quote('trust_id')], ['start_date', j.quote(j.leaseDate('start_date'))], ['end_date', j.quote(j.leaseDate('end_date'))],
      ['before_end_date', j.quote(j.leaseDate('before_end_date'))], ['before_start_date', j.quote(j.leaseDate('before_start_date'))],
      ['status', j.quote('status')], ['status_reason', j.quote('status_reason')], ['degraded', j.bool('degraded')],
      ['created_at', j.quote(j.timestamp('created_at'))], ['updated_at', j.quote(j.timestamp('updated_at'))],
    ], false);
    const { sql, params } = listSql(`id, created_at, ${text} AS text`, query);
    const rows = await this.db.selectMany<{ id: string; created_at: unknown; text: string }>(sql, params);
    return rows.map((row) => ({ id: String(row.id), createdAtSql: row.created_at, text: canonicalJson(String(row.text), false) }));
  }

  /**
   * The ids of a listed page, for the statements that read the page's reservations and events: on SQLite a
   * subquery of the range from its first to its last lease in list order, read again by the database rather than
   * sent a thousand ids (a range rather than the page's LIMIT, so that a lease written meanwhile cannot push one
   * of the page out; any lease added inside the range only brings rows the caller does not ask for); on the
   * other engines the ids themselves.
   */
  pageIds(query: LeaseListQuery, page: readonly LeaseJson[]): LeaseIdsSql {
    // MariaDB turns `lease_id IN (SELECT id FROM leases WHERE <range>)` into a semi-join that reads every event
    // when the page is a small part of the table (100 of 10,000 leases: 63 ms, against 6 ms with the ids bound);
    // SQLite runs the subquery first and looks each lease up, and binding 1,000 ids cost it a third of the
    // events statement. PostgreSQL is given the ids too, as before.
    if (this.db.dialect !== 'sqlite') return { sql: placeholders(page.length), params: page.map((lease) => lease.id) };
    const [first, last] = [page[0], page[page.length - 1]];
    const { where, params } = filters(query);
    const [from, to] = [sqlDate(fromSqlDate(first.createdAtSql)), sqlDate(fromSqlDate(last.createdAtSql))];
    where.push('(created_at > ? OR (created_at = ? AND id >= ?))', '(created_at < ? OR (created_at = ? AND id <= ?))');
    params.push(from, from, first.id, to, to, last.id);
    return { sql: `SELECT id FROM leases WHERE ${where.join(' AND ')}`, params };
  }

  /**
   * Writes `changes`; with `expectedStatus` only if the lease is still in one of those statuses
   * (compare-and-set), and with `unchangedSince` (its `updated_at` as read, null: never updated) only if no one
   * changed it since. Returns whether a row changed.
   */
  async update(tx: Tx | undefined, id: string, changes: LeaseChanges, expectedStatus?: readonly LeaseStatus[],
    unchangedSince?: Date | null): Promise<boolean> {
    const keys = Object.keys(changes) as (keyof LeaseChanges)[];
    if (!keys.length) return true;
    const sets = keys.map((k) => `${FIELD_COLUMNS[k]} = ?`).join(', ');
    const params = keys.map((k) => toSql(changes[k]));
    let where = 'id = ?';
    params.push(id);
    if (expectedStatus) {
      where += ` AND status IN (${placeholders(expectedStatus.length)})`;
      params.push(...expectedStatus);
    }
    if (unchangedSince === null) where += ' AND updated_at IS NULL';
    if (unchangedSince) {
      where += ' AND updated_at = ?';
      params.push(sqlDate(unchangedSince));
    }
    return (await this.db.execute(`UPDATE leases SET ${sets} WHERE ${where}`, params, tx)) > 0;
  }

  async delete(tx: Tx, id: string): Promise<void> {
    await this.db.execute('DELETE FROM leases WHERE id = ?', [id], tx);
  }

  async count(): Promise<number> {
    const [row] = await this.db.select<{ n: number }>('SELECT COUNT(*) AS n FROM leases');
    return Number(row.n);
  }
}
