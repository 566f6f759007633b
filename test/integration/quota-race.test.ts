/**
 * Quotas under concurrency (issue 16, part 2): many lease creates and extensions of one project at once, from two
 * API processes (two connection pools) over one database, against a limit. Exactly as many as the limit allows
 * succeed; the others are refused with the quota message and leave nothing behind. Without the per-project lock,
 * creates that each count before the others commit all squeeze under the limit.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { buildServices, type Services } from '../../src/cli/services';
import { silentLogger } from '../../src/common';
import { configWith } from '../../src/config';
import { DIALECTS } from '../support/database';
import { startTestService, type TestService } from '../support/service';

jest.setTimeout(180_000);

const HOSTS = 10;
const PROJECT = { 'X-User-Id': 'racer', 'X-Project-Id': 'p-race', 'X-Roles': 'member' };
const ADMIN = { 'X-User-Id': 'admin', 'X-Project-Id': 'admin', 'X-Roles': 'admin' };

async function send(base: string, method: string, path: string, headers: Record<string, string>, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method, headers: { ...headers, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

/** Counts lease creates and updates in flight, to show that the requests really overlapped. */
function trackConcurrency(services: Services, stats: { inFlight: number; max: number }): void {
  const leases = services.leases as unknown as Record<'create' | 'update', (...args: unknown[]) => Promise<unknown>>;
  for (const method of ['create', 'update'] as const) {
    const original = leases[method].bind(services.leases);
    leases[method] = async (...args: unknown[]) => {
      stats.inFlight++;
      stats.max = Math.max(stats.max, stats.inFlight);
      try {
        return await original(...args);
      } finally {
        stats.inFlight--;
      }
    };
  }
}

describe.each(DIALECTS)('quotas under concurrent requests on %s', (dialect) => {
  let first: TestService;
  let second: Services;
  let server: Server;
  let bases: string[];
  const stats = { inFlight: 0, max: 0 };

  beforeAll(async () => {
    first = await startTestService({ dialect, listen: true });
    second = await buildServices(configWith({
      database: { connection: first.services.config.database.connection }, notifications: { driver: 'noop' },
    }), { logger: silentLogger });
    server = await new Promise((resolve) => { const s = second.app().listen(0, '127.0.0.1', () => resolve(s)); });
    bases = [first.url, `http://127.0.0.1:${(server.address() as AddressInfo).port}`];
    for (let i = 0; i < HOSTS; i++) {
      const res = await send(first.url, 'POST', '/v1/os-hosts', ADMIN, { name: `race-${i}` });
      expect(res.status).toBe(201);
    }
    trackConcurrency(first.services, stats);
    trackConcurrency(second, stats);
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await second.close();
    await first.close();
  });

  const quota = async (body: Record<string, unknown>) => expect((await send(first.url, 'PUT', '/v1/quotas/p-race', ADMIN, body)).status).toBe(200);
  const createAll = (count: number, prefix: string, reservations: unknown[], start: string, end: string) => Promise.all(
    Array.from({ length: count }, (_, i) => send(bases[i % 2], 'POST', '/v1/leases', PROJECT, {
      name: `${prefix}-${i}`, start_date: start, end_date: end, reservations, events: [],
    })));

  it('hosts: of ten parallel one-host creates under a limit of 3, exactly 3 succeed', async () => {
    await quota({ hosts: 3 });
    stats.max = 0;
    const replies = await createAll(HOSTS, 'h', [{ resource_type: 'physical:host', min: 1, max: 1, hypervisor_properties: '', resource_properties: '' }],
      '2030-01-01 12:00', '2030-01-02 12:00');
    const created = replies.filter((r) => r.status === 201);
    const refused = replies.filter((r) => r.status !== 201);
    expect(created).toHaveLength(3);
    expect(refused.map((r) => r.status)).toEqual(new Array(HOSTS - 3).fill(403));
    for (const r of refused) expect(r.body.error_message).toMatch(/^Quota exceeded for hosts .* it would have 4 hosts, 1 of them for lease h-\d+ \(3 in use without it\), limit 3$/);
    // From the rows: three leases, three hosts held, nothing left by the refused ones.
    const leases = (await send(first.url, 'GET', '/v1/leases', ADMIN)).body.leases as { project_id: string; name: string }[];
    expect(leases.filter((l) => l.name.startsWith('h-')).map((l) => l.name).sort()).toEqual(created.map((r) => r.body.lease.name).sort());
    const allocations = (await send(first.url, 'GET', '/v1/os-hosts/allocations', ADMIN)).body.allocations as { reservations: unknown[] }[];
    expect(allocations.flatMap((a) => a.reservations)).toHaveLength(3);
    if (dialect === 'mariadb') expect(stats.max).toBeGreaterThan(1);
  });

  it('leases: of parallel creates and extensions under a limit of 4 leases at once, exactly the limit is held', async () => {
    await quota({ hosts: -1, leases: 4 });
    // Two leases on 2030-02-01, and one on 2030-02-03 whose extension would overlap them.
    const base = await createAll(2, 'base', [], '2030-02-01 00:00', '2030-02-02 00:00');
    const late = await send(first.url, 'POST', '/v1/leases', PROJECT, { name: 'late', start_date: '2030-02-03 00:00', end_date: '2030-02-04 00:00', reservations: [], events: [] });
    expect([...base, late].map((r) => r.status)).toEqual([201, 201, 201]);
    stats.max = 0;
    const [extension, ...creates] = await Promise.all([
      send(bases[1], 'PUT', `/v1/leases/${late.body.lease.id}`, PROJECT, { start_date: '2030-02-01 12:00' }),
      ...Array.from({ length: 8 }, (_, i) => send(bases[i % 2], 'POST', '/v1/leases', PROJECT, {
        name: `l-${i}`, start_date: '2030-02-01 06:00', end_date: '2030-02-01 18:00', reservations: [], events: [],
      })),
    ]);
    const granted = [extension, ...creates].filter((r) => r.status === 200 || r.status === 201);
    expect(granted).toHaveLength(2);
    for (const r of [extension, ...creates].filter((x) => !granted.includes(x))) {
      expect(r.status).toBe(403);
      expect(r.body.error_message).toMatch(/^Quota exceeded for leases .* it would have 5 leases, 1 of them for lease \S+ \(4 in use without it\), limit 4$/);
    }
    // At noon on 2030-02-01: the two base leases and the two granted, never more.
    const leases = (await send(first.url, 'GET', '/v1/leases', ADMIN)).body.leases as { start_date: string; end_date: string }[];
    const noon = '2030-02-01T12:00:00.000000';
    expect(leases.filter((l) => l.start_date <= noon && l.end_date > noon)).toHaveLength(4);
    if (dialect === 'mariadb') expect(stats.max).toBeGreaterThan(1);
  });
});
