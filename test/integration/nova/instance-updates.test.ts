/**
 * Raising the amount of a started virtual:instance reservation, with [compute] driver = nova: the PUT re-checks
 * capacity for the rest of the window and commits the new slots with an `update_lease` event; the event makes
 * Nova and Placement follow (hosts join the aggregate, child providers get their inventory), retried through
 * faults; nothing is written when capacity is short; and the end still removes everything.
 */
import request from 'supertest';
import { fromSqlDate } from '../../../src/db/sql-values';
import { reservationResourceClass } from '../../../src/plugins/virtual-instance';
import { DIALECTS } from '../../support/database';
import { COMPUTE, expectNothingLeft, faultsOn, instanceLease, placementSlots } from './support';
import { ADMIN_CTX, novaWorld, type NovaWorld } from './world';

jest.setTimeout(60_000);

async function started(w: NovaWorld, extra: Record<string, unknown>): Promise<{ leaseId: string; rid: string }> {
  const lease = await w.svc.services.leases.create(ADMIN_CTX, instanceLease('grow', extra));
  await w.svc.services.runner.runDueOnce();
  const view = await w.svc.services.leases.get(ADMIN_CTX, lease.id);
  expect(view.status).toBe('ACTIVE');
  return { leaseId: lease.id, rid: view.reservations[0].id as string };
}

const raise = (w: NovaWorld, leaseId: string, rid: string, amount: number) =>
  request(w.svc.app).put(`/v1/leases/${leaseId}`).send({ reservations: [{ id: rid, amount }] });

const rows = async (w: NovaWorld, rid: string) => (await w.svc.services.repos.instanceAllocations.list({ reservationId: rid }))
  .map((a) => ({ host: a.hostId, slots: a.slots, start: a.startDate.toISOString(), end: a.endDate.toISOString() }));

const updateEvents = async (w: NovaWorld, leaseId: string) =>
  (await w.svc.services.leases.get(ADMIN_CTX, leaseId)).events.filter((e) => e.event_type === 'update_lease');

describe.each(DIALECTS)('raising the amount of a started instance reservation (%s)', (dialect) => {
  let w: NovaWorld;
  let hostIds: number[];
  beforeEach(async () => {
    w = await novaWorld({ manager: { plugins: ['virtual:instance'] } }, (fake) => {
      // 8 vCPU, 16 GiB, 100 GB each: 4 slots of 2 vCPU, 4 GiB, 10 GB.
      for (const name of COMPUTE) fake.addHypervisor(name);
    }, { dialect });
    hostIds = (await w.register(...COMPUTE)).map(Number);
  });
  afterEach(async () => { await w.close(); });

  it('takes more slots from now on, on the host held first; the update_lease event makes Placement and Nova follow', async () => {
    const { leaseId, rid } = await started(w, { amount: 3, affinity: 'None' });
    expect(placementSlots(w.fake, rid)).toEqual({ 'compute-1': 3 });
    w.clock.set(new Date('2030-01-01T12:10:00Z'));

    const res = await raise(w, leaseId, rid, 6);
    expect(res.status).toBe(200);
    expect(res.body.lease.reservations[0]).toMatchObject({ amount: 6, status: 'active' });
    expect(res.body.lease.events.find((e: { event_type: string }) => e.event_type === 'update_lease')).toMatchObject({ status: 'UNDONE' });
    // Committed first: the rows, recorded from now on beside the ones held since the start.
    const [h1, h2] = hostIds;
    expect(await rows(w, rid)).toEqual([
      { host: h1, slots: 3, start: '2030-01-01T12:00:00.000Z', end: '2030-01-01T13:00:00.000Z' },
      { host: h1, slots: 1, start: '2030-01-01T12:10:00.000Z', end: '2030-01-01T13:00:00.000Z' },
      { host: h2, slots: 2, start: '2030-01-01T12:10:00.000Z', end: '2030-01-01T13:00:00.000Z' },
    ]);
    // The cloud follows when the event runs.
    expect(placementSlots(w.fake, rid)).toEqual({ 'compute-1': 3 });
    await w.svc.services.runner.runDueOnce();
    expect(await updateEvents(w, leaseId)).toEqual([expect.objectContaining({ status: 'DONE' })]);
    expect(placementSlots(w.fake, rid)).toEqual({ 'compute-1': 4, 'compute-2': 2 });
    const aggregate = w.fake.aggregateNamed(`reservation-${rid}`)!;
    expect(aggregate.hosts.sort()).toEqual(['compute-1', 'compute-2']);
    const sent = (await w.svc.services.repos.outbox.pending(1000)).filter((n) => n.eventType === 'lease.event.update_lease');
    expect(sent).toHaveLength(1);
    expect(JSON.parse(sent[0].payload).reservations[0]).toMatchObject({ amount: 6 });
    // The new slots are usable: the scheduler finds them on compute-2's child provider.
    const flavor = (await w.svc.services.leases.get(ADMIN_CTX, leaseId)).reservations[0].flavor_id as string;
    w.fake.addServer('compute-2', { flavorId: flavor, tenantId: 'p1' });
    w.fake.addServer('compute-2', { flavorId: flavor, tenantId: 'p1' });
    expect(() => w.fake.addServer('compute-2', { flavorId: flavor, tenantId: 'p1' })).toThrow(/No valid host/);

    // A later window change moves the ends and keeps each row's start.
    expect((await request(w.svc.app).put(`/v1/leases/${leaseId}`).send({ end_date: '2030-01-01 13:30' })).status).toBe(200);
    expect((await rows(w, rid)).map((r) => [r.start, r.end])).toEqual([
      ['2030-01-01T12:00:00.000Z', '2030-01-01T13:30:00.000Z'], ['2030-01-01T12:10:00.000Z', '2030-01-01T13:30:00.000Z'],
      ['2030-01-01T12:10:00.000Z', '2030-01-01T13:30:00.000Z']]);
    expect(await updateEvents(w, leaseId)).toHaveLength(1); // a window change alone changes nothing in the cloud

    w.clock.set(new Date('2030-01-01T13:30:00Z'));
    await w.runEvents(2);
    expect((await w.svc.services.leases.get(ADMIN_CTX, leaseId)).status).toBe('TERMINATED');
    expectNothingLeft(w.fake);
  });

  it('anti-affinity adds hosts it does not hold; short capacity is a 409 that writes nothing', async () => {
    const { leaseId, rid } = await started(w, { amount: 2, affinity: 'False' });
    expect(w.fake.aggregateNamed(`reservation-${rid}`)!.hosts.sort()).toEqual(['compute-1', 'compute-2']);
    const grown = await raise(w, leaseId, rid, 3);
    expect(grown.status).toBe(200);
    await w.svc.services.runner.runDueOnce();
    expect(placementSlots(w.fake, rid)).toEqual({ 'compute-1': 1, 'compute-2': 1, 'compute-3': 1 });
    expect(w.fake.aggregateNamed(`reservation-${rid}`)!.hosts.sort()).toEqual(COMPUTE);
    expect(w.fake.aggregateNamed('freepool')!.hosts.sort()).toEqual(COMPUTE); // instance hosts stay in the freepool

    const before = { rows: await rows(w, rid), view: await w.svc.services.leases.get(ADMIN_CTX, leaseId), calls: w.fake.requests.length };
    const short = await raise(w, leaseId, rid, 4);
    expect(short.status).toBe(409);
    expect(short.body.error_message).toMatch(/Not enough capacity to raise virtual:instance reservation .* from 3 to 4 instance\(s\).* 1 more needed on hosts it does not hold yet .*; 0 host\(s\) have a free slot/);
    expect(await rows(w, rid)).toEqual(before.rows);
    const after = await w.svc.services.leases.get(ADMIN_CTX, leaseId);
    expect(after.reservations[0].amount).toBe(3);
    expect(after.events).toEqual(before.view.events);
    expect(after.updated_at).toEqual(before.view.updated_at);
    expect(w.fake.requests.length).toBe(before.calls);

    const lower = await raise(w, leaseId, rid, 2);
    expect(lower.status).toBe(409);
    expect(lower.body.error_message).toMatch(/Cannot lower amount .*may only be raised/);
  });

  it('affinity grows on its one host only; capacity elsewhere does not help', async () => {
    const { leaseId, rid } = await started(w, { amount: 2, affinity: 'True' });
    expect((await raise(w, leaseId, rid, 4)).status).toBe(200);
    const full = await raise(w, leaseId, rid, 5);
    expect(full.status).toBe(409);
    expect(full.body.error_message).toMatch(/1 more needed on the host it holds/);
    await w.svc.services.runner.runDueOnce();
    expect(placementSlots(w.fake, rid)).toEqual({ 'compute-1': 4 });
    expect(w.fake.aggregateNamed(`reservation-${rid}`)!.hosts).toEqual(['compute-1']);
  });

  it('another lease\'s slots later in the window count: the new slots must be free until the end', async () => {
    const { leaseId, rid } = await started(w, { amount: 2, affinity: 'None' });
    // From 12:30 on, the rest of every host is taken.
    const later = await w.svc.services.leases.create(ADMIN_CTX, instanceLease('later', { amount: 10, affinity: 'None' },
      { start_date: '2030-01-01 12:30', end_date: '2030-01-01 14:00' }));
    expect(later.reservations[0].amount).toBe(10);
    const res = await raise(w, leaseId, rid, 3);
    expect(res.status).toBe(409);
    expect(res.body.error_message).toMatch(/from 2 to 3 instance\(s\).*0 free slot\(s\) on 0 host\(s\) beyond what it holds/);
    // Ending before then, it may grow.
    expect((await request(w.svc.app).put(`/v1/leases/${leaseId}`).send({ end_date: '2030-01-01 12:30' })).status).toBe(200);
    const ok = await raise(w, leaseId, rid, 3);
    expect(ok.status).toBe(200);
    expect((await rows(w, rid)).map((r) => r.end)).toEqual(['2030-01-01T12:30:00.000Z', '2030-01-01T12:30:00.000Z']);
  });

  it('two raises before the event runs share one update_lease, which applies the latest', async () => {
    const { leaseId, rid } = await started(w, { amount: 1, affinity: 'None' });
    expect((await raise(w, leaseId, rid, 2)).status).toBe(200);
    expect((await raise(w, leaseId, rid, 6)).status).toBe(200);
    expect(await updateEvents(w, leaseId)).toHaveLength(1);
    await w.svc.services.runner.runDueOnce();
    expect(placementSlots(w.fake, rid)).toEqual({ 'compute-1': 4, 'compute-2': 2 });
    // A third raise after it ran gets a new one, due after the first (a lease's events run one at a time, in order).
    expect((await raise(w, leaseId, rid, 7)).status).toBe(200);
    expect((await updateEvents(w, leaseId)).map((e) => e.status)).toEqual(['DONE', 'UNDONE']);
    w.clock.advance(1);
    await w.svc.services.runner.runDueOnce();
    expect((await updateEvents(w, leaseId)).map((e) => e.status)).toEqual(['DONE', 'DONE']);
    expect(placementSlots(w.fake, rid)).toEqual({ 'compute-1': 4, 'compute-2': 3 });
  });

  // Faults on each step the event takes: the event fails, is retried (claims, backoff) and completes; the end then
  // leaves nothing behind.
  const steps: [string, { status: number; times: number; afterHandling?: boolean }][] = [
    ['PUT /resource_classes/{id}', { status: 503, times: 2 }],
    ['GET /resource_providers', { status: 503, times: 2 }],
    ['POST /resource_providers', { status: 503, times: 2 }],
    ['POST /resource_providers/{id}/inventories', { status: 503, times: 2 }],
    ['POST /resource_providers/{id}/inventories', { status: 500, times: 2, afterHandling: true }],
    ['GET /os-aggregates', { status: 503, times: 2 }],
    ['POST /os-aggregates/{id}/action:add_host', { status: 500, times: 2, afterHandling: true }],
  ];
  it.each(faultsOn(dialect, steps))('an update_lease whose "%s" fails is retried to completion, nothing orphaned', async (route, fault) => {
    const { leaseId, rid } = await started(w, { amount: 2, affinity: 'False' });
    expect((await raise(w, leaseId, rid, 3)).status).toBe(200);
    w.fake.fault(route, fault);
    await w.svc.services.runner.runDueOnce();
    expect(await updateEvents(w, leaseId)).toEqual([expect.objectContaining({ status: 'UNDONE' })]);
    expect((await w.svc.services.leases.get(ADMIN_CTX, leaseId)).status).toBe('ACTIVE');
    await w.runEvents(3);
    expect(await updateEvents(w, leaseId)).toEqual([expect.objectContaining({ status: 'DONE' })]);
    expect(placementSlots(w.fake, rid)).toEqual({ 'compute-1': 1, 'compute-2': 1, 'compute-3': 1 });
    expect(w.fake.aggregateNamed(`reservation-${rid}`)!.hosts.sort()).toEqual(COMPUTE);
    w.clock.set(new Date('2030-01-01T13:00:00Z'));
    await w.runEvents(2);
    expect((await w.svc.services.leases.get(ADMIN_CTX, leaseId)).status).toBe('TERMINATED');
    expectNothingLeft(w.fake);
  });

  it('an update_lease that keeps failing puts the lease in ERROR; a PUT repairs it and the event completes', async () => {
    const { leaseId, rid } = await started(w, { amount: 2, affinity: 'False' });
    expect((await raise(w, leaseId, rid, 3)).status).toBe(200);
    w.fake.fault('POST /resource_providers', { status: 503, times: Infinity });
    await w.runEvents(6);
    const failed = await w.svc.services.leases.get(ADMIN_CTX, leaseId);
    expect(failed.status).toBe('ERROR');
    expect(failed.status_reason).toMatch(/update_lease failed after 4 attempt\(s\)/);
    expect(placementSlots(w.fake, rid)).toEqual({ 'compute-1': 1, 'compute-2': 1 });

    w.fake.clearFaults();
    const repaired = await request(w.svc.app).put(`/v1/leases/${leaseId}`).send({ name: 'grow-again' });
    expect(repaired.status).toBe(200);
    expect(repaired.body.lease.status).toBe('ACTIVE');
    await w.svc.services.runner.runDueOnce();
    expect(await updateEvents(w, leaseId)).toEqual([expect.objectContaining({ status: 'DONE' })]);
    expect(placementSlots(w.fake, rid)).toEqual({ 'compute-1': 1, 'compute-2': 1, 'compute-3': 1 });
    expect(w.fake.providers.get(w.fake.hypervisors[2].providerUuid)!.inventories[reservationResourceClass(rid)]).toBeUndefined();
  });

  it('an update_lease that runs after the end changes nothing; a raise is refused once the lease has ended', async () => {
    const { leaseId, rid } = await started(w, { amount: 1, affinity: 'None' });
    expect((await raise(w, leaseId, rid, 2)).status).toBe(200);
    const [row] = await w.svc.services.db.select<{ time: unknown; status: string }>(
      "SELECT time, status FROM events WHERE lease_id = ? AND event_type = 'update_lease'", [leaseId]);
    expect(row.status).toBe('UNDONE');
    expect(fromSqlDate(row.time).toISOString()).toBe('2030-01-01T12:00:00.000Z');
    // The end runs first (as a manager that ran it before this update's event would), then the update finds nothing to do.
    w.clock.set(new Date('2030-01-01T13:00:00Z'));
    await w.svc.services.lifecycle.run((await w.svc.services.repos.events.listByLeases([leaseId])).find((e) => e.eventType === 'end_lease')!,
      async () => true);
    expectNothingLeft(w.fake);
    await w.runEvents(2);
    expect((await w.svc.services.leases.get(ADMIN_CTX, leaseId)).status).toBe('TERMINATED');
    expectNothingLeft(w.fake);
    expect((await raise(w, leaseId, rid, 3)).status).toBe(409);
  });

  it('refuses update_lease as a user event', async () => {
    const res = await request(w.svc.app).post('/v1/leases').send({
      name: 'sneaky', start_date: '2030-01-02 12:00', end_date: '2030-01-02 13:00', events: [{ event_type: 'update_lease', event_date: '2030-01-02 12:30' }],
      reservations: [{ resource_type: 'virtual:instance', amount: 1, vcpus: 1, memory_mb: 512, disk_gb: 1, affinity: 'None', resource_properties: '' }],
    });
    expect(res.status).toBe(400);
    expect(res.body.error_message).toMatch(/update_lease is planned by the service/);
  });
});
