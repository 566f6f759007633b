/**
 * The database step of `stack post-config` for real: the SQL DevStack's recreate_database runs (as the fake
 * records it) on the real MariaDB, then the migration command the plugin runs, with the compiled
 * climate-manage and the climate.conf the plugin wrote.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { createConnection } from 'mysql2/promise';
import { callsTo, removeMachineBin, REPO, World } from './harness';

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

  test('DATABASE_TYPE=postgresql: post-config stops at once, saying Climate needs MySQL/MariaDB', () => {
    const pg = new World({ env: { DATABASE_TYPE: 'postgresql', CLIMATE_DB_NAME: name } });
    try {
      const result = pg.run('stack', 'post-config');
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain('Climate needs MySQL/MariaDB: DATABASE_TYPE=postgresql is not supported');
      expect(callsTo(result.calls, 'recreate_database')).toEqual([]);
    } finally {
      pg.cleanup();
    }
  });
});
