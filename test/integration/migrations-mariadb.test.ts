/**
 * `climate-manage db sync` (the compiled process, as operators run it) on MariaDB databases made the ordinary
 * ways, then the API on them; and a migration interrupted half-way, completed by the next sync.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { buildServices } from '../../src/cli/services';
import { silentLogger } from '../../src/common';
import { configWith } from '../../src/config';
import { Database, MIGRATION_NAMES, migrateUp, pendingMigrations } from '../../src/db';
import { createTestDatabase, type TestDatabase } from '../support/database';

const ROOT = path.resolve(__dirname, '../..');
const MANAGE = path.join(ROOT, 'dist/src/cli/climate-manage.js');
const run = promisify(execFile);

let dir: string;
beforeAll(async () => {
  if (!existsSync(MANAGE)) await run('npm', ['run', 'build'], { cwd: ROOT });
  dir = mkdtempSync(path.join(tmpdir(), 'climate-migrate-'));
}, 180_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `climate-manage --config-file <conf> db sync` with `connection`; resolves with its exit code and output. */
async function dbSync(connection: string): Promise<{ code: number; output: string }> {
  const conf = path.join(dir, `climate-${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(conf, `[database]\nconnection = ${connection}\n`);
  try {
    const { stdout, stderr } = await run(process.execPath, [MANAGE, '--config-file', conf, 'db', 'sync'], { timeout: 120_000 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** The schema as MariaDB describes it: tables with their collation, columns, indexes and foreign keys. */
async function schemaOf(url: string): Promise<Record<string, unknown[]>> {
  const db = new Database({ connection: url });
  try {
    await db.open();
    const q = (sql: string) => db.select(sql);
    return {
      tables: await q('SELECT TABLE_NAME, TABLE_COLLATION, ENGINE FROM information_schema.TABLES '
        + 'WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME'),
      columns: await q('SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLLATION_NAME, COLUMN_DEFAULT '
        + 'FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, COLUMN_NAME'),
      indexes: await q('SELECT TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, NON_UNIQUE FROM information_schema.STATISTICS '
        + 'WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX'),
      foreignKeys: await q('SELECT TABLE_NAME, COLUMN_NAME, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME '
        + 'FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME IS NOT NULL '
        + 'ORDER BY TABLE_NAME, COLUMN_NAME'),
      migrations: await q('SELECT name FROM climate_migrations ORDER BY name'),
    };
  } finally {
    await db.close();
  }
}

/** Climate's API on an already migrated database: registers hosts and leases one. */
async function useTheApi(connection: string): Promise<void> {
  const services = await buildServices(configWith({ database: { connection }, notifications: { driver: 'noop' } }),
    { migrate: false, logger: silentLogger });
  try {
    const app = services.app();
    // Names that differ only in case are two hosts: the binary collation is kept.
    for (const name of ['compute-1', 'Compute-1']) {
      const host = await request(app).post('/v1/os-hosts').send({ name, vcpus: 8, gpu: 'True' });
      expect(host.status).toBe(201);
    }
    const lease = await request(app).post('/v1/leases').set('X-Project-Id', 'demo').set('X-Roles', 'member').send({
      name: 'l1', start_date: '2030-01-01 12:00', end_date: '2030-01-02 12:00',
      reservations: [{ resource_type: 'physical:host', min: 2, max: 2, hypervisor_properties: '', resource_properties: '["==", "$gpu", "True"]' }],
    });
    expect(lease.status).toBe(201);
    expect(lease.body.lease.reservations).toHaveLength(1);
    const listed = await request(app).get('/v1/leases').set('X-Project-Id', 'demo').set('X-Roles', 'member');
    expect(listed.body.leases.map((l: { name: string }) => l.name)).toEqual(['l1']);
  } finally {
    await services.close();
  }
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

/**
 * A migration cut short after its n-th schema change (the change made, then the connection lost before the
 * next): what MariaDB keeps, since it commits each DDL statement on its own.
 */
async function interruptAfter(url: string, steps: number): Promise<void> {
  const db = new Database({ connection: url });
  await db.open();
  const qi = db.sequelize.getQueryInterface();
  let done = 0;
  const cut = new Proxy(qi, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      if (!['createTable', 'addIndex', 'removeIndex'].includes(String(property))) return value.bind(target);
      return async (...args: unknown[]) => {
        const result = await value.apply(target, args);
        if (++done === steps) throw new Error('Connection lost: The server closed the connection.');
        return result;
      };
    },
  });
  db.sequelize.getQueryInterface = () => cut;
  try {
    await expect(migrateUp(db)).rejects.toThrow(/Connection lost/);
    expect((await pendingMigrations(db)).length).toBeGreaterThan(0);
  } finally {
    await db.close();
  }
}

describe('a migration interrupted half-way on MariaDB', () => {
  let reference: Record<string, unknown[]>;
  const made: TestDatabase[] = [];
  beforeAll(async () => {
    const fresh = await createTestDatabase('mariadb');
    made.push(fresh);
    expect((await dbSync(fresh.url)).code).toBe(0);
    reference = await schemaOf(fresh.url);
  }, 180_000);
  afterAll(async () => { for (const d of made) await d.drop(); });

  // 1: only `leases` made; 4: leases and its indexes (what the errno 150 failure left); 26: inside
  // 002-instance-allocations; 42: inside 005-allocation-end-index, the new index added and the old one not yet removed.
  it.each([1, 4, 26, 42])('after %i schema changes: the next db sync completes it, and the schema is as a fresh one', async (steps) => {
    const database = await createTestDatabase('mariadb');
    made.push(database);
    await interruptAfter(database.url, steps);
    const sync = await dbSync(database.url);
    expect(sync.output).toMatch(new RegExp(`^applied: .*${MIGRATION_NAMES[MIGRATION_NAMES.length - 1]}\n$`));
    expect(sync.code).toBe(0);
    expect(await schemaOf(database.url)).toEqual(reference);
    await useTheApi(database.url);
  }, 180_000);
});
