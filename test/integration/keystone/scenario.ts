/**
 * Climate in keystone mode against a real Keystone (Debian's), once per token provider (jws.test.ts,
 * fernet.test.ts). Two projects, alpha and beta; alice (member) and rita (reader) in alpha, bob (member) in
 * beta, zed (member of alpha, deleted during the tests), the bootstrap admin, and Climate's service user
 * "climate" (role service in project service).
 *
 * Keystone calls are counted by the client's counter (services.keystone.session.calls).
 */
import * as jose from 'jose';
import request from 'supertest';
import { startKeystone, KEYSTONE_INSTALL_TIMEOUT_MS, KEYSTONE_START_TIMEOUT_MS, type TestKeystone, type TokenProvider } from '../../support/keystone';
import { keystoneMode, KeystoneAdmin, login, revokeToken, trustsOf, type Login } from '../../support/keystone-admin';
import { startTestService, type TestService } from '../../support/service';

type Json = Record<string, unknown>;

/** Seconds Climate remembers a validated token in these tests. */
/** Long enough for a busy machine to delete a user and revoke a token inside it (3 s was not). */
const CACHE_SECONDS = 15;
/** Tests that wait for cache entries or tokens to age out. */
const AGEING_TEST_MS = 120_000;
const PASSWORD = 'pw-for-tests';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A reservation whose plugin acts as the lease's owner (virtual:volume): its lease gets a Keystone trust. */
const VOLUMES = [{ resource_type: 'virtual:volume', amount: 1, size_gb: 1 }];

function leaseBody(name: string, extra: Json = {}): Json {
  const day = 86_400_000;
  const start = Math.ceil(Date.now() / day) * day + 30 * day;
  return { name, start_date: iso(start), end_date: iso(start + day), reservations: [], events: [], ...extra };
}

function expectPolicyDenial(res: request.Response, rule: string): void {
  expect({ status: res.status, body: res.body }).toEqual({
    status: 403, body: { error_code: 403, error_message: `Policy doesn't allow ${rule} to be performed.`, error_name: 403 },
  });
}

function expectNotFound(res: request.Response, id: string): void {
  expect(res.status).toBe(404);
  expect(res.body.error_message).toBe(`Object with {'lease_id': '${id}'} not found`);
}

/** The JWS parts of a token, the payload decoded. */
function jwsParts(token: string): { header: string; payload: Json; signature: string } {
  const [header, payload, signature] = token.split('.');
  return { header, payload: JSON.parse(Buffer.from(payload, 'base64url').toString()) as Json, signature };
}
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export function keystoneScenario(provider: TokenProvider): void {
  let keystone: TestKeystone;
  let admin: KeystoneAdmin;
  let svc: TestService;
  let ids: Record<string, string>;
  const tokens: Record<string, Login> = {};

  /** Keystone calls made by Climate so far. */
  const calls = () => svc.services.keystone!.session.calls.total;
  const as = (who: string) => ({ 'X-Auth-Token': tokens[who].token });
  const api = () => request(svc.app);

  beforeAll(async () => {
    keystone = await startKeystone({ provider });
    admin = await KeystoneAdmin.connect(keystone.url, keystone.adminPassword);
    ids = await admin.createWorld(PASSWORD, [
      ['alice', 'alpha', 'member'], ['rita', 'alpha', 'reader'], ['bob', 'beta', 'member'], ['zed', 'alpha', 'member'],
    ]);
    tokens.alice = await login(keystone.url, 'alice', PASSWORD, { project: 'alpha' });
    tokens.rita = await login(keystone.url, 'rita', PASSWORD, { project: 'alpha' });
    tokens.bob = await login(keystone.url, 'bob', PASSWORD, { project: 'beta' });
    tokens.admin = await login(keystone.url, 'admin', keystone.adminPassword, { project: 'admin' });
    svc = await startTestService({
      manager: true,
      config: {
        ...keystoneMode(keystone, PASSWORD, { tokenCacheTimeMs: CACHE_SECONDS * 1000 }),
        manager: { pollIntervalMs: 200, minutesBeforeEndLease: 0, plugins: ['physical:host', 'virtual:volume'] },
      },
    });
    const pool = await request(svc.app).post('/v1/volume-pools').set('X-Auth-Token', tokens.admin.token).send({ name: 'ceph@rbd#ks', capacity_gb: 1000 });
    if (pool.status !== 201) throw new Error(`volume pool: ${pool.status} ${JSON.stringify(pool.body)}`);
  }, KEYSTONE_INSTALL_TIMEOUT_MS + KEYSTONE_START_TIMEOUT_MS);

  afterAll(async () => {
    await svc?.close();
    await keystone?.stop();
  });

  it(`issues ${provider} tokens`, () => {
    expect(/^eyJ/.test(tokens.alice.token)).toBe(provider === 'jws');
  });

  it('refuses a request without a token: 401, WWW-Authenticate naming Keystone, JSON body', async () => {
    const res = await api().get('/v1/leases');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe(`Keystone uri="${keystone.url}"`);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({ error_code: 401, error_message: expect.stringContaining('X-Auth-Token'), error_name: 401 });
  });

  it('refuses garbage tokens without asking Keystone', async () => {
    const before = calls();
    for (const token of ['garbage', 'a.b.c', 'gAAAAA', 'x'.repeat(10_000), `${tokens.alice.token}x`.replace(/^eyJ/, 'zzz')]) {
      const res = await api().get('/v1/leases').set('X-Auth-Token', token);
      expect({ token: token.slice(0, 20), status: res.status }).toEqual({ token: token.slice(0, 20), status: 401 });
      expect(res.headers['www-authenticate']).toBe(`Keystone uri="${keystone.url}"`);
    }
    expect(calls()).toBe(before);
  });

  describe('leases and projects', () => {
    let aliceLease: Json;

    it('a lease that does not act as its owner (hosts, or nothing yet) gets no trust: no Keystone call', async () => {
      const trustCalls = () => svc.services.keystone!.session.calls.byOperation.create_trust ?? 0;
      const before = trustCalls();
      const res = await api().post('/v1/leases').set(as('bob')).send(leaseBody('beta-no-trust'));
      expect(res.status).toBe(201);
      expect(res.body.lease).toMatchObject({ project_id: ids.beta, trust_id: null });
      expect(trustCalls()).toBe(before);
      expect((await api().delete(`/v1/leases/${res.body.lease.id}`).set(as('bob'))).status).toBe(204);
    });

    it('a member creates a volume lease in their project, and Climate holds a trust from them for it', async () => {
      const res = await api().post('/v1/leases').set(as('alice')).send(leaseBody('alpha-1', { reservations: VOLUMES }));
      expect(res.status).toBe(201);
      aliceLease = res.body.lease;
      expect(aliceLease).toMatchObject({ project_id: ids.alpha, user_id: ids.alice, trust_id: expect.stringMatching(/^[0-9a-f]{32}$/) });
      const trusts = await trustsOf(keystone.url, tokens.alice.token, ids.alice);
      const trust = trusts.find((t) => t.id === aliceLease.trust_id);
      expect(trust).toMatchObject({ trustor_user_id: ids.alice, trustee_user_id: ids.climate, project_id: ids.alpha, impersonation: true });
      expect(trust!.roles.map((r) => r.name)).toContain('member');
      // The trust works: Climate gets a token acting as alice in alpha.
      const scoped = await svc.services.keystone!.trusts.tokenFor(String(aliceLease.trust_id));
      expect(scoped).toMatchObject({ userId: ids.alice, projectId: ids.alpha });
      expect(scoped.roles).toContain('member');
    });

    it('the member lists, shows, updates and deletes their own leases; deleting removes the trust', async () => {
      const list = await api().get('/v1/leases').set(as('alice'));
      expect(list.status).toBe(200);
      expect(list.body.leases.map((l: Json) => l.id)).toEqual([aliceLease.id]);
      expect((await api().get(`/v1/leases/${aliceLease.id}`).set(as('alice'))).body.lease.name).toBe('alpha-1');
      const renamed = await api().put(`/v1/leases/${aliceLease.id}`).set(as('alice')).send({ name: 'alpha-1b' });
      expect(renamed.status).toBe(200);
      expect(renamed.body.lease.name).toBe('alpha-1b');

      const second = (await api().post('/v1/leases').set(as('alice')).send(leaseBody('alpha-2', { reservations: VOLUMES }))).body.lease as Json;
      expect(second.trust_id).toBeTruthy();
      expect((await trustsOf(keystone.url, tokens.alice.token, ids.alice)).map((t) => t.id)).toContain(second.trust_id);
      expect((await api().delete(`/v1/leases/${second.id}`).set(as('alice'))).status).toBe(204);
      expect((await trustsOf(keystone.url, tokens.alice.token, ids.alice)).map((t) => t.id)).not.toContain(second.trust_id);
      expect((await trustsOf(keystone.url, tokens.alice.token, ids.alice)).map((t) => t.id)).toContain(aliceLease.trust_id);
    });

    it('a reader reads the project\'s leases but may not create, change or delete them', async () => {
      const list = await api().get('/v1/leases').set(as('rita'));
      expect(list.status).toBe(200);
      expect(list.body.leases.map((l: Json) => l.id)).toEqual([aliceLease.id]);
      expect((await api().get(`/v1/leases/${aliceLease.id}`).set(as('rita'))).status).toBe(200);
      expectPolicyDenial(await api().post('/v1/leases').set(as('rita')).send(leaseBody('by-reader')), 'climate:leases:post');
      expectPolicyDenial(await api().put(`/v1/leases/${aliceLease.id}`).set(as('rita')).send({ name: 'x' }), 'climate:leases:put');
      expectPolicyDenial(await api().delete(`/v1/leases/${aliceLease.id}`).set(as('rita')), 'climate:leases:delete');
      expect((await api().get(`/v1/leases/${aliceLease.id}`).set(as('alice'))).body.lease.name).toBe('alpha-1b');
    });

    it('another project can neither see, change nor delete the lease (404)', async () => {
      const bobLease = (await api().post('/v1/leases').set(as('bob')).send(leaseBody('beta-1'))).body.lease as Json;
      expect(bobLease.project_id).toBe(ids.beta);
      const list = await api().get('/v1/leases').set(as('bob'));
      expect(list.body.leases.map((l: Json) => l.id)).toEqual([bobLease.id]);
      // Asking for project alpha's leases by query does not widen what a non-admin sees.
      const asked = await api().get('/v1/leases').query({ project_id: ids.alpha }).set(as('bob'));
      expect(asked.body.leases.map((l: Json) => l.id)).toEqual([bobLease.id]);
      const id = String(aliceLease.id);
      expectNotFound(await api().get(`/v1/leases/${id}`).set(as('bob')), id);
      expectNotFound(await api().put(`/v1/leases/${id}`).set(as('bob')).send({ name: 'stolen' }), id);
      expectNotFound(await api().delete(`/v1/leases/${id}`).set(as('bob')), id);
      // and the other way round
      expectNotFound(await api().get(`/v1/leases/${bobLease.id}`).set(as('rita')), String(bobLease.id));
      expectNotFound(await api().delete(`/v1/leases/${bobLease.id}`).set(as('alice')), String(bobLease.id));
      expect((await api().get(`/v1/leases/${id}`).set(as('alice'))).body.lease.name).toBe('alpha-1b');
    });

    it('an admin sees every project\'s leases and manages hosts; others get 403 on hosts', async () => {
      const all = await api().get('/v1/leases').set(as('admin'));
      expect(all.status).toBe(200);
      expect(new Set(all.body.leases.map((l: Json) => l.project_id))).toEqual(new Set([ids.alpha, ids.beta]));
      expect((await api().get(`/v1/leases/${aliceLease.id}`).set(as('admin'))).status).toBe(200);
      const host = await api().post('/v1/os-hosts').set(as('admin')).send({ name: 'compute-ks', vcpus: 4, memory_mb: 4096, local_gb: 10 });
      expect(host.status).toBe(201);
      expect((await api().get('/v1/os-hosts').set(as('admin'))).body.hosts.map((h: Json) => h.hypervisor_hostname)).toEqual(['compute-ks']);
      expectPolicyDenial(await api().get('/v1/os-hosts').set(as('alice')), 'climate:oshosts:get');
      expectPolicyDenial(await api().get('/v1/os-hosts').set(as('rita')), 'climate:oshosts:get');
      expectPolicyDenial(await api().post('/v1/os-hosts').set(as('bob')).send({ name: 'compute-2' }), 'climate:oshosts:post');
      expectPolicyDenial(await api().delete(`/v1/os-hosts/${host.body.host.id}`).set(as('alice')), 'climate:oshosts:delete');
      expectPolicyDenial(await api().get('/v1/os-hosts/allocations').set(as('bob')), 'climate:oshosts:get_allocations');
      expectPolicyDenial(await api().get('/v1/floatingips').set(as('alice')), 'climate:floatingips:get');
      expect((await api().delete(`/v1/os-hosts/${host.body.host.id}`).set(as('admin'))).status).toBe(204);
    });

    it('a token scoped to a trust that allows no redelegation cannot delegate: lease create fails with a clear 403', async () => {
      // Lease trusts allow redelegation (Heat builds on them); a trust alice made without it does not.
      const made = await fetch(`${keystone.url}/OS-TRUST/trusts`, {
        method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Auth-Token': tokens.alice.token },
        body: JSON.stringify({ trust: { trustor_user_id: ids.alice, trustee_user_id: ids.climate, project_id: ids.alpha, impersonation: true, roles: [{ name: 'member' }] } }),
      });
      expect(made.status).toBe(201);
      const plainTrust = ((await made.json()) as { trust: { id: string } }).trust.id;
      const trustToken = await login(keystone.url, 'climate', PASSWORD, { trustId: plainTrust });
      const before = (await api().get('/v1/leases').set(as('alice'))).body.leases.length;
      const res = await api().post('/v1/leases').set('X-Auth-Token', trustToken.token).send(leaseBody('via-trust', { reservations: VOLUMES }));
      expect(res.status).toBe(403);
      expect(res.body.error_message).toMatch(/Cannot create the Keystone trust .*Keystone refused \(403/);
      expect((await api().get('/v1/leases').set(as('alice'))).body.leases.length).toBe(before);
    });

    it('a lease\'s trust is deleted when the lease ends', async () => {
      const now = Date.now();
      const res = await api().post('/v1/leases').set(as('alice')).send({ name: 'short', start_date: 'now', end_date: iso(now + 4000), reservations: VOLUMES });
      expect(res.status).toBe(201);
      const lease = res.body.lease as Json;
      expect((await trustsOf(keystone.url, tokens.alice.token, ids.alice)).map((t) => t.id)).toContain(lease.trust_id);
      let status = '';
      for (let i = 0; i < 60 && status !== 'TERMINATED'; i++) {
        await sleep(250);
        status = (await api().get(`/v1/leases/${lease.id}`).set(as('alice'))).body.lease.status;
      }
      expect(status).toBe('TERMINATED');
      let remaining = [lease.trust_id];
      for (let i = 0; i < 20 && remaining.includes(lease.trust_id); i++) {
        remaining = (await trustsOf(keystone.url, tokens.alice.token, ids.alice)).map((t) => t.id);
        if (remaining.includes(lease.trust_id)) await sleep(250);
      }
      expect(remaining).not.toContain(lease.trust_id);
      expect(remaining).toContain(aliceLease.trust_id);
    });
  });

  describe('token validation', () => {
    it(`keeps a validated token for token_cache_time (${CACHE_SECONDS} s), then asks Keystone again`, async () => {
      const fresh = await login(keystone.url, 'alice', PASSWORD, { project: 'alpha' });
      const before = svc.services.keystone!.session.calls.byOperation.validate_token ?? 0;
      const validations = () => (svc.services.keystone!.session.calls.byOperation.validate_token ?? 0) - before;
      expect((await api().get('/v1/leases').set('X-Auth-Token', fresh.token)).status).toBe(200);
      const validatedAt = Date.now();
      for (let i = 0; i < 4; i++) expect((await api().get('/v1/leases').set('X-Auth-Token', fresh.token)).status).toBe(200);
      expect(validations()).toBe(1);
      await sleep(Math.max(0, validatedAt + CACHE_SECONDS * 1000 + 200 - Date.now()));
      expect((await api().get('/v1/leases').set('X-Auth-Token', fresh.token)).status).toBe(200);
      expect(validations()).toBe(2);
    }, AGEING_TEST_MS);

    it('gives handlers the caller\'s identity, roles and catalog', async () => {
      const validator = svc.services.keystone!.validator!;
      const identity = await validator.validate(tokens.rita.token);
      expect(identity).toMatchObject({
        userId: ids.rita, userName: 'rita', projectId: ids.alpha, projectName: 'alpha', isAdmin: false,
        userDomainId: 'default', projectDomainId: 'default',
      });
      expect(identity.roles).toEqual(['reader']);
      expect(identity.catalog?.map((e) => e.type)).toContain('identity');
      expect((await validator.validate(tokens.admin.token)).isAdmin).toBe(true);
    });

    it('refuses a deleted user\'s token, and a revoked token, once their cache entries age out', async () => {
      const zed = await login(keystone.url, 'zed', PASSWORD, { project: 'alpha' });
      const revoked = await login(keystone.url, 'alice', PASSWORD, { project: 'alpha' });
      for (const t of [zed, revoked]) expect((await api().get('/v1/leases').set('X-Auth-Token', t.token)).status).toBe(200);
      const validatedAt = Date.now();
      await admin.deleteUser(ids.zed);
      await revokeToken(keystone.url, revoked.token);
      // Still remembered as valid...
      for (const t of [zed, revoked]) expect((await api().get('/v1/leases').set('X-Auth-Token', t.token)).status).toBe(200);
      await sleep(Math.max(0, validatedAt + CACHE_SECONDS * 1000 + 200 - Date.now()));
      // ...until the entries age out: Keystone then says the tokens are no longer valid.
      for (const t of [zed, revoked]) {
        const res = await api().get('/v1/leases').set('X-Auth-Token', t.token);
        expect(res.status).toBe(401);
        expect(res.headers['www-authenticate']).toBe(`Keystone uri="${keystone.url}"`);
        expect(res.body.error_message).toBe('The token is not valid (unknown to Keystone, expired or revoked)');
      }
    }, AGEING_TEST_MS);

    if (provider === 'jws') {
      it('refuses tampered, unsigned, forged and expired JWS tokens without asking Keystone', async () => {
        // Long enough to be used once on a busy machine (2 s was not), short enough to wait out below.
        const short = await keystone.startShortLived(10);
        const expiring = await login(short.url, 'alice', PASSWORD, { project: 'alpha' });
        await short.stop();
        // Genuine and not yet expired: accepted (one validation call).
        expect((await api().get('/v1/leases').set('X-Auth-Token', expiring.token)).status).toBe(200);

        const { header, payload, signature } = jwsParts(tokens.alice.token);
        const tampered = `${header}.${b64({ ...payload, openstack_project_id: ids.beta })}.${signature}`;
        const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`;
        const otherKey = await jose.generateKeyPair('ES256');
        const forged = await new jose.SignJWT(payload as jose.JWTPayload).setProtectedHeader({ alg: 'ES256', typ: 'JWT' }).sign(otherKey.privateKey);
        const hs256 = await new jose.SignJWT(payload as jose.JWTPayload).setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
          .sign(new TextEncoder().encode('a shared secret that nobody has'));
        await sleep(Math.max(0, Date.parse(expiring.body.expires_at) + 1100 - Date.now()));

        const before = calls();
        const cases: [string, string, RegExp][] = [
          ['tampered', tampered, /signature/], ['unsigned', unsigned, /not signed with ES256/], ['forged', forged, /signature/],
          ['HS256', hs256, /not signed with ES256/], ['expired', expiring.token, /expired/],
        ];
        for (const [name, token, message] of cases) {
          const res = await api().get('/v1/leases').set('X-Auth-Token', token);
          expect({ name, status: res.status }).toEqual({ name, status: 401 });
          expect(res.body.error_message).toMatch(message);
          expect(res.headers['www-authenticate']).toBe(`Keystone uri="${keystone.url}"`);
        }
        expect(calls()).toBe(before);
        // The genuine token still works, and the refusals left no trace in the cache.
        expect((await api().get('/v1/leases').set(as('alice'))).status).toBe(200);
      }, AGEING_TEST_MS);
    } else {
      it('refuses expired Fernet tokens (Keystone says so)', async () => {
        // Long enough to be used once on a busy machine (2 s was not), short enough to wait out below.
        const short = await keystone.startShortLived(10);
        const expiring = await login(short.url, 'alice', PASSWORD, { project: 'alpha' });
        await short.stop();
        expect((await api().get('/v1/leases').set('X-Auth-Token', expiring.token)).status).toBe(200);
        await sleep(Math.max(0, Date.parse(expiring.body.expires_at) + 1100 - Date.now()));
        const res = await api().get('/v1/leases').set('X-Auth-Token', expiring.token);
        expect(res.status).toBe(401);
        expect(res.body.error_message).toMatch(/expired/);
      });
    }
  });

  describe('Keystone down', () => {
    it('answers 503 with a clear message for tokens it has not seen, and keeps serving cached ones', async () => {
      const cached = await login(keystone.url, 'alice', PASSWORD, { project: 'alpha' });
      const unseen = await login(keystone.url, 'bob', PASSWORD, { project: 'beta' });
      expect((await api().get('/v1/leases').set('X-Auth-Token', cached.token)).status).toBe(200);
      await keystone.stop();
      expect((await api().get('/v1/leases').set('X-Auth-Token', cached.token)).status).toBe(200);
      const res = await api().get('/v1/leases').set('X-Auth-Token', unseen.token);
      expect(res.status).toBe(503);
      expect(res.body).toEqual({
        error_code: 503, error_name: 503,
        error_message: expect.stringMatching(/^The identity service \(Keystone at http:\/\/127\.0\.0\.1:\d+\/v3\) did not answer/),
      });
      // The API process is still up.
      expect((await api().get('/')).status).toBe(300);
    });
  });
}
