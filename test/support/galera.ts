/**
 * The 3-node Galera cluster tools/ensure-galera.sh runs for the tests (SQL on 127.0.0.1:3311-3313, root without
 * password): a fresh database on it, per-node connection URLs, and a node's crash and return.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { createConnection, type Connection } from 'mysql2/promise';

const ROOT = path.resolve(__dirname, '../..');
const run = promisify(execFile);

/** The nodes' SQL ports; override with CLIMATE_TEST_GALERA_PORTS=3311,3312,3313. */
export const GALERA_PORTS = (process.env.CLIMATE_TEST_GALERA_PORTS ?? '3311,3312,3313').split(',').map(Number);

export interface GaleraDatabase {
  name: string;
  /** One `mysql://` URL per node, in node order. */
  urls: string[];
  drop(): Promise<void>;
}

/** A connection to node `index` (0-based) with reads that wait for the node to apply what the cluster committed. */
export async function nodeConnection(index: number, database?: string): Promise<Connection> {
  const conn = await createConnection({ host: '127.0.0.1', port: GALERA_PORTS[index], user: 'root', database });
  await conn.query('SET SESSION wsrep_sync_wait = 1');
  return conn;
}

/** A new empty database, made on the first node (the cluster replicates DDL to every node). */
export async function createGaleraDatabase(): Promise<GaleraDatabase> {
  const name = `climate_galera_${randomBytes(6).toString('hex')}`;
  const admin = await nodeConnection(0);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    name,
    urls: GALERA_PORTS.map((port) => `mysql://root@127.0.0.1:${port}/${name}`),
    drop: async () => {
      const conn = await nodeConnection(0);
      await conn.query(`DROP DATABASE IF EXISTS ${name}`);
      await conn.end();
    },
  };
}

/** `SHOW STATUS` values of a node (wsrep_cluster_size, wsrep_local_state_comment...). */
export async function nodeStatus(index: number, like = 'wsrep_%'): Promise<Record<string, string>> {
  const conn = await createConnection({ host: '127.0.0.1', port: GALERA_PORTS[index], user: 'root' });
  try {
    const [rows] = await conn.query(`SHOW STATUS LIKE '${like}'`);
    return Object.fromEntries((rows as { Variable_name: string; Value: string }[]).map((r) => [r.Variable_name, r.Value]));
  } finally {
    await conn.end();
  }
}

/** The node's mariadbd killed with SIGKILL, as a crash would. */
export async function killNode(index: number): Promise<void> {
  await run('bash', [path.join(ROOT, 'tools/stop-galera.sh'), '--kill', String(index + 1)], { cwd: ROOT });
}

/** Starts what is not running (a killed node rejoins: IST from the others' cache) and waits until all are Synced. */
export async function ensureCluster(): Promise<void> {
  await run('bash', [path.join(ROOT, 'tools/ensure-galera.sh')], { cwd: ROOT, timeout: 300_000 });
}

/** Polls until `check` holds, or throws after `ms` with what it last saw. */
export async function eventually<T>(what: string, read: () => Promise<T>, check: (value: T) => boolean, ms = 120_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T | undefined;
  let error: unknown;
  while (Date.now() < deadline) {
    try {
      last = await read();
      if (check(last)) return last;
    } catch (e) {
      error = e;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${what}: not reached within ${ms} ms; last seen ${JSON.stringify(last)} ${error ? String(error) : ''}`);
}
