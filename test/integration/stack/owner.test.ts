/**
 * Whom Heat sees: with Keystone, every stack call carries a token scoped to the lease's trust (acting as the
 * owner, in the owner's project), renewed when Heat refuses it; and on_start / on_end = none, where the lease
 * runs its course and its notifications go out but no stack is made or removed.
 */
import request from 'supertest';
import { DIALECTS } from '../../support/database';
import { ADMIN_CTX, expectNothingLeft, stackWorld, userContext, type StackWorld } from './world';

jest.setTimeout(60_000);

describe('stack calls act as the lease owner (Keystone trusts)', () => {
  let w: StackWorld;
  beforeEach(async () => { w = await stackWorld({ keystone: true }); });
  afterEach(async () => { await w.close(); });

  it('creates, watches and deletes the stack with the owner\'s trust-scoped token', async () => {
    const keystone = w.keystone!;
    const alice = userContext(keystone);
    const lease = await w.svc.services.leases.create(alice, w.lease('trusted'));
    const trustId = lease.trust_id as string;
    expect(keystone.trusts.get(trustId)).toMatchObject({ trustorUserId: 'alice', projectId: 'p1' });
    await w.svc.services.runner.runDueOnce();
    expect((await w.svc.services.leases.get(ADMIN_CTX, lease.id)).status).toBe('ACTIVE');
    expect(w.heat.live()[0]).toMatchObject({ projectId: 'p1', status: 'CREATE_COMPLETE' });
    // Heat made its own trust from the lease trust's token: a redelegation, which the lease trust allows.
    expect([...keystone.trusts.values()].find((t) => t.trusteeUserId === 'heat')).toMatchObject({ trustorUserId: 'alice', redelegatedTrustId: trustId });
    await w.end();
    expect((await w.svc.services.leases.get(ADMIN_CTX, lease.id)).status).toBe('TERMINATED');
    expect(w.heat.live()).toEqual([]);

    // Every call Heat got: a token Keystone issued for the lease's trust, acting as alice in p1.
    expect(w.heat.requests.length).toBeGreaterThanOrEqual(5);
    for (const r of w.heat.requests) {
      const token = keystone.tokens.get(r.headers['x-auth-token'] as string);
      expect(token).toMatchObject({ trustId, userId: 'alice', projectId: 'p1' });
    }
    expect(new Set(w.heat.requests.map((r) => r.route))).toEqual(new Set(['GET /stacks', 'POST /stacks', 'GET /stacks/{name}/{id}', 'DELETE /stacks/{name}/{id}']));
  });

  it('a trust token Heat refuses is replaced by a fresh one', async () => {
    const keystone = w.keystone!;
    const lease = await w.svc.services.leases.create(userContext(keystone), w.lease('renewed'));
    // Heat refuses the first token it sees (revoked early), accepts any other.
    let refused: string | undefined;
    w.heat.acceptTokens = (token) => {
      refused ??= token;
      return token !== refused;
    };
    await w.svc.services.runner.runDueOnce();
    expect((await w.svc.services.leases.get(ADMIN_CTX, lease.id)).status).toBe('ACTIVE');
    const tokens = new Set(w.heat.requests.map((r) => r.headers['x-auth-token']));
    expect(tokens.size).toBe(2);
    expect(keystone.count('POST /auth/tokens')).toBeGreaterThanOrEqual(3);
  });
});

describe.each(DIALECTS)('on_start / on_end = none for stacks on %s', (dialect) => {
  let w: StackWorld;
  beforeEach(async () => { w = await stackWorld({ dialect }); });
  afterEach(async () => { await w.close(); });

  it('on_start none: no stack, yet the lease is ACTIVE, its notifications go out and the slots are held', async () => {
    const res = await request(w.svc.app).post('/v1/leases').send(w.lease('manual', { on_start: 'none', on_end: 'none', parameters: { size: 8 } }));
    expect(res.status).toBe(201);
    const leaseId = res.body.lease.id as string;
    const rid = res.body.lease.reservations[0].id as string;
    expect(res.body.lease.reservations[0]).toMatchObject({ on_start: 'none', on_end: 'none', amount: 8 });
    await w.svc.services.runner.runDueOnce();
    const active = await w.svc.services.leases.get(ADMIN_CTX, leaseId);
    expect(active.status).toBe('ACTIVE');
    expect(active.reservations[0]).toMatchObject({ stack_id: null, stack_status: null });
    expect(w.heat.requests).toEqual([]);
    expect(w.fake.flavors.has(rid)).toBe(false);
    // The capacity is held all the same.
    const more = await request(w.svc.app).post('/v1/leases').send(w.lease('other', { parameters: { size: 1 } }));
    expect(more.status).toBe(409);

    await w.end();
    expect((await w.svc.services.leases.get(ADMIN_CTX, leaseId)).status).toBe('TERMINATED');
    expect(w.heat.requests).toEqual([]);
    const types = (await w.notifications(leaseId)).map((n) => n.type);
    expect(types).toEqual(['lease.create', 'lease.event.start_lease', 'lease.event.end_lease']);
    expectNothingLeft(w, rid);
  });

  it('on_end none: the stack is made at start and left in place at end', async () => {
    const lease = await w.svc.services.leases.create(ADMIN_CTX, w.lease('kept', { on_end: 'none' }));
    await w.svc.services.runner.runDueOnce();
    expect(w.heat.live()).toHaveLength(1);
    await w.end();
    expect((await w.svc.services.leases.get(ADMIN_CTX, lease.id)).status).toBe('TERMINATED');
    expect(w.heat.live().map((s) => s.status)).toEqual(['CREATE_COMPLETE']);
    expect(w.heat.calls('DELETE /stacks/{name}/{id}')).toEqual([]);
  });
});
