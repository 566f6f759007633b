import { ClimateError } from '../common';

type DriverError = { code?: string; errno?: number; name?: string; message?: string; parent?: DriverError; original?: DriverError };

/** Sequelize's names for "no connection could be had" (refused, unknown host, access denied, pool timeout...). */
const CONNECTION_ERRORS = new Set([
  'SequelizeConnectionError', 'SequelizeConnectionRefusedError', 'SequelizeHostNotFoundError', 'SequelizeHostNotReachableError',
  'SequelizeAccessDeniedError', 'SequelizeConnectionTimedOutError', 'SequelizeInvalidConnectionError',
  'SequelizeConnectionAcquireTimeoutError',
]);

/** Driver codes of a lost or refused connection, a server going away, or a database that is not there. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE',
  'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  // MySQL/MariaDB: too many connections, access denied, unknown database, server shutting down, and the
  // error a pooled connection gets when its database was dropped under it.
  'ER_CON_COUNT_ERROR', 'ER_ACCESS_DENIED_ERROR', 'ER_DBACCESS_DENIED_ERROR', 'ER_BAD_DB_ERROR', 'ER_SERVER_SHUTDOWN',
  'ER_NO_SUCH_TABLE', 'ER_NO_DB_ERROR',
  // PostgreSQL (SQLSTATE): connection exceptions, too many connections, server shutting down or restarting
  // (also what a session gets when its database is dropped under it), unknown database, authentication
  // failed, and a missing table (the schema was never made here).
  '08000', '08001', '08003', '08004', '08006', '53300', '57P01', '57P02', '57P03', '3D000', '28000', '28P01', '42P01',
  // Galera: "WSREP has not yet prepared node for application use" (the node left the primary component).
  'ER_UNKNOWN_COM_ERROR',
  'SQLITE_CANTOPEN', 'SQLITE_IOERR', 'SQLITE_NOTADB', 'SQLITE_CORRUPT',
]);

/**
 * 503: the database cannot serve the request (down, unreachable, dropped, its schema missing). The client is
 * told that, and nothing about where the database is; the driver's error is the `cause`, for the log.
 */
export class DatabaseUnavailable extends ClimateError {
  constructor(cause: unknown) {
    super(503, 'database_unavailable', 'Database unavailable: the request could not be completed; try again later', { cause });
  }

  /** For the log: what the driver said (the client's message says nothing useful to an operator). */
  override toString(): string {
    return `${this.name}: ${String(this.cause)}`;
  }
}

/**
 * 503: the transaction kept meeting concurrent ones (deadlocks, or on a Galera cluster failed certification) and
 * was given up after `[database] max_retries` runs. Nothing of it was written; the client may try again.
 */
export class DatabaseBusy extends ClimateError {
  constructor(cause: unknown) {
    super(503, 'database_busy', 'Database busy: the request conflicted with concurrent ones too many times; try again', { cause });
  }

  override toString(): string {
    return `${this.name}: ${String(this.cause)}`;
  }
}

/** Whether `error` (from Sequelize or straight from the driver) means the database is not there to answer. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof DatabaseUnavailable) return true;
  const e = error as DriverError | undefined;
  if (!e || typeof e !== 'object') return false;
  if (e.name && CONNECTION_ERRORS.has(e.name)) return true;
  for (const candidate of [e, e.parent, e.original]) {
    if (!candidate) continue;
    if (candidate.code && UNAVAILABLE_CODES.has(candidate.code)) return true;
    // SQLite's "no such table": the file was replaced or never migrated.
    if (candidate.code === 'SQLITE_ERROR' && /no such table/.test(String(candidate.message))) return true;
  }
  // node-postgres, when the server closes a session mid-query, throws errors with no code.
  if (/^Connection terminated|^Client has encountered a connection error/.test(String(e.parent?.message ?? e.message))) return true;
  // Sequelize's pool, once closed or failing, throws plain errors.
  return /^ConnectionManager\.getConnection was called after the connection manager was closed/.test(String(e.message));
}

/** Rethrows `error`, as DatabaseUnavailable when it means the database is not there. */
export function rethrowDatabaseError(error: unknown): never {
  if (!(error instanceof DatabaseUnavailable) && isDatabaseUnavailable(error)) throw new DatabaseUnavailable(error);
  throw error;
}
