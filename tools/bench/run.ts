/**
 * `npm run bench`: Climate's performance on SQLite, MariaDB and PostgreSQL with 1,000 hosts and 10,000 existing
 * leases. Prints a table and writes JSON (var/bench/). Options: --dialect sqlite|mariadb|postgres (or several,
 * comma-separated: --dialect mariadb,postgres), --hosts N, --leases N, --events N, --out FILE. With --keystone:
 * the rows of keystone.ts, against a real Keystone.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { buildServices, type Services } from '../../src/cli/services';
import { silentLogger } from '../../src/common';
import { configWith } from '../../src/config';
import { createTestDatabase, type TestDialect } from '../../test/support/database';
import { benchAvailability, type AvailabilityResult } from './availability';
import { call } from './http';
import { eventLateness } from './events';
import { benchLists, type ListsResult } from './lists';
import { runKeystoneBench } from './keystone';
import { summarize, timed, type Summary } from './stats';

/** The engines a run can measure (all three by default). */
const ENGINES: readonly TestDialect[] = ['sqlite', 'mariadb', 'postgres'];

interface Options {
  dialects: TestDialect[];
  hosts: number;
  leases: number;
  events: number;
  out: string;
}

function parseArgs(argv: string[]): Options {
  const get = (name: string) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : undefined; };
  const dialects = (get('dialect') ?? 'sqlite,mariadb,postgres').split(',').map((d) => d.trim());
  const unknown = dialects.filter((d) => !ENGINES.includes(d as TestDialect));
  if (unknown.length) throw new Error(`--dialect: unknown engine(s) ${unknown.join(', ')} (${ENGINES.join(', ')})`);
  return {
    dialects: dialects as TestDialect[],
    hosts: Number(get('hosts') ?? 1000),
    leases: Number(get('leases') ?? 10_000),
    events: Number(get('events') ?? 1000),
    out: get('out') ?? path.join('var', 'bench', `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`),
  };
}

const DAY = 86_400_000;
const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const hostReservation = { resource_type: 'physical:host', min: 1, max: 1, hypervisor_properties: '', resource_properties: '' };

interface Result {
  dialect: TestDialect;
  hosts: number;
  existingLeases: number;
  createSequential: Summary;
  createConcurrent: { clients: number; creates: number; perSecond: number; latency: Summary };
  listLeases: Summary;
  /** GET /v1/leases?limit=1000, GET /v1/os-hosts and GET /v1/os-hosts/allocations (issue 18). */
  lists: ListsResult;
  /** GET /v1/os-hosts/capacity over the 30 days holding the existing leases, 1-hour steps (720). */
  capacity: Summary;
  eventLateness: Summary & { events: number };
  availability: AvailabilityResult;
}

/** Runs requests from a worker thread with `concurrency` clients; resolves with their durations. */
function loadFromWorker(base: string, concurrency: number, requests: { method: string; path: string; body?: unknown }[]): Promise<{ durations: number[]; wallMs: number }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(path.join(__dirname, 'load-worker.js'), { workerData: { base, concurrency, requests } });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

async function listen(services: Services): Promise<{ server: Server; base: string }> {
  const server = await new Promise<Server>((resolve) => { const s = services.app().listen(0, '127.0.0.1', () => resolve(s)); });
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function benchDialect(dialect: TestDialect, o: Options): Promise<Result> {
  const db = await createTestDatabase(dialect);
  const config = configWith({
    database: { connection: db.url, maxPoolSize: 10 },
    notifications: { driver: 'noop' },
    manager: { minutesBeforeEndLease: 0, minutesBeforeStartLease: 0, pollIntervalMs: 1000 },
    default: { apiMaxPageLimit: 1000 },
  });
  const services = await buildServices(config, { migrate: true, logger: silentLogger });
  const { server, base } = await listen(services);
  const log = (m: string) => process.stderr.write(`[${dialect}] ${m}\n`);
  try {
    log(`registering ${o.hosts} hosts`);
    await timed(o.hosts, 8, async (i) => { await call(base, 'POST', '/v1/os-hosts', { name: `bench-${i}`, vcpus: 8 + (i % 4) * 8, memory_mb: 65536 }); });

    // Existing leases: 1 host each, days 30.. ahead, so the calendar holds `leases` allocations.
    const origin = new Date(Math.ceil(Date.now() / DAY) * DAY + 30 * DAY);
    log(`creating ${o.leases} existing leases`);
    const admin = { userId: 'bench', projectId: 'bench', roles: ['admin'], isAdmin: true, requestId: 'req-bench' };
    await timed(o.leases, 8, async (i) => {
      const day = Math.floor(i / o.hosts);
      await services.leases.create(admin, {
        name: `existing-${i}`, start_date: iso(new Date(origin.getTime() + day * DAY)),
        end_date: iso(new Date(origin.getTime() + (day + 1) * DAY - 3_600_000)), reservations: [hostReservation],
      });
    });

    log('sequential creates');
    const seqOrigin = origin.getTime() + 400 * DAY;
    const sequential = await timed(300, 1, async (i) => {
      await call(base, 'POST', '/v1/leases', {
        name: `seq-${i}`, start_date: iso(new Date(seqOrigin + i * 3_600_000)), end_date: iso(new Date(seqOrigin + (i + 1) * 3_600_000)),
        reservations: [hostReservation],
      });
    });

    log('concurrent creates');
    const concOrigin = origin.getTime() + 800 * DAY;
    const creates = 1000;
    // Every client asks for the same few windows, so they compete for the same lowest-numbered hosts.
    const concurrent = await loadFromWorker(base, 8, Array.from({ length: creates }, (_, i) => {
      const slot = i % 20;
      return {
        method: 'POST', path: '/v1/leases', body: {
          name: `conc-${i}`, start_date: iso(new Date(concOrigin + slot * 3_600_000)), end_date: iso(new Date(concOrigin + (slot + 1) * 3_600_000)),
          reservations: [hostReservation],
        },
      };
    }));

    log('GET /v1/leases?limit=100');
    const list = await timed(200, 1, async () => { await call(base, 'GET', '/v1/leases?limit=100'); });
    const lists = await benchLists(base, 1000, 50, log);
    log('GET /v1/os-hosts/capacity, 30 days at 1-hour steps');
    const capacityPath = `/v1/os-hosts/capacity?start=${encodeURIComponent(iso(origin))}`
      + `&end=${encodeURIComponent(iso(new Date(origin.getTime() + 30 * DAY)))}&step=3600`;
    const capacity = await timed(50, 1, async () => { await call(base, 'GET', capacityPath); });

    // Before the other creates land after the existing leases: the windows searched start where those begin.
    const availability = await benchAvailability(base, origin, 100, log);

    log(`event lateness: ${o.events} leases starting within one minute`);
    const { lateness } = await eventLateness(services, o.events);

    return {
      dialect, hosts: o.hosts, existingLeases: o.leases,
      createSequential: summarize(sequential.durations),
      createConcurrent: { clients: 8, creates, perSecond: creates / (concurrent.wallMs / 1000), latency: summarize(concurrent.durations) },
      listLeases: summarize(list.durations),
      lists,
      capacity: summarize(capacity.durations),
      eventLateness: { ...summarize(lateness), events: lateness.length },
      availability,
    };
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await services.close();
    await db.drop();
  }
}

const ms = (n: number) => (Number.isFinite(n) ? `${n.toFixed(1)} ms` : '-');

function table(results: Result[]): string {
  const rows = [
    ['metric', ...results.map((r) => r.dialect)],
    ['hosts / existing leases', ...results.map((r) => `${r.hosts} / ${r.existingLeases}`)],
    ['lease create p50 (sequential)', ...results.map((r) => ms(r.createSequential.p50))],
    ['lease create p99 (sequential)', ...results.map((r) => ms(r.createSequential.p99))],
    ['creates/s, 8 clients', ...results.map((r) => r.createConcurrent.perSecond.toFixed(0))],
    ['create p50 / p99, 8 clients', ...results.map((r) => `${ms(r.createConcurrent.latency.p50)} / ${ms(r.createConcurrent.latency.p99)}`)],
    ['GET /v1/leases?limit=100 p50 / p99', ...results.map((r) => `${ms(r.listLeases.p50)} / ${ms(r.listLeases.p99)}`)],
    ['GET /v1/leases, 1,000 leases p50 / p99', ...results.map((r) => `${ms(r.lists.listLeases.p50)} / ${ms(r.lists.listLeases.p99)}`)],
    ['GET /v1/os-hosts, all hosts p50 / p99', ...results.map((r) => `${ms(r.lists.listHosts.p50)} / ${ms(r.lists.listHosts.p99)} (${r.lists.hostsListed})`)],
    ['GET /v1/os-hosts/allocations p50 / p99', ...results.map((r) => `${ms(r.lists.allocations.p50)} / ${ms(r.lists.allocations.p99)} (${r.lists.allocationsListed})`)],
    ['GET /v1/os-hosts/capacity 30 d, 1 h steps p50 / p99', ...results.map((r) => `${ms(r.capacity.p50)} / ${ms(r.capacity.p99)}`)],
    ['find slot p50 / p99 (8 hosts, filter, 30 days)', ...results.map((r) => `${ms(r.availability.findSlot.p50)} / ${ms(r.availability.findSlot.p99)}`)],
    ['earliest-fit create p50 / p99', ...results.map((r) => `${ms(r.availability.earliestCreate.p50)} / ${ms(r.availability.earliestCreate.p99)}`)],
    ['event lateness p50 / p99', ...results.map((r) => `${ms(r.eventLateness.p50)} / ${ms(r.eventLateness.p99)} (${r.eventLateness.events} events)`)],
  ];
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(rows[0]), line(rows[0].map(() => '---')), ...rows.slice(1).map(line)].join('\n');
}

async function main(): Promise<void> {
  // The same kind of rows with Keystone authentication, against a real Keystone (tools/bench/keystone.ts).
  if (process.argv.includes('--keystone')) return runKeystoneBench(process.argv.slice(2));
  const options = parseArgs(process.argv.slice(2));
  const results: Result[] = [];
  for (const dialect of options.dialects) results.push(await benchDialect(dialect, options));
  const output = table(results);
  process.stdout.write(`${output}\n`);
  mkdirSync(path.dirname(options.out), { recursive: true });
  writeFileSync(options.out, `${JSON.stringify({ when: new Date().toISOString(), results }, null, 2)}\n`);
  process.stderr.write(`results written to ${options.out}\n`);
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
