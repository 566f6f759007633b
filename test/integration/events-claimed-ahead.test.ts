/**
 * The event runner claims events a little before they are due and reads their leases then (issue 18, events to
 * the millisecond). What may happen between that claim and the due time: the lease is moved or deleted, or the
 * manager holding the claims dies. And a start no plugin acts on commits in one transaction.
 */
import type { RequestContext } from '../../src/auth';
import { systemClock } from '../../src/common';
import { Database, migrateUp } from '../../src/db';
import { FlakyPlugin } from '../support/flaky-plugin';
import { managerWorld, type ManagerWorld } from '../support/manager-world';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/database';

const owner: RequestContext = { userId: 'u1', projectId: 'p1', roles: ['member'], isAdmin: false, requestId: 'req-test' };
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** A whole second at least `ms` from now (lease dates are kept to the second). */
const secondIn = (ms: number) => Math.ceil((Date.now() + ms) / 1000) * 1000;

async function until<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await sleep(20);
  }
}

describe.each(DIALECTS)('events claimed ahead of their time (%s)', (dialect) => {
  let database: TestDatabase;
  const worlds: ManagerWorld[] = [];
  const world = async (...args: Parameters<typeof managerWorld> extends [unknown, unknown, unknown, ...infer R] ? R : never) => {
    const w = await managerWorld(database.url, new FlakyPlugin(), systemClock, ...args);
    worlds.push(w);
    return w;
  };

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    const db = new Database({ connection: database.url });
    await db.open();
    await migrateUp(db);
    await db.close();
  }, 60_000);
  afterEach(async () => {
    for (const w of worlds.splice(0)) await w.close().catch(() => {});
  });
  afterAll(async () => { await database.drop(); });

  const startEvent = async (w: ManagerWorld, leaseId: string) =>
    (await w.repos.events.listByLeases([leaseId])).find((e) => e.eventType === 'start_lease');
  const startNotifications = async (w: ManagerWorld, leaseId: string) =>
    w.db.select<{ payload: string }>("SELECT payload FROM notifications WHERE lease_id = ? AND event_type = 'lease.event.start_lease'", [leaseId]);

  it('does not run at the old time an event whose lease was moved later after the claim; runs it at the new time', async () => {
    const w = await world({ lookaheadMs: 2500, pollIntervalMs: 50 });
    const start = secondIn(2000);
    const lease = await w.leases.create(owner, { name: 'moved', start_date: iso(start), end_date: '2099-01-01 00:00', reservations: [] });
    w.runner.start();
    // Claimed ahead: IN_PROGRESS for this manager while its time is still to come.
    await until('the claim ahead', () => startEvent(w, lease.id), (e) => e?.status === 'IN_PROGRESS' && e.claimedBy === w.runner.owner);
    expect(Date.now()).toBeLessThan(start);
    const later = start + 2000;
    await w.leases.update(owner, lease.id, { start_date: iso(later) });

    await sleep(start + 500 - Date.now());
    expect((await w.leases.get(owner, lease.id)).status).toBe('PENDING');
    expect(await startNotifications(w, lease.id)).toHaveLength(0);
    const moved = await startEvent(w, lease.id);
    expect(moved?.time.getTime()).toBe(later);
    expect(moved?.status).not.toBe('DONE');

    const done = await until('the start at its new time', () => startEvent(w, lease.id), (e) => e?.status === 'DONE');
    expect(done!.updatedAt!.getTime()).toBeGreaterThanOrEqual(later);
    expect((await w.leases.get(owner, lease.id)).status).toBe('ACTIVE');
    expect(await startNotifications(w, lease.id)).toHaveLength(1);
  }, 30_000);

  it('starts with what the lease is at its due time when it was updated after the claim', async () => {
    const w = await world({ lookaheadMs: 2500, pollIntervalMs: 50 });
    const start = secondIn(2000);
    const lease = await w.leases.create(owner, { name: 'before', start_date: iso(start), end_date: '2099-01-01 00:00', reservations: [] });
    w.runner.start();
    await until('the claim ahead', () => startEvent(w, lease.id), (e) => e?.status === 'IN_PROGRESS' && e.claimedBy === w.runner.owner);
    await w.leases.update(owner, lease.id, { name: 'after' });
    const done = await until('the start', () => startEvent(w, lease.id), (e) => e?.status === 'DONE');
    expect(done!.updatedAt!.getTime()).toBeGreaterThanOrEqual(start);
    const view = await w.leases.get(owner, lease.id);
    expect([view.name, view.status]).toEqual(['after', 'ACTIVE']);
    const notifications = await startNotifications(w, lease.id);
    expect(notifications).toHaveLength(1);
    expect(JSON.parse(notifications[0].payload)).toMatchObject({ name: 'after', status: 'ACTIVE' });
  }, 30_000);

  it('runs nothing for a lease deleted after its start was claimed', async () => {
    const w = await world({ lookaheadMs: 2500, pollIntervalMs: 50 });
    const start = secondIn(2000);
    const lease = await w.leases.create(owner, { name: 'deleted', start_date: iso(start), end_date: '2099-01-01 00:00', reservations: [] });
    const other = await w.leases.create(owner, { name: 'kept', start_date: iso(start), end_date: '2099-01-01 00:00', reservations: [] });
    w.runner.start();
    await until('the claims ahead', async () => [await startEvent(w, lease.id), await startEvent(w, other.id)],
      (events) => events.every((e) => e?.status === 'IN_PROGRESS'));
    await w.leases.delete(owner, lease.id);
    // The other lease of that second starts: the runner went through the due time without failing.
    await until('the kept lease to start', () => startEvent(w, other.id), (e) => e?.status === 'DONE');
    await sleep(200);
    expect(await startNotifications(w, lease.id)).toHaveLength(0);
    expect(await w.repos.leases.get(lease.id)).toBeNull();
    expect(await w.repos.events.listByLeases([lease.id])).toHaveLength(0);
  }, 30_000);

  it('lets another manager run the events a dead manager had claimed ahead, once their claims expire', async () => {
    const claimMs = 2000;
    const a = await world({ claimMs, lookaheadMs: 500, pollIntervalMs: 50, owner: 'manager-a' });
    const start = secondIn(1500);
    const lease = await a.leases.create(owner, { name: 'orphan', start_date: iso(start), end_date: '2099-01-01 00:00', reservations: [] });
    a.runner.start();
    await until('the claim ahead by manager a', () => startEvent(a, lease.id), (e) => e?.claimedBy === 'manager-a');
    // Manager a dies holding the claim: it can no longer reach the database, and never gives the claim back.
    await a.db.close();

    const b = await world({ claimMs, lookaheadMs: 500, pollIntervalMs: 50, owner: 'manager-b' });
    b.runner.start();
    await sleep(start + 300 - Date.now());
    expect((await startEvent(b, lease.id))?.claimedBy).toBe('manager-a'); // not taken while the claim holds
    const done = await until('manager b to run it', () => startEvent(b, lease.id), (e) => e?.status === 'DONE', claimMs + 10_000);
    expect(done!.updatedAt!.getTime()).toBeGreaterThanOrEqual(start + claimMs - 1000);
    expect((await b.leases.get(owner, lease.id)).status).toBe('ACTIVE');
    expect(await startNotifications(b, lease.id)).toHaveLength(1);
  }, 30_000);

  it('starts a lease no plugin acts on in one transaction, PENDING to ACTIVE, with its notification', async () => {
    const statements: string[] = [];
    const w = await world({ lookaheadMs: 1000, pollIntervalMs: 50 }, { logSql: (sql) => statements.push(sql) });
    const start = secondIn(1500);
    const lease = await w.leases.create(owner, { name: 'bare', start_date: iso(start), end_date: '2099-01-01 00:00', reservations: [] });
    statements.length = 0;
    w.runner.start();
    await until('the start', () => startEvent(w, lease.id), (e) => e?.status === 'DONE');
    const leaseUpdates = statements.filter((sql) => /^(Executing \([^)]*\): )?UPDATE leases SET status/i.test(sql));
    expect(leaseUpdates).toHaveLength(1);
    const view = await w.leases.get(owner, lease.id);
    expect(view.status).toBe('ACTIVE');

    const [notification] = await startNotifications(w, lease.id);
    const payload = JSON.parse(notification.payload) as { status: string; events: { event_type: string; status: string }[] };
    expect(payload.status).toBe('ACTIVE');
    expect(payload.events.find((e) => e.event_type === 'start_lease')?.status).toBe('DONE');
    expect(payload.events.find((e) => e.event_type === 'end_lease')?.status).toBe('UNDONE');
  }, 30_000);
});
