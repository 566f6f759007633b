/**
 * What the migration tests of each server engine share: `climate-manage db sync` run as operators run it (the
 * compiled process), the API used on the migrated database, and a migration cut short half-way.
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

/** Runs `climate-manage --config-file <conf> db <command>` with `connection`; resolves with its exit code and output. */
export async function manageDb(connection: string, command: 'sync' | 'upgrade' | 'version'): Promise<{ code: number; output: string }> {
  const conf = path.join(dir, `climate-${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(conf, `[database]\nconnection = ${connection}\n`);
  try {
    const { stdout, stderr } = await run(process.execPath, [MANAGE, '--config-file', conf, 'db', command], { timeout: 120_000 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** Runs `climate-manage db sync` with `connection`. */
export const dbSync = (connection: string) => manageDb(connection, 'sync');

/** Climate's API on an already migrated database: registers hosts and leases one. */
export async function useTheApi(connection: string): Promise<void> {
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

/**
 * A migration cut short after its n-th schema change (the change made, then the connection lost before the
 * next): what MariaDB keeps, since it commits each DDL statement on its own.
 */
export async function interruptAfter(url: string, steps: number): Promise<void> {
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


/**
 * The interrupted-migration suite of one server engine: for each cut point (`interruptAfter`), the next db sync
 * completes the migrations, the schema (as `schemaOf` reads it) is that of a freshly migrated database, and the
 * API works on it.
 */
export function describeInterruptedMigration(dialect: 'mariadb' | 'postgres', name: string, cutPoints: readonly number[],
  schemaOf: (url: string) => Promise<Record<string, unknown[]>>): void {
  describe(`a migration interrupted half-way on ${name}`, () => {
    let reference: Record<string, unknown[]>;
    const made: TestDatabase[] = [];
    beforeAll(async () => {
      const fresh = await createTestDatabase(dialect);
      made.push(fresh);
      expect((await dbSync(fresh.url)).code).toBe(0);
      reference = await schemaOf(fresh.url);
    }, 180_000);
    afterAll(async () => { for (const d of made) await d.drop(); });

    it.each([...cutPoints])('after %i schema changes: the next db sync completes it, and the schema is as a fresh one', async (steps) => {
      const database = await createTestDatabase(dialect);
      made.push(database);
      await interruptAfter(database.url, steps);
      const sync = await dbSync(database.url);
      expect(sync.output).toMatch(new RegExp(`^applied: .*${MIGRATION_NAMES[MIGRATION_NAMES.length - 1]}\n$`));
      expect(sync.code).toBe(0);
      expect(await schemaOf(database.url)).toEqual(reference);
      await useTheApi(database.url);
    }, 180_000);
  });
}

/** Runs each named query on the database at `url` (a connection of its own): the schema as the engine describes it. */
export async function readSchema(url: string, queries: Record<string, string>): Promise<Record<string, unknown[]>> {
  const db = new Database({ connection: url });
  try {
    await db.open();
    const out: Record<string, unknown[]> = {};
    for (const [name, sql] of Object.entries(queries)) out[name] = await db.select(sql);
    return out;
  } finally {
    await db.close();
  }
}
