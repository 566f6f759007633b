/**
 * Identity in noauth mode (issue 12, item 17): the headers a caller sends, and what it is when it sends only
 * some of them. A request that names a project but no user must not be recorded as the configured admin user.
 */
import request from 'supertest';
import { startTestService, type TestService } from '../support/service';
import { createHost, hostReservation, leaseBody } from './helpers';

describe('noauth identity', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ config: { default: { noauth: { userId: 'the-admin', projectId: 'admin', roles: ['admin'] } } } });
    for (const name of ['n1', 'n2', 'n3', 'n4']) await createHost(svc.app, { name });
  });
  afterAll(async () => { await svc.close(); });

  const create = (name: string, headers: Record<string, string>) => request(svc.app).post('/v1/leases').set(headers)
    .send(leaseBody(name, { reservations: [hostReservation()] }));

  it('a project without a user gets a user of that project, not the admin', async () => {
    const res = await create('project-only', { 'X-Project-Id': 'demo', 'X-Roles': 'member' });
    expect(res.status).toBe(201);
    expect(res.body.lease).toMatchObject({ project_id: 'demo', user_id: 'user-of-demo' });
    expect(res.body.lease.user_id).not.toBe('the-admin');
    // The same project gets the same user on every request: it sees and owns what it created.
    const listed = await request(svc.app).get('/v1/leases').set({ 'X-Project-Id': 'demo', 'X-Roles': 'member' });
    expect(listed.body.leases.map((l: { name: string; user_id: string }) => [l.name, l.user_id])).toEqual([['project-only', 'user-of-demo']]);
  });

  it('X-Tenant-Id (the older header) counts as the project', async () => {
    const res = await create('tenant-only', { 'X-Tenant-Id': 'other', 'X-Roles': 'member' });
    expect(res.status).toBe(201);
    expect(res.body.lease).toMatchObject({ project_id: 'other', user_id: 'user-of-other' });
  });

  it('a user sent with the project is kept; no identity headers at all is the configured admin', async () => {
    const named = await create('named', { 'X-User-Id': 'alice', 'X-Project-Id': 'demo', 'X-Roles': 'member' });
    expect(named.body.lease).toMatchObject({ project_id: 'demo', user_id: 'alice' });
    const bare = await create('bare', {});
    expect(bare.status).toBe(201);
    expect(bare.body.lease).toMatchObject({ project_id: 'admin', user_id: 'the-admin' });
  });
});
