/**
 * virtual:volume in keystone mode: the volumes are made with the lease owner's trust-scoped token, so that a
 * Cinder behind Keystone (the fake, given the fake Keystone's tokens) puts them in the owner's project; the
 * detach at the end (Nova's) goes with the service token; a trust token Cinder refuses is replaced once without
 * touching the service token. A lease without a trust is served with the service token.
 */
import request from 'supertest';
import { ManualClock } from '../../../src/common';
import { FakeCinder } from '../../fakes/cinder';
import { FakeNovaPlacement } from '../../fakes/nova-placement';
import { FakeKeystone } from '../../support/keystone-fake';
import { startTestService, type TestService } from '../../support/service';
import { ADMIN_CTX } from '../nova/world';

jest.setTimeout(60_000);

const fernet = (n: number) => Buffer.concat([Buffer.from([0x80]), Buffer.alloc(8 + 16 + 16 + 32, n)]).toString('base64url');
const ALICE = fernet(1);
const ADMIN = fernet(3);

describe('virtual:volume in the owner\'s project (keystone mode)', () => {
  let keystone: FakeKeystone;
  let nova: FakeNovaPlacement;
  let cinder: FakeCinder;
  let svc: TestService;
  let clock: ManualClock;

  beforeEach(async () => {
    keystone = await new FakeKeystone().start();
    keystone.addToken(ALICE, { userId: 'alice', projectId: 'alpha', roles: ['member', 'reader'] });
    keystone.addToken(ADMIN, { userId: 'root', projectId: 'admin', roles: ['admin', 'member', 'reader'] });
    nova = await new FakeNovaPlacement().start();
    nova.addAggregate('freepool');
    cinder = await new FakeCinder().start();
    // Cinder behind the same Keystone; Climate's service user is an admin there, as deployments make it.
    cinder.tokenScope = (token) => {
      const t = keystone.tokens.get(token);
      return t?.projectId ? { projectId: t.projectId, admin: t.roles.includes('admin') || t.roles.includes('service') } : undefined;
    };
    clock = new ManualClock(new Date('2030-01-01T12:00:00Z'));
    svc = await startTestService({
      clock,
      config: {
        default: { authStrategy: 'keystone' },
        keystoneAuthtoken: { authUrl: keystone.url, username: 'climate', password: 'secret', projectName: 'service' },
        compute: { driver: 'nova' },
        manager: { plugins: ['physical:host', 'virtual:volume'], eventMaxRetries: 3, eventRetryDelayMs: 1000, minutesBeforeEndLease: 0 },
        nova: {
          endpointOverride: nova.novaUrl, requestTimeoutMs: 2000, requestRetries: 1, retryDelayMs: 5, instanceDeleteTimeoutMs: 5000,
          reconcileIntervalMs: 0,
        },
        placement: { endpointOverride: nova.placementUrl },
        cinder: { endpointOverride: cinder.endpoint },
      },
    });
    await request(svc.app).post('/v1/volume-pools').set('X-Auth-Token', ADMIN).send({ name: 'ceph@rbd#pool', capacity_gb: 1000 }).expect(201);
  });
  afterEach(async () => {
    await svc.close();
    await cinder.stop();
    await nova.stop();
    await keystone.stop();
  });

  const lease = (name: string) => ({
    name, start_date: 'now', end_date: '2030-01-01 13:00',
    reservations: [{ resource_type: 'virtual:volume', amount: 2, size_gb: 10 }],
  });
  const run = async () => svc.services.runner.runDueOnce();
  const end = async () => {
    clock.set(new Date('2030-01-01T13:00:00Z'));
    await run();
  };
  const get = async (id: string) => (await request(svc.app).get(`/v1/leases/${id}`).set('X-Auth-Token', ALICE)).body.lease;
  /** The trust a token sent to Cinder is scoped to (undefined: not a trust token). */
  const trustOf = (token: unknown) => keystone.tokens.get(String(token))?.trustId;
  const serviceToken = async () => (await svc.services.keystone!.session.serviceToken()).token;

  it('makes the volumes in the owner\'s project with the lease\'s trust, and deletes them with it', async () => {
    const created = await request(svc.app).post('/v1/leases').set('X-Auth-Token', ALICE).send(lease('mine'));
    expect(created.status).toBe(201);
    const trustId = created.body.lease.trust_id as string;
    expect(keystone.trusts.get(trustId)).toMatchObject({ trustorUserId: 'alice', projectId: 'alpha' });
    await run();
    const active = await get(created.body.lease.id);
    expect(active.status).toBe('ACTIVE');
    const volumes = cinder.live();
    expect(volumes.map((v) => v.projectId)).toEqual(['alpha', 'alpha']);
    expect(volumes.map((v) => v.id).sort()).toEqual([...active.reservations[0].volume_ids].sort());
    // Every call of the start acted as alice through the trust; none sent the admin-only filters.
    expect(cinder.requests.length).toBeGreaterThan(2);
    expect(cinder.requests.map((r) => trustOf(r.headers['x-auth-token']))).toEqual(cinder.requests.map(() => trustId));
    expect(cinder.calls('GET /volumes/detail').map((r) => r.path)).toEqual([expect.not.stringMatching(/all_tenants|project_id/)]);

    // At the end one volume is attached to a server: Nova detaches it, asked with the service user's token; the
    // Cinder calls are alice's.
    const server = nova.addServer('compute-1', { tenantId: 'alpha' });
    nova.detachVolume = (serverId, volumeId) => cinder.detach(serverId, volumeId);
    cinder.attach(volumes[0].id, server.id);
    const seen = cinder.requests.length;
    await end();
    expect((await svc.services.leases.get(ADMIN_CTX, created.body.lease.id)).status).toBe('TERMINATED');
    expect(cinder.live()).toEqual([]);
    const detach = nova.calls('DELETE /servers/{id}/os-volume_attachments/{id}');
    expect(detach.map((r) => r.headers['x-auth-token'])).toEqual([await serviceToken()]);
    const others = cinder.requests.slice(seen);
    expect(others.map((r) => r.route)).toEqual(expect.arrayContaining(['GET /volumes/detail', 'DELETE /volumes/{id}']));
    expect(others.map((r) => trustOf(r.headers['x-auth-token']))).toEqual(others.map(() => trustId));
    // The trust is withdrawn once the lease has ended.
    expect(keystone.trusts.has(trustId)).toBe(false);
  });

  it('a trust token Cinder no longer accepts is replaced once; the service token is left alone', async () => {
    const created = await request(svc.app).post('/v1/leases').set('X-Auth-Token', ALICE).send(lease('revoked'));
    await run();
    expect((await get(created.body.lease.id)).status).toBe('ACTIVE');
    const before = await serviceToken();
    const first = String(cinder.calls('POST /volumes')[0].headers['x-auth-token']);
    keystone.tokens.delete(first); // revoked before its expiry
    const seen = cinder.requests.length;
    await end();
    expect((await svc.services.leases.get(ADMIN_CTX, created.body.lease.id)).status).toBe('TERMINATED');
    expect(cinder.live()).toEqual([]);
    const after = cinder.requests.slice(seen);
    expect(after[0].headers['x-auth-token']).toBe(first);
    const renewed = after[1].headers['x-auth-token'];
    expect(renewed).not.toBe(first);
    expect(trustOf(renewed)).toBe(created.body.lease.trust_id);
    expect(await serviceToken()).toBe(before);
  });

  it('a lease without a trust is served with the service token (its volumes land in the service project)', async () => {
    // Created by Climate itself, without a user token to delegate: as in noauth mode.
    const own = await svc.services.leases.create(ADMIN_CTX, lease('no-trust'));
    expect(own.trust_id).toBeNull();
    await run();
    expect((await svc.services.leases.get(ADMIN_CTX, own.id)).status).toBe('ACTIVE');
    const token = await serviceToken();
    expect(cinder.calls('POST /volumes').map((r) => r.headers['x-auth-token'])).toEqual([token, token]);
    expect(cinder.live().map((v) => v.projectId)).toEqual(['service-project-id', 'service-project-id']);
  });
});
