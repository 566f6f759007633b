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
    expect(alloc.body.allocations.map((a: { resource_id: string }) => a.resource_id)).toHaveLength(1);
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

  it('filters by lease_id', async () => {
    expect(await allocations({ lease_id: l2.id })).toEqual([
      { resource_id: ids.a2, reservations: [entry(l2, 0)] },
      { resource_id: ids.a3, reservations: [entry(l2, 1)] },
    ]);
    expect(await allocations({ lease_id: l1.id })).toEqual([{ resource_id: ids.a1, reservations: [entry(l1)] }]);
    expect(await allocations({ lease_id: 'no-such-lease' })).toEqual([]);
  });

  it('filters by reservation_id', async () => {
    expect(await allocations({ reservation_id: l2.reservations[1].id })).toEqual([{ resource_id: ids.a3, reservations: [entry(l2, 1)] }]);
    expect(await allocations({ reservation_id: 'no-such-reservation' })).toEqual([]);
  });

  it('applies both filters together', async () => {
    expect(await allocations({ lease_id: l1.id, reservation_id: l2.reservations[0].id })).toEqual([]);
    expect(await allocations({ lease_id: l2.id, reservation_id: l2.reservations[0].id })).toEqual([{ resource_id: ids.a2, reservations: [entry(l2, 0)] }]);
  });

  it("shows one host's allocation", async () => {
    const res = await request(svc.app).get(`/v1/os-hosts/${ids.a1}/allocation`);
    expect(res.status).toBe(200);
    expectSchema(res.body, 'AllocationEnvelope');
    expect(res.body).toEqual({ allocation: { resource_id: ids.a1, reservations: [entry(l1)] } });
    expect((await request(svc.app).get(`/v1/os-hosts/${ids.idle}/allocation`)).body).toEqual({ allocation: { resource_id: ids.idle, reservations: [] } });
  });

  it.each(['987654', 'a1', 'x y'])("answers 404 for the allocation of host %p", async (id) => {
    expectError(await request(svc.app).get(`/v1/os-hosts/${encodeURIComponent(id)}/allocation`), 404, `Object with {'host_id': '${id}'} not found`);
  });
});
