import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createConnection } from 'mysql2/promise';

export type TestDialect = 'sqlite' | 'mariadb';

/** Both engines every repository and concurrency test runs on. */
export const DIALECTS: TestDialect[] = ['sqlite', 'mariadb'];

/** Where the test MariaDB lives (tools/test.sh makes sure it runs); override with CLIMATE_TEST_MYSQL. */
const MYSQL_BASE = process.env.CLIMATE_TEST_MYSQL ?? 'mysql://root@127.0.0.1:3306';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/**
 * A fresh, empty database: a temporary SQLite file, or a new MariaDB schema with a random name. A MariaDB
 * that cannot be reached fails the test: nothing is skipped silently.
 *
 * The MariaDB schema is made the way operators make theirs, a plain `CREATE DATABASE name` with the server's
 * default character set and collation, unless `mysqlCreateOptions` says otherwise (e.g. `CHARACTER SET utf8`,
 * as DevStack's recreate_database does): Climate's tables must not depend on the database's default.
 */
export async function createTestDatabase(dialect: TestDialect, mysqlCreateOptions = ''): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'climate-test-'));
    return { url: `sqlite:///${path.join(dir, 'climate.sqlite')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `climate_test_${randomBytes(6).toString('hex')}`;
  const base = new URL(MYSQL_BASE);
  const admin = await createConnection({
    host: base.hostname, port: Number(base.port || 3306), user: decodeURIComponent(base.username || 'root'),
    password: decodeURIComponent(base.password),
  });
  await admin.query(`CREATE DATABASE ${name} ${mysqlCreateOptions}`.trim());
  await admin.end();
  return {
    url: `${MYSQL_BASE}/${name}`,
    drop: async () => {
      const conn = await createConnection({
        host: base.hostname, port: Number(base.port || 3306), user: decodeURIComponent(base.username || 'root'),
        password: decodeURIComponent(base.password),
      });
      await conn.query(`DROP DATABASE IF EXISTS ${name}`);
      await conn.end();
    },
  };
}
