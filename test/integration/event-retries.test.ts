import type { RequestContext } from '../../src/auth';
import { ManualClock } from '../../src/common';
import { FlakyPlugin } from '../support/flaky-plugin';
import { managerWorld, type ManagerWorld } from '../support/manager-world';
import { startTestService, type TestService } from '../support/service';

const admin: RequestContext = { userId: 'u1', projectId: 'p1', roles: ['admin'], isAdmin: true, requestId: 'req-test' };

describe('failed events are retried with backoff, then put the lease in ERROR', () => {
  let svc: TestService;
  const clock = new ManualClock(new Date('2030-01-01T12:00:00Z'));

  beforeAll(async () => { svc = await startTestService({ clock }); });
  afterAll(async () => { await svc.close(); });

  const worlds: ManagerWorld[] = [];
  afterAll(async () => { for (const w of worlds) await w.close(); });

  async function world(plugin: FlakyPlugin): Promise<ManagerWorld> {
    const w = await managerWorld(svc.services.config.database.connection, plugin, clock);
    worlds.push(w);
    return w;
  }

  it('succeeds on a retry after the backoff delay', async () => {
    const plugin = new FlakyPlugin({ failures: 1 });
    const { leases, runner } = await world(plugin);
    const lease = await leases.create(admin, { name: 'retry', end_date: '2030-01-01 13:00', reservations: [{ resource_type: 'test:flaky' }] });
    await runner.runDueOnce();
    expect(plugin.startCalls).toBe(1);
    expect((await leases.get(admin, lease.id)).status).toBe('STARTING');
    await runner.runDueOnce();
    expect(plugin.startCalls).toBe(1); // not before the backoff delay
    clock.advance(1000);
    await runner.runDueOnce();
    expect(plugin.startCalls).toBe(2);
    expect((await leases.get(admin, lease.id)).status).toBe('ACTIVE');
  });

  it('gives up after event_max_retries: event ERROR, lease ERROR with a reason and a lease.error notification', async () => {
    const plugin = new FlakyPlugin({ failures: 10 });
    const { leases, runner } = await world(plugin);
    const lease = await leases.create(admin, { name: 'doomed', end_date: '2030-01-01 13:00', reservations: [{ resource_type: 'test:flaky' }] });
    for (const delay of [0, 1000, 2000]) {
      clock.advance(delay);
      await runner.runDueOnce();
    }
    expect(plugin.startCalls).toBe(3);
    const failed = await leases.get(admin, lease.id);
    expect(failed.status).toBe('ERROR');
    expect(failed.status_reason).toMatch(/start_lease failed after 3 attempt\(s\): cloud said no/);
    expect(failed.events.find((e) => e.event_type === 'start_lease')?.status).toBe('ERROR');
    const rows = await svc.services.db.select<{ event_type: string; priority: string }>(
      'SELECT event_type, priority FROM notifications WHERE lease_id = ? ORDER BY id', [lease.id]);
    expect(rows.at(-1)).toEqual({ event_type: 'lease.error', priority: 'ERROR' });
    // A lease in ERROR can still be deleted, and what the failed start left behind is cleaned up first.
    await leases.delete(admin, lease.id);
    await expect(leases.get(admin, lease.id)).rejects.toThrow(/not found/);
    expect(plugin.calls.filter((c) => c.startsWith('onEnd:'))).toHaveLength(1);
  });

  it('repairs a lease in ERROR with a PUT: the failed event runs again', async () => {
    const plugin = new FlakyPlugin({ failures: 3 });
    const { leases, runner } = await world(plugin);
    const lease = await leases.create(admin, { name: 'repairable', end_date: '2030-01-02 13:00', reservations: [{ resource_type: 'test:flaky' }] });
    for (const delay of [0, 1000, 2000]) {
      clock.advance(delay);
      await runner.runDueOnce();
    }
    expect((await leases.get(admin, lease.id)).status).toBe('ERROR');

    const repaired = await leases.update(admin, lease.id, { end_date: '2030-01-02 14:00' });
    expect(repaired.status).toBe('PENDING');
    expect(repaired.status_reason).toBeNull();
    expect(repaired.events.find((e) => e.event_type === 'start_lease')?.status).toBe('UNDONE');
    await runner.runDueOnce();
    const active = await leases.get(admin, lease.id);
    expect(active.status).toBe('ACTIVE');
    expect(active.reservations[0].status).toBe('active');
    expect(plugin.startCalls).toBe(4);
  });
});
