import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { createApp } from '../../src/api';
import { API_ROUTES, HEALTHCHECK_ROUTE, METRICS_ROUTE, UNMATCHED_ROUTE } from '../../src/api/routes';
import { loadOpenApiDocument } from '../../src/api/validation';
import { ManualClock, silentLogger } from '../../src/common';
import { Database, OpsRepository, unappliedMigrations } from '../../src/db';
import { createServiceRegistry } from '../../src/metrics';
import { DIALECTS } from '../support/database';
import { parseExposition, sampleValue, type ParsedFamily } from '../support/prometheus';
import { startTestService, type TestService } from '../support/service';
import { createLease, leaseBody } from './helpers';

const NOW = new Date('2030-01-01T10:00:00Z');
const HOUR = 3600_000;

async function scrape(svc: TestService): Promise<Map<string, ParsedFamily>> {
  const res = await request(svc.app).get('/metrics');
  expect(res.status).toBe(200);
  return parseExposition(res.text);
}

/** A counter or histogram count, 0 while the series does not exist yet. */
const count = (m: Map<string, ParsedFamily>, name: string, labels: Record<string, string>) => sampleValue(m, name, labels) ?? 0;

describe.each(DIALECTS)('/metrics on %s', (dialect) => {
  let svc: TestService;
  let clock: ManualClock;
  beforeAll(async () => {
    clock = new ManualClock(NOW);
    svc = await startTestService({ dialect, clock, config: { manager: { minutesBeforeEndLease: 0 } } });
  });
  afterAll(async () => { await svc.close(); });

  it('serves the text exposition format 0.0.4 with HELP and TYPE for every family', async () => {
    const res = await request(svc.app).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    const families = parseExposition(res.text);
    const expected: Record<string, string> = {
      climate_http_requests_total: 'counter',
      climate_http_request_duration_seconds: 'histogram',
      climate_database_up: 'gauge',
      climate_leases: 'gauge',
      climate_events_due: 'gauge',
      climate_events_overdue: 'gauge',
      climate_hosts: 'gauge',
      climate_hosts_allocated: 'gauge',
      climate_events_due_oldest_seconds: 'gauge',
      climate_events_in_progress: 'gauge',
      climate_events_failed: 'gauge',
      climate_events_recent_done: 'gauge',
      climate_events_recent_lateness_max_seconds: 'gauge',
      climate_notifications_unsent: 'gauge',
      climate_notifications_unsent_oldest_seconds: 'gauge',
      process_cpu_seconds_total: 'counter',
      process_resident_memory_bytes: 'gauge',
    };
    for (const [name, type] of Object.entries(expected)) {
      expect([name, families.get(name)?.type]).toEqual([name, type]);
      expect(families.get(name)?.help.length).toBeGreaterThan(5);
    }
    expect(sampleValue(families, 'climate_database_up')).toBe(1);
    expect((await request(svc.app).head('/metrics')).status).toBe(200);
  });

  it('counts and times requests by method, route template and status', async () => {
    const before = await scrape(svc);
    const list = { method: 'GET', route: '/v1/leases', status: '200' };
    const missing = { method: 'GET', route: '/v1/leases/{lease_id}', status: '404' };
    const unmatched = { method: 'GET', route: UNMATCHED_ROUTE, status: '404' };
    const wrongMethod = { method: 'PATCH', route: '/v1/leases', status: '405' };
    await request(svc.app).get('/v1/leases');
    await request(svc.app).get('/v1/leases/');
    await request(svc.app).get(`/v1/leases/${randomUUID()}`);
    await request(svc.app).get('/wp-admin/setup.php');
    await request(svc.app).patch('/v1/leases').send({});
    const after = await scrape(svc);
    const delta = (labels: Record<string, string>) =>
      count(after, 'climate_http_requests_total', labels) - count(before, 'climate_http_requests_total', labels);
    expect(delta(list)).toBe(2);
    expect(delta(missing)).toBe(1);
    expect(delta(unmatched)).toBe(1);
    expect(delta(wrongMethod)).toBe(1);
    // The scrape that produced `before` was counted once it had been sent.
    expect(delta({ method: 'GET', route: '/metrics', status: '200' })).toBe(1);
    for (const labels of [list, missing, unmatched, wrongMethod]) {
      expect(count(after, 'climate_http_request_duration_seconds_count', labels)).toBe(count(after, 'climate_http_requests_total', labels));
      expect(count(after, 'climate_http_request_duration_seconds_sum', labels)).toBeGreaterThan(0);
    }
  });

  it('labels requests with route templates only: no ids, no raw paths', async () => {
    const lease = await createLease(svc.app, leaseBody(`templated-${dialect}`, { start_date: '2030-01-01 11:00', end_date: '2030-01-01 13:00' }));
    await request(svc.app).get(`/v1/leases/${lease.id}`);
    await request(svc.app).put(`/v1/leases/${lease.id}`).send({ name: `renamed-${dialect}` });
    await request(svc.app).get('/v1/os-hosts/12345');
    await request(svc.app).get('/v1/os-hosts/12345/allocation');
    await request(svc.app).get(`/v1/floatingips/${randomUUID()}`);
    await request(svc.app).get(`/v1/${randomUUID()}/deep/path`);
    const text = (await request(svc.app).get('/metrics')).text;
    expect(text).not.toContain(lease.id);
    expect(text).not.toContain('12345');
    const templates = new Set([...API_ROUTES, HEALTHCHECK_ROUTE, METRICS_ROUTE].map((r) => r.template).concat(UNMATCHED_ROUTE));
    const routes = new Set(parseExposition(text).get('climate_http_requests_total')!.samples.map((s) => s.labels.route));
    for (const route of routes) expect(templates).toContain(route);
    expect([...routes]).toEqual(expect.arrayContaining(['/v1/leases/{lease_id}', '/v1/os-hosts/{host_id}', '/v1/os-hosts/{host_id}/allocation',
      '/v1/floatingips/{floatingip_id}', UNMATCHED_ROUTE]));
    await request(svc.app).delete(`/v1/leases/${lease.id}`);
  });

  it('follows leases by status, due events and their lateness, and the notification backlog', async () => {
    const start = await scrape(svc);
    const pending = count(start, 'climate_leases', { status: 'PENDING' });
    const unsent = count(start, 'climate_notifications_unsent', {});
    expect(sampleValue(start, 'climate_events_due')).toBe(0);

    // Two leases starting at 11:00: PENDING, each with a start and an end event, and a lease.create notification.
    const a = await createLease(svc.app, leaseBody(`gauges-a-${dialect}`, { start_date: '2030-01-01 11:00', end_date: '2030-01-02 11:00' }));
    await createLease(svc.app, leaseBody(`gauges-b-${dialect}`, { start_date: '2030-01-01 11:00', end_date: '2030-01-02 11:00' }));
    let m = await scrape(svc);
    expect(count(m, 'climate_leases', { status: 'PENDING' })).toBe(pending + 2);
    expect(sampleValue(m, 'climate_events_due')).toBe(0);
    expect(sampleValue(m, 'climate_notifications_unsent')).toBe(unsent + 2);

    // Nobody ran the events: at 12:30 both starts are due, for 90 minutes; the notifications wait too.
    clock.set(new Date('2030-01-01T12:30:00Z'));
    m = await scrape(svc);
    expect(sampleValue(m, 'climate_events_due')).toBe(2);
    expect(sampleValue(m, 'climate_events_due_oldest_seconds')).toBe(1.5 * HOUR / 1000);
    expect(sampleValue(m, 'climate_notifications_unsent_oldest_seconds')).toBe(2.5 * HOUR / 1000);

    // A manager runs them now: 90 minutes late.
    expect(await svc.services.runner.runDueOnce()).toBe(2);
    m = await scrape(svc);
    expect(sampleValue(m, 'climate_events_due')).toBe(0);
    expect(sampleValue(m, 'climate_events_due_oldest_seconds')).toBe(0);
    expect(count(m, 'climate_leases', { status: 'ACTIVE' })).toBe(2);
    expect(count(m, 'climate_leases', { status: 'PENDING' })).toBe(pending);
    expect(sampleValue(m, 'climate_events_recent_done')).toBe(2);
    expect(sampleValue(m, 'climate_events_recent_lateness_max_seconds')).toBe(1.5 * HOUR / 1000);

    // The outbox drains; "recent" completions age out after 10 minutes.
    await svc.services.dispatcher.runOnce();
    clock.advance(11 * 60_000);
    m = await scrape(svc);
    expect(sampleValue(m, 'climate_notifications_unsent')).toBe(0);
    expect(sampleValue(m, 'climate_notifications_unsent_oldest_seconds')).toBe(0);
    expect(sampleValue(m, 'climate_events_recent_done')).toBe(0);

    await request(svc.app).delete(`/v1/leases/${a.id}`);
    m = await scrape(svc);
    expect(count(m, 'climate_leases', { status: 'ACTIVE' })).toBe(1);
  });

  it('counts hosts by health and reservable flag, the hosts held now, and events overdue', async () => {
    const start = await scrape(svc);
    const ok = count(start, 'climate_hosts', { status: 'ok', reservable: 'true' });
    expect(count(start, 'climate_hosts', { status: 'down', reservable: 'false' })).toBe(0);
    const h1 = (await request(svc.app).post('/v1/os-hosts').send({ name: `capacity-1-${dialect}` })).body.host;
    await request(svc.app).post('/v1/os-hosts').send({ name: `capacity-2-${dialect}` });
    // Healing marks a failed host down and not reservable (as Nova reports it).
    await svc.services.db.transaction((tx) => svc.services.repos.hosts.setHealth(tx, Number(h1.id), { reservable: false, status: 'down' }, clock.now()));
    let m = await scrape(svc);
    expect(count(m, 'climate_hosts', { status: 'ok', reservable: 'true' })).toBe(ok + 1);
    expect(count(m, 'climate_hosts', { status: 'down', reservable: 'false' })).toBe(1);
    const heldBefore = count(m, 'climate_hosts_allocated', { resource_type: 'physical:host' });

    const now = clock.now().getTime();
    const at = (ms: number) => new Date(now + ms).toISOString().slice(0, 16).replace('T', ' ');
    const lease = await createLease(svc.app, leaseBody(`capacity-${dialect}`, {
      start_date: at(HOUR), end_date: at(3 * HOUR),
      reservations: [{ resource_type: 'physical:host', min: 1, max: 1, hypervisor_properties: '', resource_properties: '' }],
    }));
    m = await scrape(svc);
    expect(count(m, 'climate_hosts_allocated', { resource_type: 'physical:host' })).toBe(heldBefore);
    // Its start is due 30 s later: due, not yet overdue (a manager starts it at once); 2 minutes later, overdue.
    clock.set(new Date(now + HOUR + 30_000));
    m = await scrape(svc);
    expect(sampleValue(m, 'climate_events_due')).toBe(1);
    expect(sampleValue(m, 'climate_events_overdue')).toBe(0);
    expect(count(m, 'climate_hosts_allocated', { resource_type: 'physical:host' })).toBe(heldBefore + 1);
    clock.set(new Date(now + HOUR + 120_000));
    m = await scrape(svc);
    expect(sampleValue(m, 'climate_events_overdue')).toBe(1);
    await svc.services.runner.runDueOnce();
    m = await scrape(svc);
    expect(sampleValue(m, 'climate_events_overdue')).toBe(0);
    await request(svc.app).delete(`/v1/leases/${lease.id}`);
    m = await scrape(svc);
    expect(count(m, 'climate_hosts_allocated', { resource_type: 'physical:host' })).toBe(heldBefore);
  });

  it('still answers, with climate_database_up 0 and no database gauges, when the database is gone', async () => {
    const db = new Database({ connection: svc.services.config.database.connection });
    await db.open();
    await db.close();
    const registry = createServiceRegistry(new OpsRepository(db), clock);
    const s = svc.services;
    const app = createApp(
      { leases: s.leases, hosts: s.hosts, floatingIps: s.floatingIps, policy: s.policy, validator: s.validator, logger: silentLogger,
        database: { unappliedMigrations: () => unappliedMigrations(db) }, metrics: registry },
      { maxBodyBytes: 1 << 20, debug: false, defaultPageLimit: 0, maxPageLimit: 1000, noauth: s.config.default.noauth },
    );
    await request(app).get('/healthcheck');
    const res = await request(app).get('/metrics');
    expect(res.status).toBe(200);
    const m = parseExposition(res.text);
    expect(sampleValue(m, 'climate_database_up')).toBe(0);
    expect(sampleValue(m, 'climate_events_due')).toBeUndefined();
    expect(count(m, 'climate_http_requests_total', { route: '/healthcheck', status: '503' })).toBe(1);
  });
});

describe('/metrics turned off', () => {
  let svc: TestService;
  beforeAll(async () => { svc = await startTestService({ config: { default: { metricsEnabled: false } } }); });
  afterAll(async () => { await svc.close(); });

  it('is a plain 404, and the rest works', async () => {
    const res = await request(svc.app).get('/metrics');
    expect(res.status).toBe(404);
    expect(res.headers.allow).toBeUndefined();
    expect((await request(svc.app).get('/healthcheck')).status).toBe(200);
    expect((await request(svc.app).get('/v1/leases')).status).toBe(200);
  });
});

describe('route templates', () => {
  it('are exactly the paths of openapi.yaml, plus /healthcheck and /metrics', () => {
    const paths = Object.keys((loadOpenApiDocument() as { paths: Record<string, unknown> }).paths).sort();
    expect(API_ROUTES.map((r) => r.template).sort()).toEqual(paths);
    expect([HEALTHCHECK_ROUTE.template, METRICS_ROUTE.template]).toEqual(['/healthcheck', '/metrics']);
  });

  it('match their own template with ids filled in, and the more specific route first', () => {
    for (const route of API_ROUTES) {
      const example = route.template.replace(/\{[^}]+\}/g, 'x1');
      expect([route.template, API_ROUTES.find((r) => r.pattern.test(example))?.template]).toEqual([route.template, route.template]);
    }
  });
});
