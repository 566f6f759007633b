/**
 * The suites' services start on copies of a migrated template (test/support/migrated-database.ts) instead of
 * running the migrations each time: a copy must be what the migrations make. Compared table by table on MariaDB,
 * where the copy is rebuilt from the tables' definitions; SQLite copies the file and PostgreSQL copies the
 * database itself (CREATE DATABASE ... TEMPLATE), so nothing there can differ.
 */
import { mysqlAdmin, createTestDatabase, type TestDatabase } from '../support/database';
import { createMigratedTestDatabase } from '../support/migrated-database';
import { Database, migrateUp, MIGRATION_NAMES } from '../../src/db';

jest.setTimeout(120_000);

/** Every table's definition (SHOW CREATE TABLE, the database's name left out) and the applied migrations. */
async function mariadbSchema(url: string): Promise<{ tables: Record<string, string>; migrations: string[] }> {
  const name = new URL(url).pathname.slice(1);
  const admin = await mysqlAdmin();
  try {
    const [rows] = await admin.query('SELECT table_name AS t FROM information_schema.tables WHERE table_schema = ? ORDER BY table_name', [name]);
    const tables: Record<string, string> = {};
    for (const { t } of rows as { t: string }[]) {
      const [[created]] = await admin.query(`SHOW CREATE TABLE ${name}.\`${t}\``) as unknown as [Record<string, string>[]];
      tables[t] = created['Create Table'];
    }
    const [applied] = await admin.query(`SELECT name FROM ${name}.climate_migrations ORDER BY name`);
    return { tables, migrations: (applied as { name: string }[]).map((r) => r.name) };
  } finally {
    await admin.end();
  }
}

describe('a copy of the migrated MariaDB template', () => {
  const made: TestDatabase[] = [];
  afterAll(async () => { for (const db of made) await db.drop(); });

  it('has the tables, indexes, foreign keys and applied migrations that running the migrations gives', async () => {
    const migrated = await createTestDatabase('mariadb');
    made.push(migrated);
    const db = new Database({ connection: migrated.url });
    await db.open();
    try {
      await migrateUp(db);
    } finally {
      await db.close();
    }
    const copy = await createMigratedTestDatabase('mariadb');
    made.push(copy);
    const expected = await mariadbSchema(migrated.url);
    expect(expected.migrations).toEqual([...MIGRATION_NAMES]);
    expect(Object.keys(expected.tables).length).toBeGreaterThan(10);
    expect(Object.values(expected.tables).join('\n')).toContain('FOREIGN KEY');
    expect(await mariadbSchema(copy.url)).toEqual(expected);
  });
});
