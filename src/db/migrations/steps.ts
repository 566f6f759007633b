import { DataTypes, type ModelAttributeColumnOptions, type ModelAttributes, type QueryInterface,
  type QueryInterfaceCreateTableOptions, type QueryInterfaceIndexOptions } from 'sequelize';

/**
 * The character set and collation every table states for itself on MySQL/MariaDB (ignored elsewhere).
 * Stated per table, not inherited from the database: a foreign key joins columns of one collation only, and
 * databases are made with whatever default the server or the installer picks (utf8mb4_general_ci, DevStack's
 * `CHARACTER SET utf8`, utf8mb4_unicode_ci...), so a table left to the default could not reference one that
 * states it (errno 150). Binary, so that names and capability values compare exactly, as the filter
 * language's JS evaluator does (a case-insensitive collation would make "GPU" equal "gpu").
 */
export const TABLE_OPTIONS: QueryInterfaceCreateTableOptions = { charset: 'utf8mb4', collate: 'utf8mb4_bin' };

/**
 * A true/false column, NOT NULL. Stored as 0/1 on every engine: MySQL's BOOLEAN is TINYINT(1) and SQLite has
 * no boolean type, so Climate's SQL compares flags with 1 and binds them as numbers. PostgreSQL's BOOLEAN
 * refuses integers (`reservable = 1` is an error there), so on PostgreSQL the column is a SMALLINT holding the
 * same 0/1, and every statement stays one text for the three engines.
 */
export function flagColumn(qi: QueryInterface, defaultValue: boolean): ModelAttributeColumnOptions {
  if (qi.sequelize.getDialect() === 'postgres') return { type: DataTypes.SMALLINT, allowNull: false, defaultValue: defaultValue ? 1 : 0 };
  return { type: DataTypes.BOOLEAN, allowNull: false, defaultValue };
}

/** Text of any length (JSON bodies): LONGTEXT on MySQL, whose TEXT stops at 64 KiB; TEXT elsewhere, which has no such limit. */
export function longTextColumn(qi: QueryInterface): ModelAttributeColumnOptions {
  return { type: qi.sequelize.getDialect() === 'mysql' ? DataTypes.TEXT('long') : DataTypes.TEXT, allowNull: false };
}

/*
 * MySQL and MariaDB commit each DDL statement on its own: a migration that fails half-way (a lost
 * connection, a killed process, a refused statement) cannot be rolled back and is not recorded as applied.
 * Every step therefore checks whether it is already done, so the next `db sync` runs the migration again
 * from the start and completes it.
 */

/** Creates `table` (with TABLE_OPTIONS) unless it exists. */
export async function createTableOnce(qi: QueryInterface, table: string, attributes: ModelAttributes): Promise<void> {
  if (await qi.tableExists(table)) return;
  await qi.createTable(table, attributes, TABLE_OPTIONS);
}

async function indexNames(qi: QueryInterface, table: string): Promise<Set<string>> {
  const indexes = await qi.showIndex(table) as { name: string }[];
  return new Set(indexes.map((index) => index.name));
}

/** Adds the index named `options.name` unless the table has one of that name. */
export async function addIndexOnce(qi: QueryInterface, table: string, fields: string[],
  options: QueryInterfaceIndexOptions & { name: string }): Promise<void> {
  if ((await indexNames(qi, table)).has(options.name)) return;
  await qi.addIndex(table, fields, options);
}

/** Removes the index `name` if the table has it. */
export async function removeIndexIfPresent(qi: QueryInterface, table: string, name: string): Promise<void> {
  if (!(await indexNames(qi, table)).has(name)) return;
  await qi.removeIndex(table, name);
}

/** Drops `table` if it exists (down migrations). */
export async function dropTableIfPresent(qi: QueryInterface, table: string): Promise<void> {
  if (await qi.tableExists(table)) await qi.dropTable(table);
}

/** Adds `column` to `table` unless the table has it. */
export async function addColumnOnce(qi: QueryInterface, table: string, column: string, attributes: ModelAttributeColumnOptions): Promise<void> {
  const columns = await qi.describeTable(table);
  if (column in columns) return;
  await qi.addColumn(table, column, attributes);
}

/** Removes `column` from `table` if the table has it (down migrations). */
export async function removeColumnIfPresent(qi: QueryInterface, table: string, column: string): Promise<void> {
  const columns = await qi.describeTable(table);
  if (!(column in columns)) return;
  await qi.removeColumn(table, column);
}
