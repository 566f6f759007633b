/** GET /v1/leases: filters, pages, and what each project may see (also on show, update and delete). */
import request from 'supertest';
import { ManualClock } from '../../src/common';
import { DIALECTS } from '../support/database';
import { startTestService, type TestService } from '../support/service';
import { createLease, expectError, expectSchema, leaseBody, member, type Lease } from './helpers';

const A = member('proj-a');
const B = member('proj-b');

describe.each(DIALECTS)('lease list on %s', (dialect) => {
  let svc: TestService;
  let clock: ManualClock;
  const ids: Record<string, string> = {};

  const list = async (query: Record<string, string | number> = {}, headers: Record<string, string> = {}) => {
    const res = await request(svc.app).get('/v1/leases').query(query).set(headers);
    expect(res.status).toBe(200);
    expectSchema(res.body, 'LeaseList');
    return res.body as { leases: Lease[]; leases_links?: { rel: string; href: string }[] };
  };
  const names = (leases: Lease[]) => leases.map((l) => l.name);

  beforeAll(async () => {
    clock = new ManualClock(new Date('2029-06-01T10:00:00Z'));
    svc = await startTestService({ dialect, clock });
    // One second apart, so creation order is unambiguous.
    for (const [name, who] of [['a1', A], ['b1', B], ['a2', A], ['b2', B]] as const) {
      ids[name] = (await createLease(svc.app, leaseBody(name), who)).id;
      clock.advance(1000);
    }
    // a3 starts now; running its start event makes it ACTIVE.
    ids.a3 = (await createLease(svc.app, { name: 'a3', start_date: 'now', end_date: '2029-06-02 10:00' }, A)).id;
    clock.advance(1000);
    expect(await svc.services.runner.runDueOnce()).toBeGreaterThan(0);
  });
  afterAll(async () => { await svc.close(); });

  it('shows an admin every lease, oldest first', async () => {
    expect(names((await list()).leases)).toEqual(['a1', 'b1', 'a2', 'b2', 'a3']);
  });

  it('filters by status', async () => {
    expect(names((await list({ status: 'ACTIVE' })).leases)).toEqual(['a3']);
    expect(names((await list({ status: 'PENDING' })).leases)).toEqual(['a1', 'b1', 'a2', 'b2']);
    expect((await list({ status: 'TERMINATED' })).leases).toEqual([]);
    expectError(await request(svc.app).get('/v1/leases?status=BOGUS'), 400, /status/);
  });

  it('filters by name', async () => {
    expect(names((await list({ name: 'a2' })).leases)).toEqual(['a2']);
    expect((await list({ name: 'a' })).leases).toEqual([]);
  });

  it('filters by project_id for admins', async () => {
    expect(names((await list({ project_id: 'proj-b' })).leases)).toEqual(['b1', 'b2']);
    expect(names((await list({ project_id: 'proj-a', status: 'PENDING' })).leases)).toEqual(['a1', 'a2']);
  });

  it("shows a member only its project's leases, whatever project_id it asks for", async () => {
    expect(names((await list({}, A)).leases)).toEqual(['a1', 'a2', 'a3']);
    expect(names((await list({ project_id: 'proj-b' }, A)).leases)).toEqual(['a1', 'a2', 'a3']);
    expect(names((await list({}, B)).leases)).toEqual(['b1', 'b2']);
    expect((await list({}, member('proj-empty'))).leases).toEqual([]);
  });

  it("answers 404 to a member asking for another project's lease, on show, update and delete", async () => {
    const message = `Object with {'lease_id': '${ids.b1}'} not found`;
    expectError(await request(svc.app).get(`/v1/leases/${ids.b1}`).set(A), 404, message);
    expectError(await request(svc.app).put(`/v1/leases/${ids.b1}`).set(A).send({ name: 'stolen' }), 404, message);
    expectError(await request(svc.app).delete(`/v1/leases/${ids.b1}`).set(A), 404, message);
    const untouched = await request(svc.app).get(`/v1/leases/${ids.b1}`).set(B);
    expect(untouched.status).toBe(200);
    expect(untouched.body.lease.name).toBe('b1');
    expect((await request(svc.app).get(`/v1/leases/${ids.a1}`).set(A)).status).toBe(200);
    expect((await request(svc.app).get(`/v1/leases/${ids.b1}`)).status).toBe(200);
  });

  it('pages with limit and marker, and the next link works when followed', async () => {
    const seen: string[] = [];
    let page = await list({ limit: 2 });
    const pages = [names(page.leases)];
    seen.push(...names(page.leases));
    while (page.leases_links) {
      expect(page.leases_links).toEqual([{ rel: 'next', href: expect.stringMatching(/\/v1\/leases\?/) }]);
      const next = new URL(page.leases_links[0].href);
      expect(next.searchParams.get('limit')).toBe('2');
      expect(next.searchParams.get('marker')).toBe(page.leases[page.leases.length - 1].id);
      const res = await request(svc.app).get(`${next.pathname}${next.search}`);
      expect(res.status).toBe(200);
      page = res.body;
      pages.push(names(page.leases));
      seen.push(...names(page.leases));
    }
    expect(pages).toEqual([['a1', 'b1'], ['a2', 'b2'], ['a3']]);
    expect(seen).toEqual(names((await list()).leases));
  });

  it('keeps the filters in the next link', async () => {
    const first = await list({ status: 'PENDING', limit: 3 });
    expect(names(first.leases)).toEqual(['a1', 'b1', 'a2']);
    const next = new URL(first.leases_links![0].href);
    expect(next.searchParams.get('status')).toBe('PENDING');
    const second = await request(svc.app).get(`${next.pathname}${next.search}`);
    expect(names(second.body.leases)).toEqual(['b2']);
    expect(second.body.leases_links).toBeUndefined();
  });

  it('pages within what a member may see', async () => {
    const first = await list({ limit: 1 }, A);
    expect(names(first.leases)).toEqual(['a1']);
    const next = new URL(first.leases_links![0].href);
    const second = await request(svc.app).get(`${next.pathname}${next.search}`).set(A);
    expect(names(second.body.leases)).toEqual(['a2']);
  });

  it('has no next link when the page holds the rest', async () => {
    const all = await list({ limit: 5 });
    expect(all.leases).toHaveLength(5);
    expect(all.leases_links).toBeUndefined();
    const tail = await list({ limit: 10, marker: ids.b2 });
    expect(names(tail.leases)).toEqual(['a3']);
    expect(tail.leases_links).toBeUndefined();
  });

  it.each([
    ['an unknown marker', { marker: 'no-such-lease' }, {}, /marker/],
    ["another project's lease as marker", { marker: 'B1' }, A, /marker/],
    ['limit 0', { limit: '0' }, {}, /limit/],
    ['a negative limit', { limit: '-1' }, {}, /limit/],
    ['a non-numeric limit', { limit: 'ten' }, {}, /limit/],
  ])('refuses %s with 400', async (_label, query, headers, message) => {
    const q = { ...query } as Record<string, string>;
    if (q.marker === 'B1') q.marker = ids.b1;
    expectError(await request(svc.app).get('/v1/leases').query(q).set(headers), 400, message);
  });
});
