/**
 * Which leases get a Keystone trust, against a real Keystone (Debian's, Fernet tokens), on SQLite and MariaDB:
 * only those holding a reservation whose plugin acts as the owner (virtual:volume here, virtual:stack alike),
 * the failure paths (Keystone refuses the trust: nothing written; the transaction fails: the trust is deleted),
 * an update that makes a lease act as its owner, and token validation: a burst of requests with one new token
 * costs one Keystone call. Keystone is reached through a counting proxy, so the calls counted are the ones
 * Keystone received.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { DIALECTS } from '../../support/database';
import { startKeystone, KEYSTONE_INSTALL_TIMEOUT_MS, KEYSTONE_START_TIMEOUT_MS, type TestKeystone } from '../../support/keystone';
import { keystoneMode, KeystoneAdmin, login, trustsOf, type Login } from '../../support/keystone-admin';
import { startTestService, type TestService } from '../../support/service';

type Json = Record<string, unknown>;

const PASSWORD = 'pw-for-trust-tests';
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const volumes = (extra: Json = {}): Json => ({ resource_type: 'virtual:volume', amount: 1, size_gb: 10, ...extra });
const hosts = (): Json => ({ resource_type: 'physical:host', min: 1, max: 1, hypervisor_properties: '', resource_properties: '' });
const instances = (): Json => ({ resource_type: 'virtual:instance', amount: 1, vcpus: 1, memory_mb: 512, disk_gb: 1, affinity: false });

/** Forwards HTTP to Keystone and counts what it forwarded, as "METHOD /path". */
async function countingProxy(target: string): Promise<{ url: string; count(prefix: string): number; close(): Promise<void> }> {
  const upstream = new URL(target);
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const forward = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => { res.writeHead(502); res.end(); });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${upstream.pathname}`,
    count: (prefix) => seen.filter((s) => s.startsWith(prefix)).length,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

describe('lease trusts against a real Keystone', () => {
  let keystone: TestKeystone;
  let proxy: Awaited<ReturnType<typeof countingProxy>>;
  let ids: Record<string, string>;
  const tokens: Record<string, Login> = {};

  beforeAll(async () => {
    keystone = await startKeystone({ provider: 'fernet' });
    const admin = await KeystoneAdmin.connect(keystone.url, keystone.adminPassword);
    ids = await admin.createWorld(PASSWORD, [['alice', 'alpha', 'member']]);
    tokens.alice = await login(keystone.url, 'alice', PASSWORD, { project: 'alpha' });
    tokens.admin = await login(keystone.url, 'admin', keystone.adminPassword, { project: 'admin' });
    proxy = await countingProxy(keystone.url);
  }, KEYSTONE_INSTALL_TIMEOUT_MS + KEYSTONE_START_TIMEOUT_MS);

  afterAll(async () => {
    await proxy?.close();
    await keystone?.stop();
  });

  /** Ids of alice's trusts, as Keystone lists them. */
  const aliceTrusts = async () => (await trustsOf(keystone.url, tokens.alice.token, ids.alice)).map((t) => t.id).sort();

  describe.each(DIALECTS)('on %s', (dialect) => {
    let svc: TestService;
    let n = 0;
    const api = () => request(svc.app);
    const as = (who: string) => ({ 'X-Auth-Token': tokens[who].token });
    const leaseBody = (reservations: Json[], name = `${dialect}-${++n}`): Json => {
      const start = Date.now() + 30 * 86_400_000 + n * 7_200_000;
      return { name, start_date: iso(start), end_date: iso(start + 3_600_000), reservations, events: [] };
    };
    const create = async (reservations: Json[], name?: string) => {
      const res = await api().post('/v1/leases').set(as('alice')).send(leaseBody(reservations, name));
      expect({ status: res.status, body: res.status === 201 ? 'created' : res.body }).toEqual({ status: 201, body: 'created' });
      return res.body.lease as Json & { id: string; trust_id: string | null; reservations: (Json & { id: string })[] };
    };
    const leaseCount = async () => (await api().get('/v1/leases').set(as('alice'))).body.leases.length as number;

    beforeAll(async () => {
      svc = await startTestService({
        dialect,
        config: {
          ...keystoneMode(keystone, PASSWORD, { authUrl: proxy.url }),
          manager: { plugins: ['physical:host', 'virtual:instance', 'virtual:volume'] },
        },
      });
      const host = await api().post('/v1/os-hosts').set(as('admin')).send({ name: `${dialect}-h1`, vcpus: 8, memory_mb: 8192, local_gb: 100 });
      expect(host.status).toBe(201);
      const pool = await api().post('/v1/volume-pools').set(as('admin')).send({ name: `ceph@rbd#${dialect}`, capacity_gb: 1000 });
      expect(pool.status).toBe(201);
    }, 120_000);
    afterAll(async () => { await svc?.close(); });

    it('host, instance and action-less volume leases get no trust and no Keystone call; a volume lease gets one', async () => {
      const before = proxy.count('POST /v3/OS-TRUST/trusts');
      for (const reservations of [[], [hosts()], [instances()], [volumes({ on_start: 'none', on_end: 'none' })]]) {
        expect((await create(reservations)).trust_id).toBeNull();
      }
      expect(proxy.count('POST /v3/OS-TRUST/trusts')).toBe(before);

      const lease = await create([hosts(), volumes()]);
      expect(proxy.count('POST /v3/OS-TRUST/trusts')).toBe(before + 1);
      const trust = (await trustsOf(keystone.url, tokens.alice.token, ids.alice)).find((t) => t.id === lease.trust_id);
      expect(trust).toMatchObject({ trustor_user_id: ids.alice, trustee_user_id: ids.climate, project_id: ids.alpha, impersonation: true });
      // Shown as created, and deleted with the lease.
      expect((await api().get(`/v1/leases/${lease.id}`).set(as('alice'))).body.lease.trust_id).toBe(lease.trust_id);
      expect((await api().delete(`/v1/leases/${lease.id}`).set(as('alice'))).status).toBe(204);
      expect(await aliceTrusts()).not.toContain(lease.trust_id);
    });

    it('Keystone refusing the trust: 403 and nothing written', async () => {
      // A token scoped to a trust that allows no redelegation cannot make another trust (Keystone says 403).
      const made = await fetch(`${keystone.url}/OS-TRUST/trusts`, {
        method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Auth-Token': tokens.alice.token },
        body: JSON.stringify({ trust: { trustor_user_id: ids.alice, trustee_user_id: ids.climate, project_id: ids.alpha, impersonation: true, roles: [{ name: 'member' }] } }),
      });
      expect(made.status).toBe(201);
      const plain = ((await made.json()) as { trust: { id: string } }).trust.id;
      const viaTrust = await login(keystone.url, 'climate', PASSWORD, { trustId: plain });
      const [leasesBefore, trustsBefore] = [await leaseCount(), await aliceTrusts()];
      const res = await api().post('/v1/leases').set('X-Auth-Token', viaTrust.token).send(leaseBody([volumes()]));
      expect(res.status).toBe(403);
      expect(res.body.error_message).toMatch(/^Cannot create the Keystone trust .*Keystone refused \(403/);
      expect(await leaseCount()).toBe(leasesBefore);
      expect(await aliceTrusts()).toEqual(trustsBefore);
    });

    it('a transaction that fails (no capacity, duplicate name) or input found bad meanwhile deletes the trust it was given', async () => {
      const kept = await create([volumes()], `${dialect}-taken`);
      const [leasesBefore, trustsBefore] = [await leaseCount(), await aliceTrusts()];
      const posts = proxy.count('POST /v3/OS-TRUST/trusts');
      const deletes = proxy.count('DELETE /v3/OS-TRUST/trusts/');
      const noRoom = await api().post('/v1/leases').set(as('alice')).send(leaseBody([volumes({ size_gb: 5000 })]));
      expect(noRoom.status).toBe(409);
      const duplicate = await api().post('/v1/leases').set(as('alice')).send(leaseBody([volumes()], `${dialect}-taken`));
      expect(duplicate.status).toBe(409);
      const bad = await api().post('/v1/leases').set(as('alice')).send(leaseBody([volumes(), volumes({ amount: 0 })]));
      expect(bad.status).toBe(400);
      // Each was made (with the validation, not after it), and each withdrawn.
      expect(proxy.count('POST /v3/OS-TRUST/trusts') - posts).toBe(3);
      expect(proxy.count('DELETE /v3/OS-TRUST/trusts/') - deletes).toBe(3);
      expect(await leaseCount()).toBe(leasesBefore);
      expect(await aliceTrusts()).toEqual(trustsBefore);
      expect(trustsBefore).toContain(kept.trust_id);
    });

    it('an update that makes a lease act as its owner creates the trust then; it stays until the lease goes', async () => {
      const lease = await create([volumes({ on_start: 'none', on_end: 'none' })]);
      expect(lease.trust_id).toBeNull();
      const reservationId = lease.reservations[0].id;
      // Only the owner can: the trust would be the caller's.
      const byAdmin = await api().put(`/v1/leases/${lease.id}`).set(as('admin')).send({ reservations: [{ id: reservationId, on_start: 'create' }] });
      expect(byAdmin.status).toBe(409);
      expect(byAdmin.body.error_message).toMatch(/only its owner/);
      // A change that needs no trust makes none.
      const renamed = await api().put(`/v1/leases/${lease.id}`).set(as('alice')).send({ name: `${lease.name}-b`, reservations: [{ id: reservationId, amount: 2 }] });
      expect(renamed.status).toBe(200);
      expect(renamed.body.lease.trust_id).toBeNull();

      const updated = await api().put(`/v1/leases/${lease.id}`).set(as('alice')).send({ reservations: [{ id: reservationId, on_start: 'create' }] });
      expect(updated.status).toBe(200);
      const trustId = updated.body.lease.trust_id as string;
      expect(trustId).toMatch(/^[0-9a-f]{32}$/);
      expect(await aliceTrusts()).toContain(trustId);
      expect((await api().get(`/v1/leases/${lease.id}`).set(as('alice'))).body.lease.trust_id).toBe(trustId);

      // No longer needed: kept (withdrawn with the lease), so switching back costs no new trust.
      const back = await api().put(`/v1/leases/${lease.id}`).set(as('alice')).send({ reservations: [{ id: reservationId, on_start: 'none' }] });
      expect(back.body.lease.trust_id).toBe(trustId);
      expect((await api().delete(`/v1/leases/${lease.id}`).set(as('alice'))).status).toBe(204);
      expect(await aliceTrusts()).not.toContain(trustId);
    });

    it('a burst of requests with one new token costs one Keystone validation', async () => {
      const fresh = await login(keystone.url, 'alice', PASSWORD, { project: 'alpha' });
      const before = proxy.count('GET /v3/auth/tokens');
      const answers = await Promise.all(Array.from({ length: 20 }, () => api().get('/v1/leases').set('X-Auth-Token', fresh.token)));
      expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
      expect(proxy.count('GET /v3/auth/tokens') - before).toBe(1);
      // And none for the next one: remembered.
      expect((await api().get('/v1/leases').set('X-Auth-Token', fresh.token)).status).toBe(200);
      expect(proxy.count('GET /v3/auth/tokens') - before).toBe(1);
    });
  });
});
