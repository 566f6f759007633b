/**
 * Faults on every Heat call a stack lease makes (500s, lost replies, no answer, slow answers), at start and at
 * end: each event is retried to completion, with one stack made, and nothing left in Heat or Nova afterwards.
 */
import type { Fault } from '../../fakes/fake-service';
import { ADMIN_CTX, expectNothingLeft, stackWorld, type StackWorld } from './world';

jest.setTimeout(60_000);

describe('stack leases with Heat faults', () => {
  let w: StackWorld;
  beforeEach(async () => { w = await stackWorld(); });
  afterEach(async () => { await w.close(); });

  const get = (id: string) => w.svc.services.leases.get(ADMIN_CTX, id);

  const startFaults: [string, string, Fault][] = [
    ['a 500 before the create is handled', 'POST /stacks', { status: 500 }],
    ['a lost reply to the create (made, answered 500)', 'POST /stacks', { status: 500, afterHandling: true }],
    ['no answer to the create (timed out)', 'POST /stacks', { hang: true }],
    ['500s on the look-up by name', 'GET /stacks', { status: 500, times: 2 }],
    ['no answer to the status poll', 'GET /stacks/{name}/{id}', { hang: true, times: 2 }],
    ['503s on the status poll', 'GET /stacks/{name}/{id}', { status: 503, times: 2 }],
  ];
  it.each(startFaults)('a start with %s is retried to completion with one stack', async (_what, route, fault) => {
    const lease = await w.svc.services.leases.create(ADMIN_CTX, w.lease('start'));
    const rid = lease.reservations[0].id as string;
    w.heat.fault(route, fault);
    await w.svc.services.runner.runDueOnce();
    expect((await get(lease.id)).status).toBe('STARTING');
    await w.runEvents(3);
    const active = await get(lease.id);
    expect(active.status).toBe('ACTIVE');
    const live = w.heat.live();
    expect(live.map((s) => [s.name, s.status])).toEqual([['stack-start', 'CREATE_COMPLETE']]);
    expect(active.reservations[0]).toMatchObject({ stack_id: live[0].id, stack_status: 'CREATE_COMPLETE' });
    expect(w.fake.servers.size).toBe(2);
    // Exactly one created notification whatever the retries.
    expect((await w.notifications(lease.id)).filter((n) => n.type === 'reservation.stack.created')).toHaveLength(1);

    await w.end();
    expect((await get(lease.id)).status).toBe('TERMINATED');
    expectNothingLeft(w, rid);
  });

  const endFaults: [string, string, Fault][] = [
    ['500s on the delete', 'DELETE /stacks/{name}/{id}', { status: 500, times: 2 }],
    ['no answer to the delete', 'DELETE /stacks/{name}/{id}', { hang: true, times: 2 }],
    ['500s on the look-up by name', 'GET /stacks', { status: 500, times: 2 }],
    ['503s while waiting for the stack to go', 'GET /stacks/{name}/{id}', { status: 503, times: 2 }],
  ];
  it.each(endFaults)('an end with %s is retried to completion, nothing orphaned', async (_what, route, fault) => {
    const lease = await w.svc.services.leases.create(ADMIN_CTX, w.lease('end'));
    const rid = lease.reservations[0].id as string;
    await w.svc.services.runner.runDueOnce();
    expect(w.heat.live()).toHaveLength(1);
    w.heat.fault(route, fault);
    await w.end();
    expect((await get(lease.id)).status).toBe('TERMINATING');
    await w.runEvents(3);
    const ended = await get(lease.id);
    expect(ended.status).toBe('TERMINATED');
    expect(ended.reservations[0].stack_status).toBe('DELETE_COMPLETE');
    expectNothingLeft(w, rid);
    expect((await w.notifications(lease.id)).filter((n) => n.type === 'reservation.stack.deleted')).toHaveLength(1);
  });

  it('slow answers on every route within the timeouts need no retry', async () => {
    for (const route of ['POST /stacks', 'GET /stacks', 'GET /stacks/{name}/{id}', 'DELETE /stacks/{name}/{id}']) {
      w.heat.fault(route, { delayMs: 100, times: Infinity });
    }
    const lease = await w.svc.services.leases.create(ADMIN_CTX, w.lease('slow'));
    const rid = lease.reservations[0].id as string;
    await w.svc.services.runner.runDueOnce();
    expect((await get(lease.id)).status).toBe('ACTIVE');
    await w.end();
    expect((await get(lease.id)).status).toBe('TERMINATED');
    w.heat.clearFaults();
    expectNothingLeft(w, rid);
    const events = await w.svc.services.repos.events.listByLeases([lease.id]);
    expect(events.map((e) => e.attempts)).toEqual(events.map(() => 0));
  });

  it('a stack still being created when the start\'s wait runs out is waited for by the retry, not made again', async () => {
    w.heat.createDelayMs = 3_600_000; // until the test lets it finish, however busy the machine
    const lease = await w.svc.services.leases.create(ADMIN_CTX, w.lease('long'));
    await w.svc.services.runner.runDueOnce();
    const waiting = await get(lease.id);
    expect(waiting.status).toBe('STARTING');
    expect(waiting.reservations[0].stack_status).toBe('CREATE_IN_PROGRESS');
    const [event] = (await w.svc.services.repos.events.listByLeases([lease.id])).filter((e) => e.eventType === 'start_lease');
    expect(event.lastError).toMatch(/stack "stack-long" .* still CREATE_IN_PROGRESS after 1 s/);
    w.heat.createDelayMs = 0;
    await w.runEvents(3);
    expect((await get(lease.id)).status).toBe('ACTIVE');
    expect(w.heat.calls('POST /stacks')).toHaveLength(1);
  });
});
