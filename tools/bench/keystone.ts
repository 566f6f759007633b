/**
 * `npm run bench -- --keystone`: Climate in keystone mode against a real Keystone (Debian's, Fernet tokens, set up
 * as the tests do), on MariaDB by default. For 10, 100 and 1,000 hosts, each with 1,000 existing leases: host-lease
 * create p50/p99 sequential, creates/s with 1, 4 and 8 clients (each create its own window, all on the same
 * hosts), GET /v1/leases returning 1,000 leases, a volume-lease create (which takes a Keystone trust), and the
 * first request with a new token (online validation) against a warm one.
 * Options: --dialect sqlite|mariadb, --hosts N (one size only), --leases N, --creates N (per client count),
 * --out FILE, --noauth (the same rows in noauth mode, to compare back to back on a busy machine).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { RequestContext } from '../../src/auth/context';
import { buildServices, type Services } from '../../src/cli/services';
import { silentLogger } from '../../src/common';
import { configWith } from '../../src/config';
import { createTestDatabase, type TestDialect } from '../../test/support/database';
import { startKeystone, type TestKeystone } from '../../test/support/keystone';
import { KeystoneAdmin, login } from '../../test/support/keystone-admin';
import { call, callBytes } from './http';
import { summarize, timed, type Summary } from './stats';

interface Options {
  dialect: TestDialect;
  sizes: number[];
  leases: number;
  creates: number;
  out: string;
  noauth: boolean;
}

function parseArgs(argv: string[]): Options {
  const get = (name: string) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : undefined; };
  const hosts = get('hosts');
  return {
    dialect: (get('dialect') ?? 'mariadb') as TestDialect,
    sizes: hosts ? [Number(hosts)] : [10, 100, 1000],
    leases: Number(get('leases') ?? 1000),
    creates: Number(get('creates') ?? 200),
    out: get('out') ?? path.join('var', 'bench', `keystone-${new Date().toISOString().replace(/[:.]/g, '-')}.json`),
    noauth: argv.includes('--noauth'),
  };
}

const PASSWORD = 'bench-pw';
const DAY = 86_400_000;
const HOUR = 3_600_000;
const CLIENTS = [1, 4, 8];
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const hostReservation = { resource_type: 'physical:host', min: 1, max: 1, hypervisor_properties: '', resource_properties: '' };
const log = (m: string) => process.stderr.write(`[keystone] ${m}\n`);

interface World {
  /** null with --noauth. */
  keystone: TestKeystone | null;
  projectId: string;
  userId: string;
  /** Request headers of alice (member of alpha) and of the bootstrap admin: their tokens, logged in. */
  alice: Record<string, string>;
  admin: Record<string, string>;
  /** alice's headers with a token never sent to Climate before. */
  newAlice(): Promise<Record<string, string>>;
}

const headersOf = (token: string) => ({ 'content-type': 'application/json', 'x-auth-token': token });

/** The same identities as headers in noauth mode. */
function noauthWorld(): World {
  const as = (user: string, roles: string) => ({ 'content-type': 'application/json', 'x-user-id': user, 'x-project-id': user === 'admin' ? 'admin' : 'alpha', 'x-roles': roles });
  return { keystone: null, projectId: 'alpha', userId: 'alice', alice: as('alice', 'member'), admin: as('admin', 'admin'), newAlice: async () => as('alice', 'member') };
}

async function setUp(): Promise<World> {
  log('setting up Debian\'s Keystone (fernet provider)');
  const keystone = await startKeystone({ provider: 'fernet' });
  const admin = await KeystoneAdmin.connect(keystone.url, keystone.adminPassword);
  const service = await admin.createProject('service');
  const projectId = await admin.createProject('alpha');
  await admin.createMember('climate', PASSWORD, service, 'service');
  const userId = await admin.createMember('alice', PASSWORD, projectId, 'member');
  const newAlice = async () => headersOf((await login(keystone.url, 'alice', PASSWORD, { project: 'alpha' })).token);
  return {
    keystone, projectId, userId, alice: await newAlice(), newAlice,
    admin: headersOf((await login(keystone.url, 'admin', keystone.adminPassword, { project: 'admin' })).token),
  };
}

interface SizeResult {
  hosts: number;
  existingLeases: number;
  createSequential: Summary;
  /** `lockWaits` / `lockMs`: InnoDB row-lock waits during the run, server-wide (MariaDB only; other users count too). */
  concurrent: { clients: number; creates: number; perSecond: number; latency: Summary; lockWaits?: number; lockMs?: number }[];
  listLeases: Summary & { leases: number };
  volumeCreate: Summary;
  firstRequest: Summary;
  warmRequest: Summary;
  keystoneCalls: Record<string, number>;
}

function loadFromWorker(base: string, concurrency: number, headers: Record<string, string>,
  requests: { method: string; path: string; body?: unknown }[]): Promise<{ durations: number[]; wallMs: number }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(path.join(__dirname, 'load-worker.js'), { workerData: { base, concurrency, requests, headers } });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

/** InnoDB's row-lock wait counters (server-wide), or null on SQLite. */
async function rowLockCounters(services: Services): Promise<{ waits: number; ms: number } | null> {
  if (services.db.dialect !== 'mysql') return null;
  const rows = await services.db.select<{ name: string; value: string }>(
    "SELECT VARIABLE_NAME AS name, VARIABLE_VALUE AS value FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME IN ('INNODB_ROW_LOCK_WAITS', 'INNODB_ROW_LOCK_TIME')");
  const value = (name: string) => Number(rows.find((r) => r.name.toUpperCase() === name)?.value ?? NaN);
  return { waits: value('INNODB_ROW_LOCK_WAITS'), ms: value('INNODB_ROW_LOCK_TIME') };
}

async function listen(services: Services): Promise<{ server: Server; base: string }> {
  const server = await new Promise<Server>((resolve) => { const s = services.app().listen(0, '127.0.0.1', () => resolve(s)); });
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function benchSize(w: World, hosts: number, o: Options): Promise<SizeResult> {
  const db = await createTestDatabase(o.dialect);
  const config = configWith({
    database: { connection: db.url, maxPoolSize: 10 },
    notifications: { driver: 'noop' },
    manager: { plugins: ['physical:host', 'virtual:volume'] },
    default: { authStrategy: w.keystone ? 'keystone' : 'noauth', apiMaxPageLimit: Math.max(1000, o.leases) },
    ...(w.keystone ? { keystoneAuthtoken: { authUrl: w.keystone.url, username: 'climate', password: PASSWORD, projectName: 'service' } } : {}),
  });
  const services = await buildServices(config, { migrate: true, logger: silentLogger });
  const { server, base } = await listen(services);
  const as = (headers: Record<string, string>) => (method: string, p: string, body?: unknown) => call(base, method, p, body, undefined, headers);
  const admin = as(w.admin);
  const alice = as(w.alice);
  const tag = `${o.dialect}/${hosts} hosts${w.keystone ? '' : ', noauth'}`;
  try {
    log(`${tag}: registering hosts`);
    await timed(hosts, 8, async (i) => { await admin('POST', '/v1/os-hosts', { name: `bench-${i}`, vcpus: 16, memory_mb: 65536 }); });
    await admin('POST', '/v1/volume-pools', { name: 'ceph@rbd#bench', capacity_gb: 1_000_000 });

    // Existing leases of alice's project, 1 host each, from day 30 on: the calendar holds `leases` allocations.
    log(`${tag}: ${o.leases} existing leases`);
    const origin = Math.ceil(Date.now() / DAY) * DAY + 30 * DAY;
    const owner: RequestContext = { userId: w.userId, projectId: w.projectId, roles: ['admin', 'member'], isAdmin: true, requestId: 'req-bench' };
    await timed(o.leases, 8, async (i) => {
      const day = Math.floor(i / hosts);
      await services.leases.create(owner, {
        name: `existing-${i}`, start_date: iso(origin + day * DAY), end_date: iso(origin + (day + 1) * DAY - HOUR), reservations: [hostReservation],
      });
    });

    log(`${tag}: GET /v1/leases (${o.leases} leases)`);
    let listed = 0;
    // Warm-up, as lists.js does: the first lists ran cold code (V8 compiles the paths over the first ten or so)
    // and alice's token's first validation against Keystone; with 30 samples that first request was the p99
    // (168-300 ms) and the slope of the next ones moved the p50. A new token's cost has its own row below.
    await timed(10, 1, async () => { await alice('GET', `/v1/leases?limit=${o.leases}`); });
    // Timed to the answer's last byte (as lists.js): the bench's own parse of 1 MB of JSON is not the server's time.
    let bytes: Buffer = Buffer.alloc(0);
    const list = await timed(30, 1, async () => { bytes = await callBytes(base, 'GET', `/v1/leases?limit=${o.leases}`, undefined, undefined, w.alice); });
    listed = (JSON.parse(bytes.toString('utf8')) as { leases: unknown[] }).leases.length;

    // New windows after the existing leases: every create has its own hour, on the same (lowest) hosts.
    let cursor = origin + (Math.ceil(o.leases / hosts) + 10) * DAY;
    const hostLease = (name: string) => {
      const start = cursor;
      cursor += HOUR;
      return { name, start_date: iso(start), end_date: iso(start + HOUR), reservations: [hostReservation] };
    };
    log(`${tag}: sequential creates`);
    const sequential = await timed(o.creates, 1, async (i) => { await alice('POST', '/v1/leases', hostLease(`seq-${i}`)); });

    const concurrent: SizeResult['concurrent'] = [];
    for (const clients of CLIENTS) {
      log(`${tag}: ${o.creates} creates with ${clients} client(s)`);
      const requests = Array.from({ length: o.creates }, (_, i) => ({ method: 'POST', path: '/v1/leases', body: hostLease(`c${clients}-${i}`) }));
      const locksBefore = await rowLockCounters(services);
      const run = await loadFromWorker(base, clients, w.alice, requests);
      const locksAfter = await rowLockCounters(services);
      concurrent.push({
        clients, creates: o.creates, perSecond: o.creates / (run.wallMs / 1000), latency: summarize(run.durations),
        ...(locksBefore && locksAfter ? { lockWaits: locksAfter.waits - locksBefore.waits, lockMs: locksAfter.ms - locksBefore.ms } : {}),
      });
    }

    log(`${tag}: volume-lease creates (each takes a Keystone trust)`);
    const volumes = await timed(20, 1, async (i) => {
      const start = cursor;
      cursor += HOUR;
      await alice('POST', '/v1/leases', {
        name: `vol-${i}`, start_date: iso(start), end_date: iso(start + HOUR),
        reservations: [{ resource_type: 'virtual:volume', amount: 1, size_gb: 1 }],
      });
    });

    log(`${tag}: first request with a new token`);
    const tokens: Record<string, string>[] = [];
    for (let i = 0; i < 20; i++) tokens.push(await w.newAlice());
    const first = await timed(tokens.length, 1, async (i) => { await as(tokens[i])('GET', '/v1/leases?limit=1'); });
    const warm = await timed(200, 1, async () => { await alice('GET', '/v1/leases?limit=1'); });

    return {
      hosts, existingLeases: o.leases, createSequential: summarize(sequential.durations), concurrent,
      listLeases: { ...summarize(list.durations), leases: listed }, volumeCreate: summarize(volumes.durations),
      firstRequest: summarize(first.durations), warmRequest: summarize(warm.durations),
      keystoneCalls: { ...services.keystone?.session.calls.byOperation },
    };
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await services.close();
    await db.drop();
  }
}

const ms = (n: number) => (Number.isFinite(n) ? `${n.toFixed(1)} ms` : '-');
const pair = (s: Summary) => `${ms(s.p50)} / ${ms(s.p99)}`;

function table(results: SizeResult[], dialect: TestDialect, keystone: boolean): string {
  const rate = (r: SizeResult, clients: number) => {
    const c = r.concurrent.find((x) => x.clients === clients)!;
    const locks = c.lockWaits === undefined ? '' : `, ${c.lockWaits} row-lock waits`;
    return `${c.perSecond.toFixed(0)} (p50 ${ms(c.latency.p50)}${locks})`;
  };
  const rows = [
    [`metric (${dialect}, ${keystone ? 'real Keystone' : 'noauth'})`, ...results.map((r) => `${r.hosts} hosts / ${r.existingLeases} leases`)],
    ['host-lease create p50 / p99 (sequential)', ...results.map((r) => pair(r.createSequential))],
    ...CLIENTS.map((c) => [`creates/s, ${c} client${c > 1 ? 's' : ''}`, ...results.map((r) => rate(r, c))]),
    ['GET /v1/leases (1,000 leases) p50 / p99', ...results.map((r) => `${pair(r.listLeases)} (${r.listLeases.leases})`)],
    ['volume-lease create (with trust) p50 / p99', ...results.map((r) => pair(r.volumeCreate))],
    ['first request with a new token p50 / p99', ...results.map((r) => pair(r.firstRequest))],
    ['same request, token remembered p50 / p99', ...results.map((r) => pair(r.warmRequest))],
    ['Keystone trusts created', ...results.map((r) => String(r.keystoneCalls.create_trust ?? 0))],
  ];
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(rows[0]), line(rows[0].map(() => '---')), ...rows.slice(1).map(line)].join('\n');
}

export async function runKeystoneBench(argv: string[]): Promise<void> {
  const o = parseArgs(argv);
  const w = o.noauth ? noauthWorld() : await setUp();
  try {
    const results: SizeResult[] = [];
    for (const hosts of o.sizes) results.push(await benchSize(w, hosts, o));
    process.stdout.write(`${table(results, o.dialect, !o.noauth)}\n`);
    mkdirSync(path.dirname(o.out), { recursive: true });
    writeFileSync(o.out, `${JSON.stringify({ when: new Date().toISOString(), dialect: o.dialect, auth: o.noauth ? 'noauth' : 'keystone', results }, null, 2)}\n`);
    log(`results written to ${o.out}`);
  } finally {
    await w.keystone?.stop();
  }
}
