import { QueryTypes, Sequelize, Transaction } from 'sequelize';
import sqlite3 from 'sqlite3';
import { parseDatabaseUrl, type DatabaseTarget } from '../config';
import { DatabaseBusy, rethrowDatabaseError } from './errors';
import { failOver } from './failover';
import { Mutex } from './mutex';
import { connectionProblem, DatabaseOpenError, sqliteFileProblem } from './open-errors';

/** A database transaction, opaque outside src/db. */
export type Tx = Transaction;
export type Dialect = 'sqlite' | 'mysql' | 'postgres';
type Params = readonly unknown[];

export interface DatabaseOptions {
  /**
   * `[database] connection`, e.g. `sqlite:///var/climate.sqlite`, `mysql://root@127.0.0.1/climate` or
   * `postgresql://climate:secret@127.0.0.1/climate`.
   */
  connection: string;
  maxPoolSize?: number;
  /**
   * How many times a write transaction runs again after a deadlock or a failed certification (Galera) before
   * the request is refused with 503 (default 8). Each retry waits a random time up to a doubling bound.
   */
  maxRetries?: number;
  /** Told when new connections go to another server of a several-server URL (the one before died or left). */
  onFailover?: (from: string, to: string) => void;
  /** Galera's wsrep_sync_wait set on every session (reads wait for the node to catch up); 0 or absent: not set. */
  wsrepSyncWait?: number;
  /** Receives each SQL statement when set (debugging). */
  logSql?: (sql: string) => void;
}

type DriverError = { code?: string; errno?: number; name?: string };

/** The driver's error, whether it came through Sequelize (wrapped) or straight from the driver. */
function driverError(error: unknown): DriverError {
  const e = error as DriverError & { parent?: DriverError; original?: DriverError };
  return e?.parent ?? e?.original ?? e ?? {};
}

/** Errors that mean "another transaction got in the way; run the whole transaction again". */
function isRetryable(error: unknown): boolean {
  const { code, errno } = driverError(error);
  return code === 'SQLITE_BUSY' || code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT'
    || errno === 1213 || errno === 1205 || code === '40P01' || code === '40001';
}

/** A write refused by a unique index (e.g. two leases with one name in a project). */
export function isUniqueViolation(error: unknown): boolean {
  if ((error as DriverError)?.name === 'SequelizeUniqueConstraintError') return true;
  const { code, errno } = driverError(error);
  return code === 'ER_DUP_ENTRY' || errno === 1062 || code === '23505'
    || (code === 'SQLITE_CONSTRAINT' && /UNIQUE/.test(String((error as Error)?.message)));
}

/**
 * Galera's causality check for one session: its reads wait until the node has applied every write the cluster
 * committed before them. A server without Galera has no such variable; there is nothing to wait for.
 */
async function setSyncWait(session: { query(sql: string): Promise<[unknown]> }, mask: number): Promise<void> {
  const [rows] = await session.query("SHOW VARIABLES LIKE 'wsrep_sync_wait'");
  if ((rows as unknown[]).length) await session.query(`SET SESSION wsrep_sync_wait = ${Math.floor(mask)}`);
}

/** The callback API of a mysql2 connection, as Sequelize holds it inside a transaction. */
interface MysqlConnection {
  execute(sql: string, values: unknown[], callback: (error: Error | null, result: unknown) => void): void;
  query(options: { sql: string; values: unknown[]; typeCast: MysqlTypeCast }, callback: (error: Error | null, result: unknown) => void): void;
}
type MysqlTypeCast = (field: unknown, next: () => unknown) => unknown;

/** Sequelize's pool, for the statements that bypass its query layer. */
interface MysqlPool {
  getConnection(options: { type: string }): Promise<MysqlConnection>;
  releaseConnection(connection: MysqlConnection): Promise<void>;
}

/**
 * mysql2's own decoding of every field (DATETIME into a Date in the connection's UTC time zone): a query that
 * brings its own type cast replaces the one Sequelize sets on each connection, which parses every date with
 * moment-timezone.
 */
const DRIVER_DECODING: MysqlTypeCast = (_field, next) => next();

/**
 * sqlite3 with a busy timeout on every connection. Sequelize opens one connection per transaction and has
 * no hook for it, so the timeout is set by the driver class it is given.
 */
function sqliteWithBusyTimeout(ms: number): typeof sqlite3 {
  class Database extends sqlite3.Database {
    constructor(filename: string, mode?: number, callback?: (err: Error | null) => void) {
      super(filename, mode ?? sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE, (err) => {
        if (!err) this.configure('busyTimeout', ms);
        callback?.(err);
      });
    }
  }
  return { ...sqlite3, Database } as typeof sqlite3;
}

/**
 * The one handle on the database. Repositories run SQL through it; the lease service opens transactions.
 * Write transactions are retried on deadlock/busy, so the function given to `transaction` must have no
 * effects outside the database.
 */
export class Database {
  readonly sequelize: Sequelize;
  readonly dialect: Dialect;
  private readonly writeLock = new Mutex();
  private readonly logSql?: (sql: string) => void;
  private readonly connection: string;
  private readonly target: DatabaseTarget;
  private readonly maxRetries: number;
  /** Transactions run again after a deadlock or failed certification, and those given up (benchmarks, metrics). */
  readonly conflicts = { retried: 0, givenUp: 0 };
  /** Times new connections moved to another server of a several-server URL. */
  failovers = 0;

  constructor(options: DatabaseOptions) {
    const target = parseDatabaseUrl(options.connection);
    this.connection = options.connection;
    this.target = target;
    this.maxRetries = options.maxRetries ?? 8;
    const logging = options.logSql ? (sql: string) => options.logSql?.(sql) : false;
    this.logSql = options.logSql;
    if (target.dialect === 'sqlite') {
      this.sequelize = new Sequelize({
        dialect: 'sqlite', storage: target.storage, logging, dialectModule: sqliteWithBusyTimeout(10_000),
      });
    } else {
      this.sequelize = new Sequelize(target.database, target.username ?? 'root', target.password ?? '', {
        dialect: target.dialect, host: target.host, port: target.port, logging, timezone: '+00:00',
        pool: { max: options.maxPoolSize ?? 10, min: 0, idle: 10_000 },
        dialectOptions: target.dialect === 'mysql' ? { dateStrings: false, supportBigNumbers: true } : {},
      });
    }
    this.dialect = target.dialect;
    if (this.dialect === 'postgres') {
      // PostgreSQL's default, stated per session so that a server configured otherwise (REPEATABLE READ)
      // cannot turn a lock wait into a serialization failure, without a SET before every transaction.
      this.sequelize.addHook('afterConnect', async (connection: unknown) => {
        await (connection as { query(sql: string): Promise<unknown> })
          .query('SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED');
      });
    }
    if (target.dialect === 'mysql' && target.nodes) {
      failOver(this.sequelize, target.nodes, (from, to) => {
        this.failovers++;
        options.onFailover?.(`${from.host}:${from.port}`, `${to.host}:${to.port}`);
      });
    }
    if (this.dialect === 'mysql') {
      // Set once per pooled connection rather than by a statement before every transaction.
      this.sequelize.addHook('afterConnect', async (connection: unknown) => {
        const session = (connection as { promise(): { query(sql: string): Promise<[unknown]> } }).promise();
        await session.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
        // GROUP_CONCAT cuts its result at this length without an error: the lease list joins each lease's events
        // into one (json-text.ts), and MySQL's default is 1,024 bytes, about four events.
        await session.query('SET SESSION group_concat_max_len = 16777216');
        const [rows] = await session.query('SELECT VERSION() AS version');
        if (/mariadb/i.test(String((rows as { version?: unknown }[])[0]?.version))) {
          // MariaDB turns the NOT EXISTS overlap tests of the free-resource queries into IN subqueries it
          // materializes: a scan of the whole allocation table per query, where the correlated form reads
          // one index range per candidate and stops at the first free one (+50% lease creates at 10,000 leases).
          await session.query("SET SESSION optimizer_switch = 'exists_to_in=off'");
        }
        if (options.wsrepSyncWait) await setSyncWait(session, options.wsrepSyncWait);
      });
    }
  }

  /**
   * Connects, or opens the SQLite file (creating its directory), and prepares the connection: WAL on SQLite,
   * so readers never wait for the writer.
   * @throws DatabaseOpenError naming `[database] connection` (password hidden) and the SQLite file
   */
  async open(): Promise<void> {
    if (this.target.dialect === 'sqlite') {
      const problem = sqliteFileProblem(this.target.storage);
      if (problem) throw new DatabaseOpenError(this.connection, `cannot open the SQLite database ${this.target.storage}: ${problem}`);
    }
    try {
      if (this.dialect === 'sqlite') {
        await this.sequelize.query('PRAGMA journal_mode=WAL');
      } else {
        await this.sequelize.authenticate();
      }
    } catch (error) {
      throw new DatabaseOpenError(this.connection, connectionProblem(this.target, error), { cause: error });
    }
  }

  /**
   * Runs `fn` in one write transaction: IMMEDIATE on SQLite (one writer at a time), READ COMMITTED on
   * MySQL/PostgreSQL so that a row lock taken mid-transaction is followed by reads of the latest commits.
   */
  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.attempts(fn).catch(rethrowDatabaseError);
  }

  private async attempts<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        if (this.dialect === 'sqlite') {
          return await this.writeLock.run(() =>
            this.sequelize.transaction({ type: Transaction.TYPES.IMMEDIATE }, fn));
        }
        return await this.sequelize.transaction(fn); // READ COMMITTED per session (see the constructor)
      } catch (error) {
        if (!isRetryable(error)) throw error;
        if (attempt > this.maxRetries) {
          this.conflicts.givenUp++;
          throw new DatabaseBusy(error);
        }
        this.conflicts.retried++;
        // Full jitter under a doubling bound (20, 40, 80... ms, at most 1 s): transactions that conflicted once
        // spread out instead of meeting again, on one server as across a cluster's nodes.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(1000, 10 * 2 ** attempt)));
      }
    }
  }

  /**
   * Inside a MySQL transaction, statements go straight to the transaction's mysql2 connection as prepared
   * statements: the hot path of lease creation, where Sequelize's per-query work and the server's parsing
   * showed in profiles. Outside transactions, UPDATE/DELETE go to a pooled connection (see executeStatement);
   * other statements, and every statement on SQLite and PostgreSQL, go through Sequelize.
   */
  private prepared(tx: Tx | undefined): MysqlConnection | null {
    if (!tx || this.dialect !== 'mysql') return null;
    return (tx as unknown as { connection?: MysqlConnection }).connection ?? null;
  }

  private run(connection: MysqlConnection, sql: string, params: Params): Promise<unknown> {
    this.logSql?.(sql);
    return new Promise((resolve, reject) => {
      connection.execute(sql, params.map((p) => (p === undefined ? null : p)), (error, result) => (error ? reject(error) : resolve(result)));
    });
  }

  /**
   * SELECT returning plain rows. Like insert and execute, it throws DatabaseUnavailable (503) when the database
   * is not there to answer (refused, lost, dropped), other driver errors as they are.
   */
  select<T = Record<string, unknown>>(sql: string, params: Params = [], tx?: Tx): Promise<T[]> {
    return this.selectRows<T>(sql, params, tx).catch(rethrowDatabaseError);
  }

  private async selectRows<T>(sql: string, params: Params, tx?: Tx, usePrepared = true): Promise<T[]> {
    const connection = usePrepared ? this.prepared(tx) : null;
    if (connection) return (await this.run(connection, sql, params)) as T[];
    const rows = await this.sequelize.query(sql, { replacements: [...params], type: QueryTypes.SELECT, transaction: tx });
    return rows as unknown as T[];
  }

  /**
   * SELECT of many rows (thousands, the lists): like `select`, but on MySQL always the text protocol with the
   * driver's own field decoding, inside a transaction too. Sequelize's typeCast hook, which both the prepared path
   * and Sequelize's queries go through, costs ~40 µs a row (5,000 allocation rows: 200 ms instead of 20 ms); the
   * prepared statements pay off only for the short statements of a create. Booleans come back as 0/1 (as on
   * SQLite: read them with fromSqlBool).
   */
  selectMany<T = Record<string, unknown>>(sql: string, params: Params = [], tx?: Tx): Promise<T[]> {
    const rows = this.dialect === 'mysql' ? this.selectManyMysql<T>(sql, params, tx) : this.selectRows<T>(sql, params, tx, false);
    return rows.catch(rethrowDatabaseError);
  }

  /**
   * On MySQL, a list of thousands of rows goes straight to a mysql2 connection (the transaction's, or one from
   * Sequelize's pool) with the driver decoding the fields: Sequelize's per-field hook, moment-timezone parsing each
   * DATETIME, was a third of the time of a list of 1,000 leases.
   */
  private selectManyMysql<T>(sql: string, params: Params, tx?: Tx): Promise<T[]> {
    return this.queryMysql<T[]>(sql, params, tx);
  }

  /** One statement over the text protocol on the transaction's mysql2 connection, or one from Sequelize's pool. */
  private async queryMysql<R>(sql: string, params: Params, tx?: Tx): Promise<R> {
    const held = tx ? (tx as unknown as { connection?: MysqlConnection }).connection : undefined;
    const pool = this.sequelize.connectionManager as unknown as MysqlPool;
    const connection = held ?? await pool.getConnection({ type: 'SELECT' });
    try {
      this.logSql?.(sql);
      return await new Promise<R>((resolve, reject) => {
        connection.query({ sql, values: params.map((p) => (p === undefined ? null : p)), typeCast: DRIVER_DECODING },
          (error, result) => (error ? reject(error) : resolve(result as R)));
      });
    } finally {
      if (!held) await pool.releaseConnection(connection);
    }
  }

  /**
   * INSERT returning the generated integer id (single-row inserts only: dialects disagree on multi-row ids).
   * PostgreSQL has no "last insert id": the statement is given `RETURNING id` there.
   */
  insert(sql: string, params: Params = [], tx?: Tx): Promise<number> {
    return this.insertRow(sql, params, tx).catch(rethrowDatabaseError);
  }

  private async insertRow(sql: string, params: Params, tx?: Tx): Promise<number> {
    const connection = this.prepared(tx);
    if (connection) return Number(((await this.run(connection, sql, params)) as { insertId: number }).insertId);
    if (this.dialect === 'postgres') {
      const [rows] = await this.sequelize.query(`${sql} RETURNING id`, { replacements: [...params], type: QueryTypes.INSERT, transaction: tx });
      return Number((rows as unknown as { id: unknown }[])[0]?.id);
    }
    const [id] = await this.sequelize.query(sql, { replacements: [...params], type: QueryTypes.INSERT, transaction: tx });
    return Number(id);
  }

  /** UPDATE/DELETE returning the number of rows changed. */
  execute(sql: string, params: Params = [], tx?: Tx): Promise<number> {
    return this.executeStatement(sql, params, tx).catch(rethrowDatabaseError);
  }

  private async executeStatement(sql: string, params: Params, tx?: Tx): Promise<number> {
    const connection = this.prepared(tx);
    if (connection) return Number(((await this.run(connection, sql, params)) as { affectedRows: number }).affectedRows);
    // Outside a transaction on MySQL (the event runner's claim renewals, the dispatcher's "sent" marks): straight
    // to a pooled connection, without Sequelize's query layer, which cost more CPU than the statement's own round trip.
    if (this.dialect === 'mysql') return Number((await this.queryMysql<{ affectedRows: number }>(sql, params)).affectedRows);
    const [, affected] = await this.sequelize.query(sql, { replacements: [...params], type: QueryTypes.UPDATE, transaction: tx });
    return Number(affected ?? 0);
  }

  /**
   * A date parameter where the engine must know its type: a bare `?` is text to MySQL (compared and chosen as
   * text in CASE, UNION, GREATEST) and of unknown type to PostgreSQL; SQLite stores dates as that text.
   */
  get dateParam(): string {
    if (this.dialect === 'mysql') return 'CAST(? AS DATETIME(3))';
    if (this.dialect === 'postgres') return 'CAST(? AS TIMESTAMPTZ)';
    return '?';
  }

  /** `FOR UPDATE` where the engine has row locks; SQLite's IMMEDIATE transaction already excludes writers. */
  get forUpdate(): string {
    return this.dialect === 'sqlite' ? '' : ' FOR UPDATE';
  }

  async close(): Promise<void> {
    await this.sequelize.close();
  }
}
