/**
 * Lists that scale (issue 18): GET /v1/leases, GET /v1/os-hosts and GET /v1/os-hosts/allocations run the same
 * number of SQL statements for 10 leases/hosts as for 200, and every row is in the answer, rendered as before.
 */
import request from 'supertest';
import { DIALECTS } from '../support/database';
import { startTestService, type TestService } from '../support/service';
import { createHost, expectSchema, hostReservation, LEASE_DATE, TIMESTAMP } from './helpers';

const DAY = 86_400_000;
const ADMIN_CTX = { userId: 'admin-user', projectId: 'admin', roles: ['admin'], isAdmin: true, requestId: 'req-list-queries' };
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

describe.each(DIALECTS)('list query counts on %s', (dialect) => {
  let svc: TestService;
  let counting = false;
  let statements: string[] = [];
  const origin = Date.UTC(2031, 0, 1);
  let hosts = 0;
  let leases = 0;

  /** Statements one request runs, and its body. */
  async function measured(path: string): Promise<{ count: number; body: Record<string, unknown> }> {
    statements = [];
    counting = true;
    const res = await request(svc.app).get(path);
    counting = false;
    expect(res.status).toBe(200);
    return { count: statements.length, body: res.body };
  }

  /** Grows the inventory to `hostCount` hosts and `leaseCount` one-host leases (one a day per host). */
  async function grow(hostCount: number, leaseCount: number): Promise<void> {
    for (; hosts < hostCount; hosts++) await createHost(svc.app, { name: `counted-${hosts}`, vcpus: 4, memory_mb: 8192, rack: `r${hosts % 3}` });
    for (; leases < leaseCount; leases++) {
      const day = origin + Math.floor(leases / hostCount) * DAY + (leases % hostCount) * 60_000;
      await svc.services.leases.create(ADMIN_CTX, {
        name: `counted-${leases}`, start_date: iso(day), end_date: iso(day + DAY / 2), reservations: [hostReservation()],
      });
    }
  }

  beforeAll(async () => {
    svc = await startTestService({
      dialect, config: { default: { apiMaxPageLimit: 1000 } }, logSql: (sql) => { if (counting) statements.push(sql); },
    });
  }, 120_000);
  afterAll(async () => { await svc.close(); });

  it('runs a fixed number of statements whatever the number of leases and hosts', async () => {
    await grow(10, 10);
    const small = {
      leases: await measured('/v1/leases?limit=1000'),
      hosts: await measured('/v1/os-hosts'),
      allocations: await measured('/v1/os-hosts/allocations'),
    };
    await grow(200, 200);
    const large = {
      leases: await measured('/v1/leases?limit=1000'),
      hosts: await measured('/v1/os-hosts'),
      allocations: await measured('/v1/os-hosts/allocations'),
    };

    // Everything is listed, so the same statements cover 20 times the rows.
    expect((small.leases.body.leases as unknown[]).length).toBe(10);
    expect((large.leases.body.leases as unknown[]).length).toBe(200);
    expect((large.hosts.body.hosts as unknown[]).length).toBe(200);
    const allocated = (body: Record<string, unknown>) =>
      (body.allocations as { reservations: unknown[] }[]).reduce((n, a) => n + a.reservations.length, 0);
    expect(allocated(small.allocations.body)).toBe(10);
    expect(allocated(large.allocations.body)).toBe(200);

    expect({ leases: large.leases.count, hosts: large.hosts.count, allocations: large.allocations.count })
      .toEqual({ leases: small.leases.count, hosts: small.hosts.count, allocations: small.allocations.count });
    // Leases, their reservations, their events; hosts and their capabilities; allocations and host ids.
    expect(large.leases.count).toBeLessThanOrEqual(3);
    expect(large.hosts.count).toBeLessThanOrEqual(2);
    expect(large.allocations.count).toBeLessThanOrEqual(2);

    expectSchema(large.leases.body, 'LeaseList');
    expectSchema(large.hosts.body, 'HostList');
  }, 600_000);

  it('renders every lease with its own reservations, events and dates', async () => {
    const { body } = await measured('/v1/leases?limit=1000');
    const listed = body.leases as Record<string, unknown>[];
    // The list shows each lease exactly as showing it alone does.
    for (const lease of [listed[0], listed[57], listed[199]]) {
      const shown = await request(svc.app).get(`/v1/leases/${String(lease.id)}`);
      expect(shown.body.lease).toEqual(lease);
    }
    for (const lease of listed) {
      const reservations = lease.reservations as Record<string, unknown>[];
      const events = lease.events as Record<string, unknown>[];
      expect(reservations).toHaveLength(1);
      expect(reservations[0]).toMatchObject({ lease_id: lease.id, resource_type: 'physical:host', min: 1, max: 1 });
      expect(events.map((e) => e.event_type).sort()).toEqual(['before_end_lease', 'end_lease', 'start_lease']);
      expect(events.every((e) => e.lease_id === lease.id && LEASE_DATE.test(String(e.time)))).toBe(true);
      expect(lease.start_date).toMatch(LEASE_DATE);
      expect(lease.created_at).toMatch(TIMESTAMP);
      expect(reservations[0].created_at).toMatch(TIMESTAMP);
    }
    expect(listed[1].start_date).toBe('2031-01-01T00:01:00.000000');
  });
});
