/**
 * Benchmark rows of issue 18 (lists that scale): GET /v1/leases with 1,000 leases in one page, GET /v1/os-hosts
 * and GET /v1/os-hosts/allocations. `benchLists` times them against a running API; run on its own
 * (`node dist/tools/bench/lists.js [--dialect sqlite|mariadb] [--hosts N] [--leases N]`) it first fills a fresh
 * database with N hosts and N one-host leases, which is also the quickest set-up to profile the lists with
 * `--profile FILE` (a CPU profile of the timed requests only, for Chrome's DevTools).
 */
import { writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import { buildServices } from '../../src/cli/services';
import { silentLogger } from '../../src/common';
import { configWith } from '../../src/config';
import { createTestDatabase, type TestDialect } from '../../test/support/database';
import { call, callBytes } from './http';
import { summarize, timed, type Summary } from './stats';

export interface ListsResult {
  /** How many leases the lease list returned (its page size). */
  leasesListed: number;
  listLeases: Summary;
  hostsListed: number;
  listHosts: Summary;
  allocationsListed: number;
  allocations: Summary;
}

/** Times the three lists, sequentially as one client; `leasePage`: the `limit` asked of GET /v1/leases. */
export async function benchLists(base: string, leasePage: number, runs: number, log: (m: string) => void): Promise<ListsResult> {
  const sizes = { leases: 0, hosts: 0, allocations: 0 };
  log(`GET /v1/leases?limit=${leasePage}`);
  // Timed to each answer's last byte; the body is decoded and parsed afterwards, to count what was listed.
  let bytes: Buffer = Buffer.alloc(0);
  const text = () => bytes.toString('utf8');
  const leases = await timed(runs, 1, async () => { bytes = await callBytes(base, 'GET', `/v1/leases?limit=${leasePage}`); });
  sizes.leases = (JSON.parse(text()) as { leases: unknown[] }).leases.length;
  log('GET /v1/os-hosts');
  const hosts = await timed(runs, 1, async () => { bytes = await callBytes(base, 'GET', '/v1/os-hosts'); });
  sizes.hosts = (JSON.parse(text()) as { hosts: unknown[] }).hosts.length;
  log('GET /v1/os-hosts/allocations');
  const allocations = await timed(runs, 1, async () => { bytes = await callBytes(base, 'GET', '/v1/os-hosts/allocations'); });
  const body = JSON.parse(text()) as { allocations: { reservations: unknown[] }[] };
  sizes.allocations = body.allocations.reduce((n, a) => n + a.reservations.length, 0);
  return {
    leasesListed: sizes.leases, listLeases: summarize(leases.durations),
    hostsListed: sizes.hosts, listHosts: summarize(hosts.durations),
    allocationsListed: sizes.allocations, allocations: summarize(allocations.durations),
  };
}

const DAY = 86_400_000;
const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

async function standalone(dialect: TestDialect, hosts: number, leases: number, runs: number, profile?: string): Promise<ListsResult> {
  const db = await createTestDatabase(dialect);
  const services = await buildServices(configWith({
    database: { connection: db.url, maxPoolSize: 10 },
    notifications: { driver: 'noop' },
    manager: { minutesBeforeEndLease: 0, minutesBeforeStartLease: 0 },
    default: { apiMaxPageLimit: Math.max(1000, leases) },
  }), { migrate: true, logger: silentLogger });
  const server = await new Promise<Server>((resolve) => { const s = services.app().listen(0, '127.0.0.1', () => resolve(s)); });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const log = (m: string) => process.stderr.write(`[${dialect}] ${m}\n`);
  try {
    log(`registering ${hosts} hosts, creating ${leases} leases`);
    await timed(hosts, 8, async (i) => { await call(base, 'POST', '/v1/os-hosts', { name: `list-${i}`, vcpus: 8, memory_mb: 65536 }); });
    const origin = Math.ceil(Date.now() / DAY) * DAY + 30 * DAY;
    const admin = { userId: 'bench', projectId: 'bench', roles: ['admin'], isAdmin: true, requestId: 'req-bench' };
    await timed(leases, 8, async (i) => {
      const day = Math.floor(i / hosts);
      await services.leases.create(admin, {
        name: `listed-${i}`, start_date: iso(new Date(origin + day * DAY)), end_date: iso(new Date(origin + (day + 1) * DAY - 3_600_000)),
        reservations: [{ resource_type: 'physical:host', min: 1, max: 1, hypervisor_properties: '', resource_properties: '' }],
      });
    });
    // Warm-up: the first requests compile the code paths.
    await benchLists(base, leases, 5, () => undefined);
    if (!profile) return await benchLists(base, leases, runs, log);
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    const result = await benchLists(base, leases, runs, log);
    const { profile: taken } = await session.post('Profiler.stop');
    writeFileSync(profile, JSON.stringify(taken));
    session.disconnect();
    return result;
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await services.close();
    await db.drop();
  }
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const get = (name: string) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : undefined; };
  const dialects: TestDialect[] = get('dialect') ? [get('dialect') as TestDialect] : ['sqlite', 'mariadb'];
  (async () => {
    for (const dialect of dialects) {
      const r = await standalone(dialect, Number(get('hosts') ?? 1000), Number(get('leases') ?? 1000), Number(get('runs') ?? 50),
        get('profile'));
      const row = (name: string, n: number, s: Summary) => `${dialect} ${name} (${n}): p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms\n`;
      process.stdout.write(row('GET /v1/leases', r.leasesListed, r.listLeases) + row('GET /v1/os-hosts', r.hostsListed, r.listHosts)
        + row('GET /v1/os-hosts/allocations', r.allocationsListed, r.allocations));
    }
  })().catch((error) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
