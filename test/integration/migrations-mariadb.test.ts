/**
 * `climate-manage db sync` (the compiled process, as operators run it) on MariaDB databases made the ordinary
 * ways, then the API on them; and a migration interrupted half-way, completed by the next sync.
 */
import { Database, MIGRATION_NAMES } from '../../src/db';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { dbSync, describeInterruptedMigration, readSchema, useTheApi } from './migrations-support';

/** The schema as MariaDB describes it: tables with their collation, columns, indexes and foreign keys. */
function schemaOf(url: string): Promise<Record<string, unknown[]>> {
  return readSchema(url, {
    tables: 'SELECT TABLE_NAME, TABLE_COLLATION, ENGINE FROM information_schema.TABLES '
      + 'WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME',
    columns: 'SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLLATION_NAME, COLUMN_DEFAULT '
      + 'FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, COLUMN_NAME',
    indexes: 'SELECT TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, NON_UNIQUE FROM information_schema.STATISTICS '
      + 'WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX',
    foreignKeys: 'SELECT TABLE_NAME, COLUMN_NAME, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME '
      + 'FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME IS NOT NULL '
      + 'ORDER BY TABLE_NAME, COLUMN_NAME',
    migrations: 'SELECT name FROM climate_migrations ORDER BY name',
  });
}

describe('climate-manage db sync on MariaDB databases made the ordinary way', () => {
  const made: TestDatabase[] = [];
  afterAll(async () => { for (const d of made) await d.drop(); });

  it.each([
    ['CREATE DATABASE name (the server default, utf8mb4_general_ci)', '', ''],
    ["DevStack's recreate_database: CHARACTER SET utf8, and its ?charset=utf8 URL", 'CHARACTER SET utf8', '?charset=utf8'],
    ['CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci', 'CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci', ''],
  ])('%s: migrates, every table in utf8mb4_bin, and the API works on it', async (_what, createOptions, query) => {
    const database = await createTestDatabase('mariadb', createOptions);
    made.push(database);
    const sync = await dbSync(database.url + query);
    expect(sync).toEqual({ code: 0, output: `applied: ${MIGRATION_NAMES.join(', ')}\n` });
    const schema = await schemaOf(database.url);
    const tables = schema.tables as { TABLE_NAME: string; TABLE_COLLATION: string; ENGINE: string }[];
    expect(tables.length).toBeGreaterThanOrEqual(14);
    for (const table of tables) expect(`${table.TABLE_NAME} ${table.TABLE_COLLATION} ${table.ENGINE}`).toBe(`${table.TABLE_NAME} utf8mb4_bin InnoDB`);
    for (const column of schema.columns as { COLLATION_NAME: string | null }[]) {
      if (column.COLLATION_NAME !== null) expect(column.COLLATION_NAME).toBe('utf8mb4_bin');
    }
    expect(await dbSync(database.url + query)).toEqual({ code: 0, output: 'database is up to date\n' });
    await useTheApi(database.url + query);
  }, 180_000);
});

describe('a MariaDB database migrated by the previous release', () => {
  let database: TestDatabase;
  afterAll(async () => { await database?.drop(); });

  it('is found current by db sync and works: nothing to change where the old migrations succeeded', async () => {
    // The only databases the previous release could migrate were utf8mb4_bin ones; umzug made its table utf8.
    database = await createTestDatabase('mariadb', 'CHARACTER SET utf8mb4 COLLATE utf8mb4_bin');
    expect((await dbSync(database.url)).code).toBe(0);
    const db = new Database({ connection: database.url });
    try {
      await db.open();
      await db.execute('ALTER TABLE climate_migrations CONVERT TO CHARACTER SET utf8 COLLATE utf8_unicode_ci');
    } finally {
      await db.close();
    }
    expect(await dbSync(database.url)).toEqual({ code: 0, output: 'database is up to date\n' });
    await useTheApi(database.url);
  }, 180_000);
});

// 1: only `leases` made; 4: leases and its indexes (what the errno 150 failure left); 26: inside
// 002-instance-allocations; 42: inside 005-allocation-end-index, the new index added and the old one not yet removed.
describeInterruptedMigration('mariadb', 'MariaDB', [1, 4, 26, 42], schemaOf);
