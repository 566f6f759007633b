import * as fs from 'node:fs';
import * as path from 'node:path';
import { redactUrl, type DatabaseTarget } from '../config';

/**
 * The database named by `[database] connection` could not be opened (start-up, climate-manage). The message
 * names the option and its URL with the password hidden, and for SQLite the file, so the operator sees which
 * setting to fix; the driver's error is the cause.
 */
export class DatabaseOpenError extends Error {
  constructor(connection: string, problem: string, options?: { cause?: unknown }) {
    super(`[database] connection = ${redactUrl(connection)}: ${problem}`, options);
    this.name = 'DatabaseOpenError';
  }
}

/** The nearest existing ancestor of `file` (itself included), or null. */
function nearestExisting(file: string): { at: string; stat: fs.Stats } | null {
  for (let at = file; ; at = path.dirname(at)) {
    try {
      return { at, stat: fs.statSync(at) };
    } catch {
      if (path.dirname(at) === at) return null;
    }
  }
}

/**
 * Makes sure a SQLite file can be created or opened at `storage`, creating missing directories, and says why
 * not. (Done here rather than left to Sequelize: its recursive mkdir never returns on some paths, e.g. under
 * /proc, and its errors do not say which file was meant.)
 * @returns the problem, or undefined when the file can be opened
 */
export function sqliteFileProblem(storage: string): string | undefined {
  if (storage === ':memory:') return undefined;
  const dir = path.dirname(storage);
  const existing = nearestExisting(storage);
  if (existing?.at === storage) {
    if (existing.stat.isDirectory()) return `${storage} is a directory, not a SQLite file`;
  } else {
    const parent = nearestExisting(dir);
    if (!parent) return `the directory ${dir} does not exist`;
    if (!parent.stat.isDirectory()) {
      return parent.at === dir ? `${dir} is not a directory` : `${parent.at} is not a directory, so ${dir} cannot be created`;
    }
    const missing: string[] = [];
    for (let at = dir; at !== parent.at; at = path.dirname(at)) missing.unshift(at);
    for (const at of missing) {
      try {
        fs.mkdirSync(at);
      } catch (error) {
        return `the directory ${dir} does not exist and cannot be created (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
      }
    }
  }
  try {
    // SQLite writes its journal (-wal, -shm) beside the file.
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (error) {
    return `the directory ${dir} is not writable (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
  }
  return undefined;
}

/** Why the connection failed, in the driver's words plus a hint where one helps. */
export function connectionProblem(target: DatabaseTarget, error: unknown): string {
  const e = error as { message?: string; parent?: { code?: string }; original?: { code?: string } };
  const message = e?.message ?? String(error);
  if (target.dialect === 'sqlite') return `cannot open the SQLite database ${target.storage}: ${message}`;
  const code = e?.parent?.code ?? e?.original?.code;
  // MySQL's "unknown database", PostgreSQL's invalid_catalog_name.
  const hint = code === 'ER_BAD_DB_ERROR' ? ` (create it first: CREATE DATABASE ${target.database})`
    : code === '3D000' ? ` (create it first: createdb ${target.database}, or CREATE DATABASE ${target.database})` : '';
  return `cannot connect to ${target.host}:${target.port}: ${message}${hint}`;
}
