/** Whole-database snapshots, to show that a run of refused requests changed nothing. */
import type { Database } from '../../src/db';

export type DatabaseDump = Record<string, string[]>;

/** Table names of the connected database (migration bookkeeping included), sorted. */
async function tableNames(db: Database): Promise<string[]> {
  const query = {
    sqlite: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    mysql: 'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()',
    postgres: 'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()',
  }[db.dialect];
  const rows = await db.select<{ name: string }>(query);
  return rows.map((r) => String(r.name)).sort();
}

/** A cell as comparable text: dates, buffers and bigints the way the drivers give them differ otherwise. */
function cell(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return `0x${value.toString('hex')}`;
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/**
 * Every row of every table, each row as JSON text with its columns in name order, rows sorted: two dumps are
 * equal exactly when the tables hold the same rows.
 */
export async function dumpDatabase(db: Database): Promise<DatabaseDump> {
  const quote = db.dialect === 'mysql' ? (t: string) => `\`${t}\`` : (t: string) => `"${t}"`;
  const dump: DatabaseDump = {};
  for (const table of await tableNames(db)) {
    const rows = await db.select(`SELECT * FROM ${quote(table)}`);
    dump[table] = rows
      .map((row) => JSON.stringify(Object.keys(row).sort().map((column) => [column, cell(row[column])])))
      .sort();
  }
  return dump;
}
