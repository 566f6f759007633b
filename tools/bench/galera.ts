/**
 * `npm run bench:galera`: lease creates on the 3-node Galera cluster of tools/ensure-galera.sh, three API services
 * and 8 clients spread over them, in two deployments: every service writing to one node (single writer, as
 * behind HAProxy) and each service writing to its own node (multi-writer). Reports creates/s, latency and how
 * often a create's transaction was run again after a failed certification (or deadlock). Options: --hosts N,
 * --creates N, --out FILE. Prints a table and writes JSON (var/bench/).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { createConnection } from 'mysql2/promise';
import { buildServices, type Services } from '../../src/cli/services';
import { silentLogger } from '../../src/common';
import { configWith } from '../../src/config';
import { call } from './http';
import { summarize, timed, type Summary } from './stats';

const PORTS = (process.env.CLIMATE_TEST_GALERA_PORTS ?? '3311,3312,3313').split(',').map(Number);
const DAY = 86_400_000;
const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const hostReservation = { resource_type: 'physical:host', min: 1, max: 1, hypervisor_properties: '', resource_properties: '' };

type Mode = 'single writer' | 'multi-writer';

interface Result {
  mode: Mode;
  hosts: number;
  creates: number;
  perSecond: number;
  latency: Summary;
  /** Transaction runs repeated per create (Climate's own count, all three services). */
  retriesPerCreate: number;
  /** Creates refused with 503 after max_retries. */
  givenUp: number;
  /** Galera's wsrep_local_cert_failures + wsrep_local_bf_aborts over the run, summed over the nodes. */
  clusterConflicts: number;
}

function parseArgs(argv: string[]) {
  const get = (name: string) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : undefined; };
  return {
    hosts: Number(get('hosts') ?? 200),
    creates: Number(get('creates') ?? 600),
    out: get('out') ?? path.join('var', 'bench', `galera-${new Date().toISOString().replace(/[:.]/g, '-')}.json`),
  };
}

async function admin<T>(port: number, fn: (conn: Awaited<ReturnType<typeof createConnection>>) => Promise<T>): Promise<T> {
  const conn = await createConnection({ host: '127.0.0.1', port, user: 'root' });
  try {
    return await fn(conn);
  } finally {
    await conn.end();
  }
}

async function clusterConflicts(): Promise<number> {
  let total = 0;
  for (const port of PORTS) {
    total += await admin(port, async (conn) => {
      const [rows] = await conn.query("SHOW STATUS WHERE Variable_name IN ('wsrep_local_cert_failures', 'wsrep_local_bf_aborts')");
      return (rows as { Value: string }[]).reduce((n, r) => n + Number(r.Value), 0);
    });
  }
  return total;
}

function loadFromWorker(bases: string[], concurrency: number, requests: { method: string; path: string; body?: unknown }[]):
  Promise<{ durations: number[]; wallMs: number; refused: Record<string, number> }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(path.join(__dirname, 'load-worker.js'), { workerData: { base: bases[0], bases, concurrency, requests, accept: [503] } });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

async function listen(services: Services): Promise<{ server: Server; base: string }> {
  const server = await new Promise<Server>((resolve) => { const s = services.app().listen(0, '127.0.0.1', () => resolve(s)); });
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function benchMode(mode: Mode, o: ReturnType<typeof parseArgs>): Promise<Result> {
  const name = `climate_bench_galera_${Date.now()}`;
  await admin(PORTS[0], (conn) => conn.query(`CREATE DATABASE ${name}`));
  const log = (m: string) => process.stderr.write(`[${mode}] ${m}\n`);
  const services: Services[] = [];
  const servers: Server[] = [];
  try {
    const bases: string[] = [];
    for (let i = 0; i < 3; i++) {
      const port = mode === 'multi-writer' ? PORTS[i] : PORTS[0];
      const config = configWith({
        database: { connection: `mysql://root@127.0.0.1:${port}/${name}`, maxPoolSize: 10, wsrepSyncWait: 1 },
        notifications: { driver: 'noop' },
        manager: { minutesBeforeEndLease: 0, minutesBeforeStartLease: 0 },
      });
      const s = await buildServices(config, { migrate: i === 0, logger: silentLogger });
      const { server, base } = await listen(s);
      services.push(s);
      servers.push(server);
      bases.push(base);
    }
    log(`registering ${o.hosts} hosts`);
    await timed(o.hosts, 8, async (i) => { await call(bases[0], 'POST', '/v1/os-hosts', { name: `bench-${i}`, vcpus: 8 }); });

    log(`${o.creates} creates, 8 clients over 3 services`);
    const origin = Math.ceil(Date.now() / DAY) * DAY + 30 * DAY;
    const conflictsBefore = await clusterConflicts();
    // Every client asks for the same few windows, so they compete for the same lowest-numbered hosts.
    const load = await loadFromWorker(bases, 8, Array.from({ length: o.creates }, (_, i) => {
      const slot = i % 20;
      return {
        method: 'POST', path: '/v1/leases', body: {
          name: `conc-${i}`, start_date: iso(new Date(origin + slot * 3_600_000)), end_date: iso(new Date(origin + (slot + 1) * 3_600_000)),
          reservations: [hostReservation],
        },
      };
    }));
    const retried = services.reduce((n, s) => n + s.db.conflicts.retried, 0);
    const refused = load.refused['503'] ?? 0;
    return {
      // Creates/s counts the creates that succeeded; a 503 is an answer the client has to send again.
      mode, hosts: o.hosts, creates: o.creates, perSecond: (o.creates - refused) / (load.wallMs / 1000), latency: summarize(load.durations),
      retriesPerCreate: retried / o.creates, givenUp: services.reduce((n, s) => n + s.db.conflicts.givenUp, 0),
      clusterConflicts: (await clusterConflicts()) - conflictsBefore,
    };
  } finally {
    for (const server of servers) await new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of services) await s.close();
    await admin(PORTS[0], (conn) => conn.query(`DROP DATABASE IF EXISTS ${name}`));
  }
}

const ms = (n: number) => (Number.isFinite(n) ? `${n.toFixed(1)} ms` : '-');

function table(results: Result[]): string {
  const rows = [
    ['metric (Galera, 3 nodes, 3 API services, 8 clients)', ...results.map((r) => r.mode)],
    ['creates/s (successful)', ...results.map((r) => r.perSecond.toFixed(0))],
    ['create p50 / p99', ...results.map((r) => `${ms(r.latency.p50)} / ${ms(r.latency.p99)}`)],
    ['transaction retries per create', ...results.map((r) => r.retriesPerCreate.toFixed(3))],
    ['cluster conflicts (cert. failures + BF aborts)', ...results.map((r) => String(r.clusterConflicts))],
    ['creates refused with 503 (retries exhausted)', ...results.map((r) => String(r.givenUp))],
  ];
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(rows[0]), line(rows[0].map(() => '---')), ...rows.slice(1).map(line)].join('\n');
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const results: Result[] = [];
  for (const mode of ['single writer', 'multi-writer'] as const) results.push(await benchMode(mode, options));
  process.stdout.write(`${table(results)}\n`);
  mkdirSync(path.dirname(options.out), { recursive: true });
  writeFileSync(options.out, `${JSON.stringify({ when: new Date().toISOString(), results }, null, 2)}\n`);
  process.stderr.write(`results written to ${options.out}\n`);
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
