/**
 * The database step of `stack post-config` for real: the SQL and commands DevStack's recreate_database runs
 * (as the fake records them) on the real MariaDB and PostgreSQL, then the migration command the plugin runs,
 * with the compiled climate-manage and the climate.conf the plugin wrote.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { createConnection } from 'mysql2/promise';
import { Database } from '../../src/db';
import { POSTGRES_BASE, postgresAdmin } from '../support/database';
import { callsTo, readIni, removeMachineBin, REPO, sectionOf, World } from './harness';

const run = promisify(execFile);
const MANAGE = path.join(REPO, 'dist/src/cli/climate-manage.js');

describe('stack post-config on a real MariaDB', () => {
  const name = `climate_devstack_${randomBytes(5).toString('hex')}`;
  let w: World;
  beforeAll(async () => {
    if (!existsSync(MANAGE)) await run('npm', ['run', 'build'], { cwd: REPO });
  }, 180_000);
  afterAll(async () => {
    w?.cleanup();
    removeMachineBin();
    const admin = await createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.end();
  });

  test("the database made as DevStack's recreate_database makes it (CHARACTER SET utf8) is migrated", async () => {
    w = new World({ env: { CLIMATE_DB_NAME: name, DATABASE_PASSWORD: '', BASE_SQL_CONN: 'mysql+pymysql://root@127.0.0.1:3306' } });
    const result = w.run('stack', 'post-config');
    expect(result.status).toBe(0);
    const statements = callsTo(result.calls, 'mysql').map((c) => c.args[c.args.indexOf('-e') + 1]);
    expect(statements).toEqual([`DROP DATABASE IF EXISTS ${name};`, `CREATE DATABASE ${name} CHARACTER SET utf8;`]);
    const admin = await createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
    try {
      for (const sql of statements) await admin.query(sql);
      // The migration as the plugin runs it, with the real climate-manage in place of the fake tree's.
      const [migrate] = callsTo(result.calls, 'node');
      expect(migrate.args[0]).toBe(path.join(w.climateDir, 'dist/src/cli/climate-manage.js'));
      const { stdout } = await run(process.execPath, [MANAGE, ...migrate.args.slice(1)], { timeout: 120_000 });
      expect(stdout).toMatch(/^applied: 001-initial-schema, /);
      const [tables] = await admin.query(
        'SELECT TABLE_NAME AS t, TABLE_COLLATION AS c FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [name]);
      const collations = new Set((tables as { c: string }[]).map((r) => r.c));
      expect((tables as unknown[]).length).toBeGreaterThanOrEqual(14);
      expect([...collations]).toEqual(['utf8mb4_bin']);
    } finally {
      await admin.end();
    }
  }, 180_000);
});

describe('stack post-config on a real PostgreSQL (DATABASE_TYPE=postgresql)', () => {
  const name = `climate_devstack_${randomBytes(5).toString('hex')}`;
  const server = new URL(POSTGRES_BASE);
  let w: World;
  beforeAll(async () => {
    if (!existsSync(MANAGE)) await run('npm', ['run', 'build'], { cwd: REPO });
  }, 180_000);
  afterAll(async () => {
    w?.cleanup();
    removeMachineBin();
    await postgresAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });

  test("the database made as DevStack's recreate_database makes it (createdb -l C -T template0) is migrated", async () => {
    const user = decodeURIComponent(server.username) || 'postgres';
    w = new World({
      env: {
        DATABASE_TYPE: 'postgresql', CLIMATE_DB_NAME: name, DATABASE_HOST: server.hostname, DATABASE_USER: user,
        DATABASE_PASSWORD: 'dbpass', BASE_SQL_CONN: `postgresql://${user}:dbpass@${server.host}`,
        ENABLED_SERVICES: 'key,postgresql,rabbit,placement-api,n-api,n-cond,n-sch,n-cpu,g-api,q-svc',
      },
    });
    const result = w.run('stack', 'post-config');
    expect(result.status).toBe(0);
    // The URL DevStack gives (its client_encoding parameter kept: node-postgres talks UTF-8 anyway).
    expect(sectionOf(readIni(w.conf), 'database')).toEqual({ connection: `postgresql://${user}:dbpass@${server.host}/${name}?client_encoding=utf8` });
    const commands = [...callsTo(result.calls, 'psql'), ...callsTo(result.calls, 'createdb')];
    expect(commands.map((c) => [c.name, ...c.args].join(' '))).toEqual([
      `psql -h${server.hostname} -U${user} -dtemplate1 -c DROP DATABASE IF EXISTS ${name}`,
      `createdb -h ${server.hostname} -U${user} -l C -T template0 -E utf8 ${name}`,
    ]);
    // DevStack's commands for real (trust authentication: the password is not asked), then the migration as
    // the plugin runs it, with the real climate-manage in place of the fake tree's.
    const env = { ...process.env, PGPORT: server.port || '5432' };
    for (const c of commands) await run(c.name, c.args, { env, timeout: 60_000 });
    const [migrate] = callsTo(result.calls, 'node');
    expect(migrate.args[0]).toBe(path.join(w.climateDir, 'dist/src/cli/climate-manage.js'));
    const { stdout } = await run(process.execPath, [MANAGE, ...migrate.args.slice(1)], { timeout: 120_000 });
    expect(stdout).toMatch(/^applied: 001-initial-schema, /);
    const db = new Database({ connection: `${POSTGRES_BASE}/${name}` });
    try {
      await db.open();
      const [row] = await db.select<{ n: unknown }>('SELECT COUNT(*) AS n FROM pg_tables WHERE schemaname = current_schema()');
      expect(Number(row.n)).toBeGreaterThanOrEqual(15);
      const [collation] = await db.select<{ c: string }>('SELECT datcollate AS c FROM pg_database WHERE datname = current_database()');
      expect(collation.c).toBe('C');
    } finally {
      await db.close();
    }
  }, 180_000);

  test('another DATABASE_TYPE: post-config stops at once, naming what Climate runs on', () => {
    const other = new World({ env: { DATABASE_TYPE: 'oracle', CLIMATE_DB_NAME: name } });
    try {
      const result = other.run('stack', 'post-config');
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain('Climate needs MySQL/MariaDB or PostgreSQL: DATABASE_TYPE=oracle is not supported');
      expect(callsTo(result.calls, 'recreate_database')).toEqual([]);
    } finally {
      other.cleanup();
    }
  });
});
