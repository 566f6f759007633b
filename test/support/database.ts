import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createConnection, type Connection } from 'mysql2/promise';
import { Client } from 'pg';

export type TestDialect = 'sqlite' | 'mariadb' | 'postgres';

/**
 * The engines most database-backed suites run on. CLIMATE_TEST_DIALECTS (comma-separated, e.g. `postgres`)
 * replaces the list, to run those suites on one engine or on all three.
 */
export const DIALECTS: TestDialect[] = dialectsFromEnv() ?? ['sqlite', 'mariadb'];

/**
 * Every engine Climate supports: the suites that prove the SQL itself (repositories, migrations, no double
 * booking, the event-driven lifecycle, malformed input) run on all three. The others stay on DIALECTS, to keep
 * the suite's time in check: they exercise the same SQL through the same repositories.
 */
export const ENGINES: TestDialect[] = dialectsFromEnv() ?? ['sqlite', 'mariadb', 'postgres'];

function dialectsFromEnv(): TestDialect[] | undefined {
  const value = process.env.CLIMATE_TEST_DIALECTS;
  if (!value) return undefined;
  const names = value.split(',').map((name) => name.trim()).filter(Boolean);
  const unknown = names.filter((name) => !['sqlite', 'mariadb', 'postgres'].includes(name));
  if (unknown.length) throw new Error(`CLIMATE_TEST_DIALECTS: unknown engine(s) ${unknown.join(', ')} (sqlite, mariadb, postgres)`);
  return names as TestDialect[];
}

/** Where the test MariaDB lives (tools/test.sh makes sure it runs); override with CLIMATE_TEST_MYSQL. */
export const MYSQL_BASE = process.env.CLIMATE_TEST_MYSQL ?? 'mysql://root@127.0.0.1:3306';

/** A connection to the test MariaDB server without a default database, as root (creating and dropping databases). */
export function mysqlAdmin(options: { multipleStatements?: boolean } = {}): Promise<Connection> {
  const base = new URL(MYSQL_BASE);
  return createConnection({
    host: base.hostname, port: Number(base.port || 3306), user: decodeURIComponent(base.username || 'root'),
    password: decodeURIComponent(base.password), ...options,
  });
}

/**
 * Where the test PostgreSQL lives (tools/ensure-postgresql.sh makes sure it answers): a user allowed to create
 * databases, without a password by default; override with CLIMATE_TEST_POSTGRES.
 */
export const POSTGRES_BASE = process.env.CLIMATE_TEST_POSTGRES ?? 'postgresql://postgres@127.0.0.1:5432';

/** Runs `sql` on the PostgreSQL server's maintenance database (creating and dropping databases). */
export async function postgresAdmin(sql: string): Promise<void> {
  const client = new Client({ connectionString: `${POSTGRES_BASE}/postgres` });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/**
 * A fresh, empty database: a temporary SQLite file, or a new MariaDB schema or PostgreSQL database with a
 * random name. A server that cannot be reached fails the test: nothing is skipped silently.
 *
 * The MariaDB schema is made the way operators make theirs, a plain `CREATE DATABASE name` with the server's
 * default character set and collation, unless `createOptions` says otherwise (e.g. `CHARACTER SET utf8`,
 * as DevStack's recreate_database does): Climate's tables must not depend on the database's default. The
 * PostgreSQL database is made as `createdb` makes it, with the server's defaults unless `createOptions` adds
 * some (`OWNER role`, `TEMPLATE template0 LC_COLLATE 'C'`...).
 */
export async function createTestDatabase(dialect: TestDialect, createOptions = ''): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'climate-test-'));
    return { url: `sqlite:///${path.join(dir, 'climate.sqlite')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `climate_test_${randomBytes(6).toString('hex')}`;
  if (dialect === 'postgres') {
    await postgresAdmin(`CREATE DATABASE ${name} ${createOptions}`.trim());
    return {
      url: `${POSTGRES_BASE}/${name}`,
      // FORCE: a pool a failed test left open must not keep the database (PostgreSQL 13+).
      drop: () => postgresAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
    };
  }
  const admin = await mysqlAdmin();
  await admin.query(`CREATE DATABASE ${name} ${createOptions}`.trim());
  await admin.end();
  return mariadbTestDatabase(name);
}

/** The MariaDB database `name` (already created) as a test database: its URL, and how to drop it. */
export function mariadbTestDatabase(name: string): TestDatabase {
  return {
    url: `${MYSQL_BASE}/${name}`,
    drop: async () => {
      const conn = await mysqlAdmin();
      await conn.query(`DROP DATABASE IF EXISTS ${name}`);
      await conn.end();
    },
  };
}
