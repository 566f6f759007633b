/**
 * The API with authentication plugged in: keystone mode against the fake Keystone (exact control over failures),
 * noauth mode with roles from X-Roles, and policy overrides from [oslo_policy] policy_file.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { buildServices } from '../../../src/cli/services';
import { silentLogger } from '../../../src/common';
import { configWith } from '../../../src/config';
import { FakeKeystone } from '../../support/keystone-fake';
import { startTestService, type TestService } from '../../support/service';

const lease = (name: string, reservations: Record<string, unknown>[] = []) =>
  ({ name, start_date: '2031-01-01 12:00', end_date: '2031-01-02 12:00', reservations, events: [] });
/** A reservation whose plugin acts as the lease's owner: its lease gets a trust. */
const volumes = (extra: Record<string, unknown> = {}) => ({ resource_type: 'virtual:volume', amount: 1, size_gb: 10, ...extra });
const fernet = (n: number) => Buffer.concat([Buffer.from([0x80]), Buffer.alloc(8 + 16 + 16 + 32, n)]).toString('base64url');

describe('keystone mode (fake Keystone)', () => {
  let fake: FakeKeystone;
  let svc: TestService;
  const alice = fernet(1);
  const reader = fernet(2);
  const admin = fernet(3);

  beforeAll(async () => {
    fake = await new FakeKeystone().start();
    fake.addToken(alice, { userId: 'alice', projectId: 'alpha', roles: ['member', 'reader'] });
    fake.addToken(reader, { userId: 'rita', projectId: 'alpha', roles: ['reader'] });
    fake.addToken(admin, { userId: 'root', projectId: 'admin', roles: ['admin', 'member', 'reader'] });
    svc = await startTestService({
      config: {
        default: { authStrategy: 'keystone' },
        keystoneAuthtoken: { authUrl: fake.url, wwwAuthenticateUri: 'https://keystone.example/', username: 'climate', password: 'secret', projectName: 'service' },
        manager: { plugins: ['physical:host', 'virtual:volume'] },
      },
    });
    const pool = await request(svc.app).post('/v1/volume-pools').set('X-Auth-Token', admin).send({ name: 'ceph@rbd#pool', capacity_gb: 1000 });
    expect(pool.status).toBe(201);
  });
  afterAll(async () => {
    await svc?.close();
    await fake.stop();
  });

  it('sends clients to www_authenticate_uri when refusing', async () => {
    for (const res of [await request(svc.app).get('/v1/leases'), await request(svc.app).get('/v1/leases').set('X-Auth-Token', fernet(9))]) {
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Keystone uri="https://keystone.example/"');
      expect(res.body).toEqual({ error_code: 401, error_message: expect.any(String), error_name: 401 });
    }
  });

  it('leaves version discovery open', async () => {
    expect((await request(svc.app).get('/')).status).toBe(300);
    expect((await request(svc.app).get('/v1')).status).toBe(200);
  });

  it('refuses before reading the body', async () => {
    const res = await request(svc.app).post('/v1/leases').set('Content-Type', 'application/json').send('{not json');
    expect(res.status).toBe(401);
  });

  it('a lease whose reservations act with Climate\'s own token gets no trust: no Keystone call', async () => {
    const before = fake.count('POST /OS-TRUST');
    for (const [name, reservations] of [['none', []], ['no-actions', [volumes({ on_start: 'none', on_end: 'none' })]]] as const) {
      const created = await request(svc.app).post('/v1/leases').set('X-Auth-Token', alice).send(lease(name, [...reservations]));
      expect(created.status).toBe(201);
      expect(created.body.lease.trust_id).toBeNull();
      expect((await request(svc.app).delete(`/v1/leases/${created.body.lease.id}`).set('X-Auth-Token', alice)).status).toBe(204);
    }
    expect(fake.count('POST /OS-TRUST')).toBe(before);
    expect(fake.count('DELETE /OS-TRUST')).toBe(0);
  });

  it('creates a trust for a lease that acts as its owner, and withdraws it when the transaction fails', async () => {
    const created = await request(svc.app).post('/v1/leases').set('X-Auth-Token', alice).send(lease('one', [volumes()]));
    expect(created.status).toBe(201);
    expect(fake.trusts.get(created.body.lease.trust_id)).toMatchObject({ trustorUserId: 'alice', projectId: 'alpha', impersonation: true });
    const duplicate = await request(svc.app).post('/v1/leases').set('X-Auth-Token', alice).send(lease('one', [volumes()]));
    expect(duplicate.status).toBe(409);
    const tooBig = await request(svc.app).post('/v1/leases').set('X-Auth-Token', alice).send(lease('too-big', [volumes({ size_gb: 5000 })]));
    expect(tooBig.status).toBe(409);
    // Bad input found while the trust was being made: it is withdrawn too.
    const invalid = await request(svc.app).post('/v1/leases').set('X-Auth-Token', alice).send(lease('bad', [volumes({ amount: 0 })]));
    expect(invalid.status).toBe(400);
    expect([...fake.trusts.keys()]).toEqual([created.body.lease.trust_id]);
    expect(fake.count('DELETE /OS-TRUST/trusts/')).toBe(3);
    expect((await request(svc.app).delete(`/v1/leases/${created.body.lease.id}`).set('X-Auth-Token', alice)).status).toBe(204);
    expect(fake.trusts.size).toBe(0);
  });

  it('writes nothing when Keystone will not create the trust', async () => {
    const listed = async () => (await request(svc.app).get('/v1/leases').set('X-Auth-Token', alice)).body.leases.length;
    const before = await listed();
    fake.failures.push(403);
    const refused = await request(svc.app).post('/v1/leases').set('X-Auth-Token', alice).send(lease('refused', [volumes()]));
    expect(refused.status).toBe(403);
    expect(refused.body.error_message).toMatch(/^Cannot create the Keystone trust/);
    fake.failures.push(503);
    const down = await request(svc.app).post('/v1/leases').set('X-Auth-Token', alice).send(lease('down', [volumes()]));
    expect(down.status).toBe(503);
    expect(await listed()).toBe(before);
    expect(fake.trusts.size).toBe(0);
  });

  it('refuses a reader\'s create before any trust is made', async () => {
    const before = fake.count('POST /OS-TRUST');
    const res = await request(svc.app).post('/v1/leases').set('X-Auth-Token', reader).send(lease('by-reader', [volumes()]));
    expect(res.status).toBe(403);
    expect(fake.count('POST /OS-TRUST')).toBe(before);
  });

  it('an admin deleting someone else\'s lease still removes its trust', async () => {
    const created = (await request(svc.app).post('/v1/leases').set('X-Auth-Token', alice).send(lease('two', [volumes()]))).body.lease;
    expect(created.trust_id).toEqual(expect.any(String));
    expect((await request(svc.app).delete(`/v1/leases/${created.id}`).set('X-Auth-Token', admin)).status).toBe(204);
    expect(fake.trusts.has(created.trust_id)).toBe(false);
  });

  it('answers 503 (not a crash) when Keystone is down, for tokens not in the cache', async () => {
    const cachedToken = fernet(4);
    fake.addToken(cachedToken, { userId: 'alice', projectId: 'alpha', roles: ['reader'] });
    expect((await request(svc.app).get('/v1/leases').set('X-Auth-Token', cachedToken)).status).toBe(200);
    await fake.stop();
    try {
      const res = await request(svc.app).get('/v1/leases').set('X-Auth-Token', fernet(5));
      expect(res.status).toBe(503);
      expect(res.body.error_message).toMatch(/^The identity service \(Keystone at http:\/\/127\.0\.0\.1:\d+\/v3\) did not answer \(validate_token\)/);
      expect((await request(svc.app).get('/v1/leases').set('X-Auth-Token', cachedToken)).status).toBe(200);
    } finally {
      await fake.start();
    }
  });
});

describe('noauth mode', () => {
  let svc: TestService;
  beforeAll(async () => { svc = await startTestService(); });
  afterAll(async () => svc?.close());

  const as = (roles: string, project = 'p1') => ({ 'X-User-Id': `u-${project}`, 'X-Project-Id': project, 'X-Roles': roles });

  it('applies the same rules with roles from X-Roles', async () => {
    expect((await request(svc.app).post('/v1/leases').set(as('reader')).send(lease('r'))).status).toBe(403);
    const created = await request(svc.app).post('/v1/leases').set(as('member')).send(lease('m'));
    expect(created.status).toBe(201);
    expect(created.body.lease.trust_id).toBeNull();
    expect((await request(svc.app).get(`/v1/leases/${created.body.lease.id}`).set(as('reader'))).status).toBe(200);
    expect((await request(svc.app).put(`/v1/leases/${created.body.lease.id}`).set(as('reader')).send({ name: 'x' })).status).toBe(403);
    expect((await request(svc.app).get(`/v1/leases/${created.body.lease.id}`).set(as('member', 'p2'))).status).toBe(404);
    expect((await request(svc.app).get('/v1/leases').set(as('', 'p2'))).status).toBe(200); // no X-Roles value: the defaults (admin)
    expect((await request(svc.app).get('/v1/os-hosts')).status).toBe(200); // no headers: admin by default
    expect((await request(svc.app).get('/v1/os-hosts').set(as('member'))).status).toBe(403);
  });
});

describe('[oslo_policy] policy_file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'climate-policy-file-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('overrides the defaults for the running API', async () => {
    const file = path.join(dir, 'policy.yaml');
    fs.writeFileSync(file, '"climate:oshosts:get": "role:admin or role:operator"\n"climate:leases:post": "role:admin"\n');
    const svc = await startTestService({ config: { osloPolicy: { policyFile: file } } });
    try {
      const operator = { 'X-User-Id': 'o', 'X-Project-Id': 'p', 'X-Roles': 'operator' };
      expect((await request(svc.app).get('/v1/os-hosts').set(operator)).status).toBe(200);
      const res = await request(svc.app).post('/v1/leases').set({ ...operator, 'X-Roles': 'member' }).send(lease('m'));
      expect(res.body.error_message).toBe("Policy doesn't allow climate:leases:post to be performed.");
    } finally {
      await svc.close();
    }
  });

  it('refuses to start with a policy file it cannot use', async () => {
    const file = path.join(dir, 'broken.yaml');
    fs.writeFileSync(file, '"climate:oshosts:get": "role:admin or"\n');
    // Checked before the database is opened: nothing to clean up.
    const build = (policyFile: string) => buildServices(configWith({ osloPolicy: { policyFile }, database: { connection: 'sqlite://' } }), { logger: silentLogger });
    await expect(build(file)).rejects.toThrow(/broken\.yaml: rule "climate:oshosts:get"/);
    await expect(build(path.join(dir, 'absent.yaml'))).rejects.toThrow(/absent\.yaml: not found/);
  });
});
