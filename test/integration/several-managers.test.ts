import type { RequestContext } from '../../src/auth';
import { ManualClock, systemClock } from '../../src/common';
import { FlakyPlugin } from '../support/flaky-plugin';
import { managerWorld, type ManagerWorld } from '../support/manager-world';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { Database, migrateUp } from '../../src/db';

const owner: RequestContext = { userId: 'u1', projectId: 'p1', roles: ['member'], isAdmin: false, requestId: 'req-test' };
const LEASES = 500; // start + end each: 1,000 events

async function migrated(dialect: 'mariadb' | 'sqlite'): Promise<TestDatabase> {
  const database = await createTestDatabase(dialect);
  const db = new Database({ connection: database.url });
  await db.open();
  await migrateUp(db);
  await db.close();
  return database;
}

describe('three managers share one MariaDB database', () => {
  let database: TestDatabase;
  const worlds: ManagerWorld[] = [];
  const plugin = new FlakyPlugin();
  const clock = new ManualClock(new Date('2030-01-01T11:00:00Z'));

  beforeAll(async () => {
    database = await migrated('mariadb');
    for (let i = 0; i < 3; i++) worlds.push(await managerWorld(database.url, plugin, clock, { owner: `manager-${i}` }));
  }, 60_000);
  afterAll(async () => {
    for (const w of worlds) await w.close();
    await database.drop();
  });

  it('runs each of 1,000 events exactly once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < LEASES; i++) {
      const lease = await worlds[i % 3].leases.create(owner, {
        name: `l${i}`, start_date: '2030-01-01 12:00', end_date: '2030-01-01 12:30', reservations: [{ resource_type: 'test:flaky' }],
      });
      ids.push(lease.id);
    }
    clock.set(new Date('2030-01-01T13:00:00Z'));
    const ran = [0, 0, 0];
    for (let pass = 0; pass < 200; pass++) {
      const counts = await Promise.all(worlds.map((w) => w.runner.runDueOnce()));
      counts.forEach((n, i) => { ran[i] += n; });
      if (counts.every((n) => n === 0)) break;
    }
    // Every hook ran once per reservation, and the work was shared.
    const starts = plugin.calls.filter((c) => c.startsWith('onStart:'));
    const ends = plugin.calls.filter((c) => c.startsWith('onEnd:'));
    expect(starts).toHaveLength(LEASES);
    expect(new Set(starts).size).toBe(LEASES);
    expect(ends).toHaveLength(LEASES);
    expect(new Set(ends).size).toBe(LEASES);
    expect(ran.reduce((a, b) => a + b, 0)).toBe(2 * LEASES);
    expect(ran.every((n) => n > 0)).toBe(true);

    const db = worlds[0].db;
    const [events] = await db.select<{ n: number }>("SELECT COUNT(*) AS n FROM events WHERE status <> 'DONE'");
    expect(Number(events.n)).toBe(0);
    const [terminated] = await db.select<{ n: number }>("SELECT COUNT(*) AS n FROM leases WHERE status = 'TERMINATED'");
    expect(Number(terminated.n)).toBe(LEASES);
    const perLease = await db.select<{ lease_id: string; n: number }>(
      "SELECT lease_id, COUNT(*) AS n FROM notifications WHERE event_type = 'lease.event.start_lease' GROUP BY lease_id");
    expect(perLease).toHaveLength(LEASES);
    expect(perLease.every((r) => Number(r.n) === 1)).toBe(true);
  }, 120_000);
});

describe('graceful stop', () => {
  let database: TestDatabase;
  beforeAll(async () => { database = await migrated('sqlite'); });
  afterAll(async () => { await database.drop(); });

  it('lets a running event finish and leaves nothing IN_PROGRESS', async () => {
    let begun!: () => void;
    const started = new Promise<void>((resolve) => (begun = resolve));
    const plugin = new FlakyPlugin({ startDelayMs: 500, onStartBegins: () => begun() });
    const world = await managerWorld(database.url, plugin, systemClock);
    const lease = await world.leases.create(owner, { name: 'graceful', end_date: '2099-01-01 00:00', reservations: [{ resource_type: 'test:flaky' }] });
    world.runner.start();
    await started;
    await world.runner.stop(10_000);
    const events = await world.repos.events.listByLeases([lease.id]);
    expect(events.find((e) => e.eventType === 'start_lease')?.status).toBe('DONE');
    expect(events.some((e) => e.status === 'IN_PROGRESS')).toBe(false);
    await world.close();
  });

  it('releases the claim of an event that outlives the grace period, for another manager to run', async () => {
    let begun!: () => void;
    const started = new Promise<void>((resolve) => (begun = resolve));
    const slow = new FlakyPlugin({ startDelayMs: 3000, onStartBegins: () => begun() });
    const world = await managerWorld(database.url, slow, systemClock);
    const lease = await world.leases.create(owner, { name: 'slow', end_date: '2099-01-01 00:00', reservations: [{ resource_type: 'test:flaky' }] });
    world.runner.start();
    await started;
    await world.runner.stop(100);
    const [start] = (await world.repos.events.listByLeases([lease.id])).filter((e) => e.eventType === 'start_lease');
    expect(start.status).toBe('UNDONE');
    expect(start.claimedBy).toBeNull();

    const other = await managerWorld(database.url, new FlakyPlugin(), systemClock);
    await other.runner.runDueOnce();
    expect((await other.leases.get({ ...owner }, lease.id)).status).toBe('ACTIVE');
    await other.close();
    await world.close();
  });
});
