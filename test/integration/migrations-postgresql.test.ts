/**
 * `climate-manage db sync`, `db upgrade` and `db version` (the compiled process, as operators run it) on
 * PostgreSQL databases made the ordinary ways, then the API on them; and a migration interrupted half-way,
 * completed by the next sync. PostgreSQL runs each DDL statement in its own transaction here too (umzug does
 * not wrap migrations), so an interrupted migration leaves what MariaDB's would.
 */
import { randomBytes } from 'node:crypto';
import { MIGRATION_NAMES } from '../../src/db';
import { createTestDatabase, postgresAdmin, type TestDatabase } from '../support/database';
import { dbSync, describeInterruptedMigration, manageDb, readSchema, useTheApi } from './migrations-support';

const NEWEST = MIGRATION_NAMES[MIGRATION_NAMES.length - 1];

/** The schema as PostgreSQL describes it: tables with their owner, columns, indexes and foreign keys. */
function schemaOf(url: string): Promise<Record<string, unknown[]>> {
  return readSchema(url, {
    tables: 'SELECT tablename, tableowner FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename',
    columns: 'SELECT table_name, column_name, data_type, is_nullable, column_default, collation_name FROM information_schema.columns '
      + 'WHERE table_schema = current_schema() ORDER BY table_name, column_name',
    indexes: 'SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY tablename, indexname',
    foreignKeys: "SELECT conrelid::regclass::text AS table_name, pg_get_constraintdef(oid) AS definition FROM pg_constraint WHERE contype = 'f' "
      + 'ORDER BY 1, 2',
    migrations: 'SELECT name FROM climate_migrations ORDER BY name',
  });
}

/** `url` with another user name (PostgreSQL's trust authentication lets the test server's roles in without a password). */
function asUser(url: string, user: string): string {
  const u = new URL(url);
  u.username = user;
  return u.toString();
}

describe('climate-manage db sync, upgrade and version on PostgreSQL databases made the ordinary way', () => {
  const made: TestDatabase[] = [];
  const roles: string[] = [];
  afterAll(async () => {
    for (const d of made) await d.drop();
    for (const role of roles) await postgresAdmin(`DROP ROLE IF EXISTS ${role}`);
  });

  // The commands beside db sync (version, upgrade) are run on the first kind only: what they read does not
  // depend on how the database was made, and each run of the compiled process costs seconds.
  it.each([
    ['createdb -O climate: a database owned by an unprivileged role, the server defaults', '', true],
    ["DevStack's recreate_database: createdb -l C -T template0 -E utf8", "TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'", false],
    ['a linguistic default collation (ICU en-US), as many servers have', "TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'", false],
  ])('%s: migrates, flags and dates typed alike everywhere, and the API works on it', async (_what, createOptions, everyCommand) => {
    const role = `climate_owner_${randomBytes(4).toString('hex')}`;
    await postgresAdmin(`CREATE ROLE ${role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE`);
    roles.push(role);
    const database = await createTestDatabase('postgres', `OWNER ${role} ${createOptions}`);
    made.push(database);
    const url = asUser(database.url, role);

    if (everyCommand) {
      expect(await manageDb(url, 'version')).toEqual({ code: 0, output: `empty (no migrations applied) (pending: ${MIGRATION_NAMES.join(', ')})\n` });
    }
    expect(await dbSync(url)).toEqual({ code: 0, output: `applied: ${MIGRATION_NAMES.join(', ')}\n` });
    const schema = await schemaOf(url);
    const tables = schema.tables as { tablename: string; tableowner: string }[];
    expect(tables.length).toBeGreaterThanOrEqual(15);
    for (const table of tables) expect(`${table.tablename} ${table.tableowner}`).toBe(`${table.tablename} ${role}`);
    const columns = schema.columns as { table_name: string; column_name: string; data_type: string; collation_name: string | null }[];
    const typeOf = (table: string, column: string) => columns.find((c) => c.table_name === table && c.column_name === column)?.data_type;
    expect(typeOf('hosts', 'reservable')).toBe('smallint');
    expect(typeOf('leases', 'start_date')).toBe('timestamp with time zone');
    expect(typeOf('reservations', 'params')).toBe('text');
    // No column states a collation: equality is byte-wise under every deterministic collation, the ICU one included.
    expect(columns.filter((c) => c.collation_name !== null)).toEqual([]);

    expect(await dbSync(url)).toEqual({ code: 0, output: 'database is up to date\n' });
    if (everyCommand) {
      expect(await manageDb(url, 'upgrade')).toEqual({ code: 0, output: 'database is up to date\n' });
      expect(await manageDb(url, 'version')).toEqual({ code: 0, output: `${NEWEST}\n` });
    }
    await useTheApi(url);
  }, 180_000);
});

// Inside 005-allocation-end-index, the new index added and the old one not yet removed (the MariaDB test
// covers more cut points of the same steps).
describeInterruptedMigration('postgres', 'PostgreSQL', [42], schemaOf);
