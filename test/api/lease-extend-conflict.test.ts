/**
 * Extending a lease across another lease's booking of its host (issue 12, item 11): the 409 says what conflicts
 * (the host by name, from when, and the other lease's id when the caller may see that lease), and nothing is
 * written. Also for a pending lease moved onto a busy host.
 */
import request from 'supertest';
import { ManualClock } from '../../src/common';
import { DIALECTS } from '../support/database';
import { startTestService, type TestService } from '../support/service';
import { ADMIN, allocationsOfLease, createHost, createLease, expectError, hostReservation, member, type Lease } from './helpers';

const NOW = new Date('2029-06-01T10:00:00Z');
const ALPHA = member('alpha');
const BETA = member('beta');

const onHost = (name: string) => hostReservation({ hypervisor_properties: `["==", "$hypervisor_hostname", "${name}"]` });

describe.each(DIALECTS)('extending a lease across another booking on %s', (dialect) => {
  let svc: TestService;
  let clock: ManualClock;
  /** Alpha's active leases on compute-a and compute-b, and the bookings after them. */
  let activeA: Lease;
  let activeB: Lease;
  let betaOnA: Lease;
  let alphaOnB: Lease;

  const put = (id: string, body: Record<string, unknown>, who: Record<string, string>) =>
    request(svc.app).put(`/v1/leases/${id}`).set(who).send(body);
  /** Everything observable about the leases involved: their bodies (events included) and their allocations. */
  const snapshot = async () => Promise.all([activeA, activeB, betaOnA, alphaOnB].map(async (l) => ({
    lease: (await request(svc.app).get(`/v1/leases/${l.id}`).set(ADMIN)).body,
    allocations: await allocationsOfLease(svc.app, l.id),
  })));

  beforeAll(async () => {
    clock = new ManualClock(NOW);
    svc = await startTestService({ dialect, clock });
    for (const name of ['compute-a', 'compute-b']) await createHost(svc.app, { name });
    activeA = await createLease(svc.app, { name: 'active-a', start_date: 'now', end_date: '2029-06-02 10:00', reservations: [onHost('compute-a')] }, ALPHA);
    activeB = await createLease(svc.app, { name: 'active-b', start_date: 'now', end_date: '2029-06-02 10:00', reservations: [onHost('compute-b')] }, ALPHA);
    betaOnA = await createLease(svc.app, {
      name: 'beta-later', start_date: '2029-06-03 00:00', end_date: '2029-06-04 00:00', reservations: [onHost('compute-a')],
    }, BETA);
    alphaOnB = await createLease(svc.app, {
      name: 'alpha-later', start_date: '2029-06-03 06:00', end_date: '2029-06-04 00:00', reservations: [onHost('compute-b')],
    }, ALPHA);
    clock.advance(1000);
    expect(await svc.services.runner.runDueOnce()).toBe(2);
    for (const l of [activeA, activeB]) expect((await request(svc.app).get(`/v1/leases/${l.id}`)).body.lease.status).toBe('ACTIVE');
  });
  afterAll(async () => { await svc.close(); });

  it("names the host and when it is taken, but not another project's lease", async () => {
    const before = await snapshot();
    const res = await put(activeA.id, { end_date: '2029-06-05 10:00' }, ALPHA);
    expectError(res, 409, 'Cannot extend the lease to 2029-06-05T10:00:00.000Z: host compute-a is reserved from 2029-06-03T00:00:00.000Z '
      + "by another project's lease. A started lease keeps the hosts it holds");
    expect(res.body.error_message).not.toContain(betaOnA.id);
    expect(await snapshot()).toEqual(before);
  });

  it('names the other lease for an admin', async () => {
    const before = await snapshot();
    expectError(await put(activeA.id, { end_date: '2029-06-05 10:00' }, ADMIN), 409, 'Cannot extend the lease to 2029-06-05T10:00:00.000Z: '
      + `host compute-a is reserved from 2029-06-03T00:00:00.000Z by lease ${betaOnA.id}. A started lease keeps the hosts it holds`);
    expect(await snapshot()).toEqual(before);
  });

  it("names the caller's own other lease", async () => {
    const before = await snapshot();
    expectError(await put(activeB.id, { end_date: '2029-06-03 12:00' }, ALPHA), 409, 'Cannot extend the lease to 2029-06-03T12:00:00.000Z: '
      + `host compute-b is reserved from 2029-06-03T06:00:00.000Z by lease ${alphaOnB.id}. A started lease keeps the hosts it holds`);
    expect(await snapshot()).toEqual(before);
  });

  it('moves a pending lease onto a busy host with a 409 that says which booking is in the way', async () => {
    const pending = await createLease(svc.app, {
      name: 'pending', start_date: '2029-06-10 00:00', end_date: '2029-06-11 00:00', reservations: [onHost('compute-a')],
    }, ALPHA);
    const before = [await snapshot(), await allocationsOfLease(svc.app, pending.id)];
    const res = await put(pending.id, { start_date: '2029-06-03 12:00', end_date: '2029-06-03 18:00' }, ALPHA);
    expectError(res, 409, /^Not enough hosts available: .*; of the hosts it holds, host compute-a is reserved from 2029-06-03T00:00:00.000Z by another project's lease$/);
    expect([await snapshot(), await allocationsOfLease(svc.app, pending.id)]).toEqual(before);
  });

  it('extends up to the other booking', async () => {
    const res = await put(activeA.id, { end_date: '2029-06-02 23:00' }, ALPHA);
    expect(res.status).toBe(200);
    expect(await allocationsOfLease(svc.app, activeA.id)).toEqual([expect.objectContaining({ end_date: '2029-06-02T23:00:00.000000' })]);
  });
});

describe.each(DIALECTS)('refusals to change the hosts of a started lease on %s', (dialect) => {
  let svc: TestService;
  let active: Lease;
  let later: Lease;
  const put = (id: string, body: Record<string, unknown>) => request(svc.app).put(`/v1/leases/${id}`).set(ALPHA).send(body);
  const snapshot = async () => Promise.all([active, later].map(async (l) => ({
    lease: (await request(svc.app).get(`/v1/leases/${l.id}`).set(ADMIN)).body,
    allocations: await allocationsOfLease(svc.app, l.id),
  })));

  beforeAll(async () => {
    const clock = new ManualClock(NOW);
    svc = await startTestService({ dialect, clock, config: { default: { cleaningTimeMinutes: 30 } } });
    for (const name of ['rack-1', 'rack-2']) await createHost(svc.app, { name });
    active = await createLease(svc.app, {
      name: 'two-hosts', start_date: 'now', end_date: '2029-06-02 10:00', reservations: [hostReservation({ min: 1, max: 2 })],
    }, ALPHA);
    later = await createLease(svc.app, {
      name: 'later', start_date: '2029-06-03 00:00', end_date: '2029-06-04 00:00', reservations: [onHost('rack-2')],
    }, BETA);
    clock.advance(1000);
    expect(await svc.services.runner.runDueOnce()).toBe(1);
  });
  afterAll(async () => { await svc.close(); });

  it('counts the cleaning time, and says so', async () => {
    const before = await snapshot();
    expectError(await put(active.id, { end_date: '2029-06-02 23:45' }), 409, 'Cannot extend the lease to 2029-06-02T23:45:00.000Z: '
      + "host rack-2 is reserved from 2029-06-03T00:00:00.000Z by another project's lease "
      + '(hosts stay free 30 minutes between leases: cleaning_time). A started lease keeps the hosts it holds');
    expect(await snapshot()).toEqual(before);
  });

  it('names the hosts a lowered max would give back', async () => {
    const before = await snapshot();
    expectError(await put(active.id, { reservations: [{ id: active.reservations[0].id, max: 1 }] }), 409,
      'Cannot change the hosts of a started lease: host rack-2 is beyond the new max of 1. A started lease keeps the hosts it holds');
    expect(await snapshot()).toEqual(before);
  });
});
