/** /v1/os-hosts/properties (listing, detail, private) and /v1/os-hosts/allocations, /v1/os-hosts/{id}/allocation. */
import request from 'supertest';
import { ManualClock } from '../../src/common';
import { DIALECTS } from '../support/database';
import { startTestService, type TestService } from '../support/service';
import { createHost, createLease, expectError, expectSchema, hostReservation, leaseBody, type Lease } from './helpers';

const onHost = (name: string) => hostReservation({ hypervisor_properties: `["==", "$hypervisor_hostname", "${name}"]` });

describe.each(DIALECTS)('host properties on %s', (dialect) => {
  let svc: TestService;
  const properties = async (query = '') => {
    const res = await request(svc.app).get(`/v1/os-hosts/properties${query}`);
    expect(res.status).toBe(200);
    expectSchema(res.body, 'ResourcePropertyList');
    return res.body.resource_properties;
  };
  const patch = (name: string, body: unknown) => request(svc.app).patch(`/v1/os-hosts/properties/${name}`).send(body as object);

  beforeAll(async () => {
    svc = await startTestService({ dialect });
    await createHost(svc.app, { name: 'p1', gpu: 'True', rack: 'r1', secret: 'alpha' });
    await createHost(svc.app, { name: 'p2', gpu: 'False', rack: 'r1' });
    await createHost(svc.app, { name: 'p3', gpu: 'True', rack: 'r2', secret: 'beta' });
  });
  afterAll(async () => { await svc.close(); });

  it('lists the property names', async () => {
    expect(await properties()).toEqual([{ property: 'gpu' }, { property: 'rack' }, { property: 'secret' }]);
  });

  it.each(['?detail=True', '?detail=true', '?detail=1'])('adds private and the values with %s', async (query) => {
    expect(await properties(query)).toEqual([
      { property: 'gpu', private: false, values: ['False', 'True'] },
      { property: 'rack', private: false, values: ['r1', 'r2'] },
      { property: 'secret', private: false, values: ['alpha', 'beta'] },
    ]);
  });

  it('gives no detail for detail=False', async () => {
    expect(await properties('?detail=False')).toEqual([{ property: 'gpu' }, { property: 'rack' }, { property: 'secret' }]);
  });

  it('hides a property made private unless all=True, and shows it again when made public', async () => {
    const res = await patch('secret', { private: true });
    expect(res.status).toBe(200);
    expectSchema(res.body, 'ResourcePropertyEnvelope');
    expect(res.body.resource_property).toMatchObject({ property: 'secret', private: true, values: ['alpha', 'beta'] });

    expect(await properties()).toEqual([{ property: 'gpu' }, { property: 'rack' }]);
    expect((await properties('?detail=True')).map((p: { property: string }) => p.property)).toEqual(['gpu', 'rack']);
    expect(await properties('?all=True')).toEqual([{ property: 'gpu' }, { property: 'rack' }, { property: 'secret' }]);
    expect(await properties('?all=True&detail=True')).toContainEqual({ property: 'secret', private: true, values: ['alpha', 'beta'] });

    const back = await patch('secret', { private: false });
    expect(back.status).toBe(200);
    expect(back.body.resource_property).toMatchObject({ property: 'secret', private: false });
    expect(await properties()).toEqual([{ property: 'gpu' }, { property: 'rack' }, { property: 'secret' }]);
  });

  it('keeps a private property usable by filters', async () => {
    await patch('secret', { private: true }).expect(200);
    const lease = await createLease(svc.app, leaseBody('by-secret', { reservations: [hostReservation({ resource_properties: '["==", "$secret", "beta"]' })] }));
    const alloc = await request(svc.app).get('/v1/os-hosts/allocations').query({ lease_id: lease.id });
    expect(alloc.body.allocations.filter((a: { reservations: unknown[] }) => a.reservations.length)).toHaveLength(1);
    await patch('secret', { private: false }).expect(200);
  });

  it('answers 404 for an unknown property', async () => {
    expectError(await patch('nope', { private: true }), 404, "Object with {'property_id': 'nope'} not found");
  });

  it.each([
    ['a string', { private: 'yes' }],
    ['no private', {}],
    ['an unknown field', { private: true, hidden: true }],
    ['null', null],
  ])('refuses a PATCH body with %s (400), changing nothing', async (_label, body) => {
    const before = await properties('?all=True&detail=True');
    const res = await request(svc.app).patch('/v1/os-hosts/properties/gpu').set('Content-Type', 'application/json').send(JSON.stringify(body));
    expectError(res, 400);
    expect(await properties('?all=True&detail=True')).toEqual(before);
  });
});

describe.each(DIALECTS)('host allocations on %s', (dialect) => {
  let svc: TestService;
  const ids: Record<string, string> = {};
  let l1: Lease;
  let l2: Lease;

  const allocations = async (query: Record<string, string> = {}) => {
    const res = await request(svc.app).get('/v1/os-hosts/allocations').query(query);
    expect(res.status).toBe(200);
    expectSchema(res.body, 'AllocationList');
    return res.body.allocations;
  };
  const entry = (lease: Lease, index = 0) => ({
    id: lease.reservations[index].id, lease_id: lease.id, start_date: lease.start_date, end_date: lease.end_date,
  });

  beforeAll(async () => {
    svc = await startTestService({ dialect, clock: new ManualClock(new Date('2029-06-01T10:00:00Z')) });
    for (const name of ['a1', 'a2', 'a3', 'idle']) ids[name] = (await createHost(svc.app, { name })).id;
    l1 = await createLease(svc.app, leaseBody('l1', { start_date: '2030-01-01 12:00', end_date: '2030-01-02 12:00', reservations: [onHost('a1')] }));
    l2 = await createLease(svc.app, leaseBody('l2', {
      start_date: '2030-02-01 00:00', end_date: '2030-02-03 00:00', reservations: [onHost('a2'), onHost('a3')],
    }));
  });
  afterAll(async () => { await svc.close(); });

  it('lists every host, with the reservations it is allocated to', async () => {
    expect(await allocations()).toEqual([
      { resource_id: ids.a1, reservations: [entry(l1)] },
      { resource_id: ids.a2, reservations: [entry(l2, 0)] },
      { resource_id: ids.a3, reservations: [entry(l2, 1)] },
      { resource_id: ids.idle, reservations: [] },
    ]);
    expect(entry(l1)).toEqual({ id: expect.any(String), lease_id: l1.id, start_date: '2030-01-01T12:00:00.000000', end_date: '2030-01-02T12:00:00.000000' });
  });

  // As Blazar: a lease or reservation filter still lists every host, those it does not hold with no reservations.
  const only = (held: Record<string, unknown[]>) => ['a1', 'a2', 'a3', 'idle'].map((name) => ({ resource_id: ids[name], reservations: held[name] ?? [] }));

  it('filters by lease_id, listing the other hosts with no reservations', async () => {
    expect(await allocations({ lease_id: l2.id })).toEqual(only({ a2: [entry(l2, 0)], a3: [entry(l2, 1)] }));
    expect(await allocations({ lease_id: l1.id })).toEqual(only({ a1: [entry(l1)] }));
    expect(await allocations({ lease_id: 'no-such-lease' })).toEqual(only({}));
  });

  it('filters by reservation_id', async () => {
    expect(await allocations({ reservation_id: l2.reservations[1].id })).toEqual(only({ a3: [entry(l2, 1)] }));
    expect(await allocations({ reservation_id: 'no-such-reservation' })).toEqual(only({}));
  });

  it('applies both filters together', async () => {
    expect(await allocations({ lease_id: l1.id, reservation_id: l2.reservations[0].id })).toEqual(only({}));
    expect(await allocations({ lease_id: l2.id, reservation_id: l2.reservations[0].id })).toEqual(only({ a2: [entry(l2, 0)] }));
  });

  it.each([
    ['from start', { start: '2030-01-02 11:59' }, { a1: 'l1', a2: 'l2', a3: 'l2' }],
    ['from the end of l1 on (an allocation ending at start is over)', { start: '2030-01-02 12:00' }, { a2: 'l2', a3: 'l2' }],
    ['up to end (an allocation starting at end is not in it)', { end: '2030-02-01 00:00' }, { a1: 'l1' }],
    ['in a range, ISO 8601 with an offset', { start: '2030-01-02T13:00:00+02:00', end: '2030-02-01T01:00:00+01:00' }, { a1: 'l1' }],
    ['in a range holding neither', { start: '2030-01-10 00:00', end: '2030-01-20 00:00' }, {}],
    ['in a range, for one lease', { start: '2030-01-10 00:00', lease_id: 'l2' }, { a2: 'l2', a3: 'l2' }],
  ])('lists the allocations %s', async (_label, query, held) => {
    const leases: Record<string, Lease> = { l1, l2 };
    const q: Record<string, string> = { ...query };
    if (q.lease_id) q.lease_id = leases[q.lease_id].id;
    const expected = Object.fromEntries(Object.entries(held).map(([host, lease]) => [host, [entry(leases[lease], host === 'a3' ? 1 : 0)]]));
    expect(await allocations(q)).toEqual(only(expected));
  });

  it.each([
    [{ start: 'tomorrow' }, 'Invalid query parameter start: tomorrow is an invalid date. Required format: %Y-%m-%d %H:%M'],
    [{ end: '2030-02-30 00:00' }, 'Invalid query parameter end: 2030-02-30 00:00 is an invalid date. Required format: %Y-%m-%d %H:%M'],
    [{ start: '2030-01-02 00:00', end: '2030-01-01 00:00' },
      'Query parameter end (2030-01-01T00:00:00.000Z) must be later than start (2030-01-02T00:00:00.000Z)'],
    [{ start: '2030-01-02 00:00', end: '2030-01-02 00:00' },
      'Query parameter end (2030-01-02T00:00:00.000Z) must be later than start (2030-01-02T00:00:00.000Z)'],
  ])('refuses the range %j with 400', async (query, message) => {
    expectError(await request(svc.app).get('/v1/os-hosts/allocations').query(query), 400, message);
    expectError(await request(svc.app).get(`/v1/os-hosts/${ids.a1}/allocation`).query(query), 400, message);
  });

  it("shows one host's allocation", async () => {
    const res = await request(svc.app).get(`/v1/os-hosts/${ids.a1}/allocation`);
    expect(res.status).toBe(200);
    expectSchema(res.body, 'AllocationEnvelope');
    expect(res.body).toEqual({ allocation: { resource_id: ids.a1, reservations: [entry(l1)] } });
    expect((await request(svc.app).get(`/v1/os-hosts/${ids.idle}/allocation`)).body).toEqual({ allocation: { resource_id: ids.idle, reservations: [] } });
  });

  it("narrows one host's allocation by range, lease and reservation", async () => {
    const one = async (query: Record<string, string>) => (await request(svc.app).get(`/v1/os-hosts/${ids.a2}/allocation`).query(query).expect(200)).body;
    expect(await one({ end: '2030-02-01 00:00' })).toEqual({ allocation: { resource_id: ids.a2, reservations: [] } });
    expect(await one({ start: '2030-02-02 00:00' })).toEqual({ allocation: { resource_id: ids.a2, reservations: [entry(l2, 0)] } });
    expect(await one({ lease_id: l1.id })).toEqual({ allocation: { resource_id: ids.a2, reservations: [] } });
    expect(await one({ reservation_id: l2.reservations[0].id })).toEqual({ allocation: { resource_id: ids.a2, reservations: [entry(l2, 0)] } });
  });

  it.each(['987654', 'a1', 'x y'])("answers 404 for the allocation of host %p", async (id) => {
    expectError(await request(svc.app).get(`/v1/os-hosts/${encodeURIComponent(id)}/allocation`), 404, `Object with {'host_id': '${id}'} not found`);
  });
});

describe.each(DIALECTS)('host allocations over time on %s', (dialect) => {
  let svc: TestService;
  let clock: ManualClock;
  let host: string;
  let ended: Lease;
  let next: Lease;

  const allocations = async (query: Record<string, string> = {}) => {
    const res = await request(svc.app).get('/v1/os-hosts/allocations').query(query);
    expect(res.status).toBe(200);
    return res.body.allocations;
  };
  const entry = (lease: Lease) => ({ id: lease.reservations[0].id, lease_id: lease.id, start_date: lease.start_date, end_date: lease.end_date });

  beforeAll(async () => {
    clock = new ManualClock(new Date('2029-06-01T10:00:00Z'));
    svc = await startTestService({ dialect, clock });
    host = (await createHost(svc.app, { name: 't1' })).id;
    ended = await createLease(svc.app, leaseBody('ended', { start_date: '2029-07-01 00:00', end_date: '2029-07-02 00:00', reservations: [onHost('t1')] }));
    next = await createLease(svc.app, leaseBody('next', { start_date: '2029-09-01 00:00', end_date: '2029-09-02 00:00', reservations: [onHost('t1')] }));
    // Months later: the first lease is long over (its allocation stays on record, as in Blazar).
    clock.set(new Date('2029-08-01T00:00:00Z'));
  });
  afterAll(async () => { await svc.close(); });

  it('lists allocations from now on by default, as Blazar does', async () => {
    expect(await allocations()).toEqual([{ resource_id: host, reservations: [entry(next)] }]);
    expect((await request(svc.app).get(`/v1/os-hosts/${host}/allocation`)).body).toEqual({ allocation: { resource_id: host, reservations: [entry(next)] } });
  });

  it('lists past allocations for a range that reaches back', async () => {
    expect(await allocations({ start: '2029-06-01 00:00' })).toEqual([{ resource_id: host, reservations: [entry(ended), entry(next)] }]);
    expect(await allocations({ start: '2029-06-01 00:00', end: 'now' })).toEqual([{ resource_id: host, reservations: [entry(ended)] }]);
    expect(await allocations({ start: 'now' })).toEqual([{ resource_id: host, reservations: [entry(next)] }]);
  });

  it('lists every allocation of a lease or reservation asked for, ended or not', async () => {
    expect(await allocations({ lease_id: ended.id })).toEqual([{ resource_id: host, reservations: [entry(ended)] }]);
    expect(await allocations({ reservation_id: ended.reservations[0].id })).toEqual([{ resource_id: host, reservations: [entry(ended)] }]);
  });
});
