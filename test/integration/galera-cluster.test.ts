/**
 * Climate on a 3-node MariaDB Galera cluster (tools/ensure-galera.sh), every node a writer. One file, run
 * serially: the scenarios share the cluster, and one of them kills a node.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { MIGRATION_NAMES } from '../../src/db';
import { createGaleraDatabase, GALERA_PORTS, nodeConnection, nodeStatus, type GaleraDatabase } from '../support/galera';
import { ensureBuilt, runToEnd } from '../support/processes';

jest.setTimeout(300_000);

let dir: string;
beforeAll(async () => {
  await ensureBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'climate-galera-'));
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function configFile(name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, body);
  return file;
}

describe('the cluster', () => {
  let database: GaleraDatabase;
  beforeAll(async () => { database = await createGaleraDatabase(); });
  afterAll(async () => { await database.drop(); });

  it('has three synced nodes, each a writer', async () => {
    for (let i = 0; i < GALERA_PORTS.length; i++) {
      const status = await nodeStatus(i);
      expect(status.wsrep_cluster_size).toBe('3');
      expect(status.wsrep_local_state_comment).toBe('Synced');
      expect(status.wsrep_ready).toBe('ON');
    }
  });

  it('climate-manage db sync on one node migrates the schema every node then has', async () => {
    const conf = configFile('sync.conf', `[database]\nconnection = ${database.urls[1]}\n`);
    const sync = await runToEnd('climate-manage', ['--config-file', conf, 'db', 'sync'], {}, 120_000);
    expect(sync.stderr).toBe('');
    expect(sync.code).toBe(0);
    expect(sync.stdout).toMatch(/^applied: 001-initial-schema/);
    for (let i = 0; i < GALERA_PORTS.length; i++) {
      const conn = await nodeConnection(i, database.name);
      try {
        const [applied] = await conn.query('SELECT name FROM climate_migrations ORDER BY name');
        expect((applied as { name: string }[]).map((r) => r.name)).toEqual([...MIGRATION_NAMES]);
        // Galera replicates row changes of tables with a primary key only: every table has one.
        const [keyless] = await conn.query(
          `SELECT t.table_name AS name FROM information_schema.tables t WHERE t.table_schema = ? AND NOT EXISTS (
             SELECT 1 FROM information_schema.table_constraints c
              WHERE c.table_schema = t.table_schema AND c.table_name = t.table_name AND c.constraint_type = 'PRIMARY KEY')`,
          [database.name]);
        expect(keyless).toEqual([]);
      } finally {
        await conn.end();
      }
    }
  });
});
