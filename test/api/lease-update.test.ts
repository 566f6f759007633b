/** PUT /v1/leases/{id}: renames, window moves, reservation changes, and refusals that leave everything as it was. */
import request from 'supertest';
import { ManualClock } from '../../src/common';
import { DIALECTS } from '../support/database';
import { startTestService, type TestService } from '../support/service';
import { allocationsOfLease, createHost, createLease, expectError, expectSchema, hostReservation, hostsOfLease, leaseBody, type Lease } from './helpers';

const NOW = new Date('2029-06-01T10:00:00Z');

/** Month `n` of 2031: a window of its own per test. */
const day = (n: number, d: number, time = '00:00') => `2031-${String(n).padStart(2, '0')}-${String(d).padStart(2, '0')} ${time}`;
const rendered = (text: string) => `${text.replace(' ', 'T')}:00.000000`;

describe.each(DIALECTS)('lease update on %s', (dialect) => {
  let svc: TestService;
  const hosts: Record<string, string> = {};

  const put = (id: string, body: Record<string, unknown>) => request(svc.app).put(`/v1/leases/${id}`).send(body);
  const eventTimes = (lease: Lease) => Object.fromEntries(lease.events.map((e) => [e.event_type, e.time]));
  /** Everything observable about a lease: its body and the hosts and windows allocated to it. */
  const snapshot = async (id: string) => ({
    lease: (await request(svc.app).get(`/v1/leases/${id}`)).body,
    allocations: await allocationsOfLease(svc.app, id),
  });
  const onHost = (name: string, extra: Record<string, unknown> = {}) =>
    hostReservation({ hypervisor_properties: `["==", "$hypervisor_hostname", "${name}"]`, ...extra });

  beforeAll(async () => {
    svc = await startTestService({ dialect, clock: new ManualClock(NOW) });
    for (const [name, rack] of [['h1', 'r1'], ['h2', 'r2'], ['h3', 'r3']]) hosts[name] = (await createHost(svc.app, { name, vcpus: 4, rack })).id;
  });
  afterAll(async () => { await svc.close(); });

  it('renames a lease', async () => {
    const lease = await createLease(svc.app, leaseBody('old-name', { start_date: day(1, 1), end_date: day(1, 2) }));
    const res = await put(lease.id, { name: 'new-name' });
    expect(res.status).toBe(200);
    expectSchema(res.body, 'LeaseEnvelope');
    expect(res.body.lease).toMatchObject({ id: lease.id, name: 'new-name', start_date: lease.start_date, updated_at: '2029-06-01 10:00:00' });
    expect((await request(svc.app).get(`/v1/leases/${lease.id}`)).body.lease.name).toBe('new-name');
    await createLease(svc.app, leaseBody('taken', { start_date: day(1, 1), end_date: day(1, 2) }));
    expectError(await put(lease.id, { name: 'taken' }), 409, /taken.*already exists/);
    expect((await request(svc.app).get(`/v1/leases/${lease.id}`)).body.lease.name).toBe('new-name');
  });

  it.each([
    ['extends the end', { end_date: day(2, 3) }, day(2, 1), day(2, 3)],
    ['shrinks the end', { end_date: day(2, 1, '06:00') }, day(2, 1), day(2, 1, '06:00')],
    ['moves the whole window', { start_date: day(2, 10), end_date: day(2, 12) }, day(2, 10), day(2, 12)],
    ['defers the start', { start_date: day(2, 1, '12:00') }, day(2, 1, '12:00'), day(2, 2)],
  ])('%s of a pending lease, moving its allocations and events along', async (label, change, start, end) => {
    const lease = await createLease(svc.app, leaseBody(`window-${label}`, {
      start_date: day(2, 1), end_date: day(2, 2), reservations: [onHost('h1')],
    }));
    const res = await put(lease.id, change);
    expect(res.status).toBe(200);
    expect(res.body.lease).toMatchObject({ start_date: rendered(start), end_date: rendered(end) });
    const beforeEnd = new Date(`${end.replace(' ', 'T')}:00Z`).getTime() - 3_600_000;
    expect(eventTimes(res.body.lease)).toEqual({
      start_lease: rendered(start),
      end_lease: rendered(end),
      before_end_lease: new Date(Math.max(beforeEnd, new Date(`${start.replace(' ', 'T')}:00Z`).getTime())).toISOString().replace('Z', '000'),
    });
    expect(await allocationsOfLease(svc.app, lease.id)).toEqual([
      { host: hosts.h1, id: lease.reservations[0].id, lease_id: lease.id, start_date: rendered(start), end_date: rendered(end) },
    ]);
    expect((await request(svc.app).get(`/v1/leases/${lease.id}`)).body).toEqual(res.body);
    await request(svc.app).delete(`/v1/leases/${lease.id}`).expect(204);
  });

  it('grows and shrinks the hosts held when max changes, keeping the hosts it has', async () => {
    const lease = await createLease(svc.app, leaseBody('elastic', {
      start_date: day(3, 1), end_date: day(3, 2), reservations: [hostReservation({ resource_properties: '["in", "$rack", "r2", "r3"]' })],
    }));
    const reservation = lease.reservations[0].id;
    expect(await hostsOfLease(svc.app, lease.id)).toEqual([hosts.h2]);

    const grown = await put(lease.id, { reservations: [{ id: reservation, max: 3 }] });
    expect(grown.status).toBe(200);
    expect(grown.body.lease.reservations[0]).toMatchObject({ id: reservation, min: 1, max: 3 });
    // Only two hosts match the filter: max 3 takes both, h2 among them.
    expect(await hostsOfLease(svc.app, lease.id)).toEqual([hosts.h2, hosts.h3]);

    const widened = await put(lease.id, { reservations: [{ id: reservation, resource_properties: '', max: 3 }] });
    expect(widened.status).toBe(200);
    expect(await hostsOfLease(svc.app, lease.id)).toEqual([hosts.h1, hosts.h2, hosts.h3]);

    const shrunk = await put(lease.id, { reservations: [{ id: reservation, max: 2 }] });
    expect(shrunk.status).toBe(200);
    const held = await hostsOfLease(svc.app, lease.id);
    expect(held).toHaveLength(2);
    expect([hosts.h1, hosts.h2, hosts.h3]).toEqual(expect.arrayContaining(held));

    const one = await put(lease.id, { reservations: [{ id: reservation, max: 1 }] });
    expect(one.status).toBe(200);
    const last = await hostsOfLease(svc.app, lease.id);
    expect(last).toHaveLength(1);
    expect(held).toContain(last[0]);
  });

  it('keeps the host it holds when max grows, even where a fresh pick would choose others', async () => {
    const blockers = [
      await createLease(svc.app, leaseBody('block-h1', { start_date: day(8, 1), end_date: day(8, 2), reservations: [onHost('h1')] })),
      await createLease(svc.app, leaseBody('block-h2', { start_date: day(8, 1), end_date: day(8, 2), reservations: [onHost('h2')] })),
    ];
    const lease = await createLease(svc.app, leaseBody('late-pick', { start_date: day(8, 1), end_date: day(8, 2), reservations: [hostReservation()] }));
    expect(await hostsOfLease(svc.app, lease.id)).toEqual([hosts.h3]);
    for (const b of blockers) await request(svc.app).delete(`/v1/leases/${b.id}`).expect(204);
    const res = await put(lease.id, { reservations: [{ id: lease.reservations[0].id, max: 2 }] });
    expect(res.status).toBe(200);
    expect(await hostsOfLease(svc.app, lease.id)).toEqual([hosts.h1, hosts.h3]);
  });

  it('moves a reservation to hosts matching its new filter', async () => {
    const lease = await createLease(svc.app, leaseBody('refiltered', { start_date: day(4, 1), end_date: day(4, 2), reservations: [onHost('h1')] }));
    const res = await put(lease.id, { reservations: [{ id: lease.reservations[0].id, hypervisor_properties: '["==", "$hypervisor_hostname", "h3"]' }] });
    expect(res.status).toBe(200);
    expect(res.body.lease.reservations[0].hypervisor_properties).toBe('["==", "$hypervisor_hostname", "h3"]');
    expect(await hostsOfLease(svc.app, lease.id)).toEqual([hosts.h3]);
  });

  describe('a change that no longer fits', () => {
    let mine: Lease;
    let theirs: Lease;
    beforeAll(async () => {
      mine = await createLease(svc.app, leaseBody('mine', { start_date: day(5, 1), end_date: day(5, 2), reservations: [onHost('h1')] }));
      theirs = await createLease(svc.app, leaseBody('theirs', { start_date: day(5, 5), end_date: day(5, 6), reservations: [onHost('h1')] }));
    });

    it.each([
      ['an end that runs into another lease', () => ({ end_date: day(5, 5, '12:00') })],
      ['a window moved onto another lease', () => ({ start_date: day(5, 4), end_date: day(5, 6) })],
      ['a rename together with a window that does not fit', () => ({ name: 'mine-renamed', end_date: day(5, 7) })],
      ['a min the filter cannot reach', () => ({ reservations: [{ id: mine.reservations[0].id, min: 2, max: 2 }] })],
      ['a filter no free host matches', () => ({ reservations: [{ id: mine.reservations[0].id, hypervisor_properties: '[">", "$vcpus", 4]' }] })],
    ])('is refused with 409 for %s, and nothing changes', async (_label, change) => {
      const before = [await snapshot(mine.id), await snapshot(theirs.id)];
      const res = await put(mine.id, change());
      expectError(res, 409, /Not enough hosts/);
      expect([await snapshot(mine.id), await snapshot(theirs.id)]).toEqual(before);
    });
  });

  it('refuses invalid dates with 400, changing nothing', async () => {
    const lease = await createLease(svc.app, leaseBody('dates', { start_date: day(6, 1), end_date: day(6, 2), reservations: [onHost('h2')] }));
    const before = await snapshot(lease.id);
    expectError(await put(lease.id, { end_date: day(5, 30) }), 400, 'End date must be later than start date.');
    expectError(await put(lease.id, { end_date: '2031-06-31 00:00' }), 400, '2031-06-31 00:00 is an invalid date. Required format: %Y-%m-%d %H:%M');
    expectError(await put(lease.id, { name: 'dates-2', start_date: '2020-01-01 00:00' }), 400, 'Start date must be later than current date');
    expect(await snapshot(lease.id)).toEqual(before);
  });

  it("answers 404 for a reservation id of another lease (or none), changing nothing", async () => {
    const lease = await createLease(svc.app, leaseBody('own', { start_date: day(7, 1), end_date: day(7, 2), reservations: [onHost('h1')] }));
    const other = await createLease(svc.app, leaseBody('other', { start_date: day(7, 1), end_date: day(7, 2), reservations: [onHost('h2')] }));
    const before = [await snapshot(lease.id), await snapshot(other.id)];
    const foreign = other.reservations[0].id;
    expectError(await put(lease.id, { reservations: [{ id: foreign, max: 2 }] }), 404, `Object with {'reservation_id': '${foreign}'} not found`);
    expectError(await put(lease.id, { name: 'own-2', reservations: [{ id: 'no-such-reservation', max: 2 }] }), 404,
      "Object with {'reservation_id': 'no-such-reservation'} not found");
    expect([await snapshot(lease.id), await snapshot(other.id)]).toEqual(before);
  });
});
