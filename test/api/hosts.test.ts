/** /v1/os-hosts: registration, extra capabilities, changes guarded by reservations, deletion, policy. */
import request from 'supertest';
import { ManualClock } from '../../src/common';
import { DIALECTS } from '../support/database';
import { startTestService, type TestService } from '../support/service';
import { createHost, createLease, expectError, expectSchema, hostReservation, leaseBody, member, TIMESTAMP } from './helpers';

describe.each(DIALECTS)('hosts on %s', (dialect) => {
  let svc: TestService;
  let clock: ManualClock;
  const get = (id: string) => request(svc.app).get(`/v1/os-hosts/${id}`);
  const put = (id: string, body: Record<string, unknown>) => request(svc.app).put(`/v1/os-hosts/${id}`).send(body);

  beforeAll(async () => {
    clock = new ManualClock(new Date('2029-06-01T10:00:00Z'));
    svc = await startTestService({ dialect, clock });
  });
  afterAll(async () => { await svc.close(); });

  describe('registration', () => {
    it('stores typed extra capabilities as strings, the way Heat sends them', async () => {
      const res = await request(svc.app).post('/v1/os-hosts').send({
        name: 'compute-1', vcpus: 16, memory_mb: 65536, local_gb: 500, hypervisor_type: 'QEMU', cpu_info: '{"arch": "x86_64"}',
        gpu: true, ssd: false, ram_gb: 16, ratio: 1.5, label: 'fast', constructor: 'not special',
      });
      expect(res.status).toBe(201);
      expectSchema(res.body, 'HostEnvelope');
      expect(res.body.host).toEqual({
        id: expect.stringMatching(/^[0-9]+$/),
        hypervisor_hostname: 'compute-1',
        hypervisor_type: 'QEMU',
        hypervisor_version: null,
        vcpus: 16,
        cpu_info: '{"arch": "x86_64"}',
        memory_mb: 65536,
        local_gb: 500,
        service_name: null,
        availability_zone: null,
        status: null,
        reservable: true,
        trust_id: null,
        created_at: '2029-06-01 10:00:00',
        updated_at: null,
        gpu: 'True',
        ssd: 'False',
        ram_gb: '16',
        ratio: '1.5',
        label: 'fast',
        constructor: 'not special',
        // The same again as one map, for Heat's OS::Blazar::Host attribute.
        extra_capability: { gpu: 'True', ssd: 'False', ram_gb: '16', ratio: '1.5', label: 'fast', constructor: 'not special' },
      });
    });

    it('takes capability keys of 64 characters and refuses longer ones', async () => {
      const ok = await request(svc.app).post('/v1/os-hosts').send({ name: 'long-key-ok', ['k'.repeat(64)]: 'v' });
      expect(ok.status).toBe(201);
      expect(ok.body.host['k'.repeat(64)]).toBe('v');
      expectError(await request(svc.app).post('/v1/os-hosts').send({ name: 'long-key', ['k'.repeat(65)]: 'v' }), 400, 'Extra capability key too long');
      expectError(await put(ok.body.host.id, { ['k'.repeat(65)]: 'v' }), 400, 'Extra capability key too long');
      expect((await request(svc.app).get('/v1/os-hosts')).body.hosts.map((h: { hypervisor_hostname: string }) => h.hypervisor_hostname))
        .not.toContain('long-key');
    });

    it('refuses a second host of the same name with 409', async () => {
      await createHost(svc.app, { name: 'twin' });
      expectError(await request(svc.app).post('/v1/os-hosts').send({ name: 'twin', gpu: 'True' }), 409, /twin/);
      const twins = (await request(svc.app).get('/v1/os-hosts')).body.hosts.filter((h: { hypervisor_hostname: string }) => h.hypervisor_hostname === 'twin');
      expect(twins).toHaveLength(1);
      expect(twins[0].gpu).toBeUndefined();
    });

    it.each([
      ['no name', {}, /name/],
      ['a capability that shadows a host field', { name: 'shadow', status: 'x' }, /status/],
      ['a name longer than a hostname column', { name: 'n'.repeat(256) }, /name/],
      ['vcpus beyond an integer column', { name: 'big', vcpus: 2 ** 31 }, /vcpus/],
    ])('refuses %s with 400', async (_label, body, message) => {
      expectError(await request(svc.app).post('/v1/os-hosts').send(body), 400, message);
    });
  });

  describe('list and show', () => {
    it('lists hosts with numeric string ids and their capabilities; show gives the same host', async () => {
      const created = await createHost(svc.app, { name: 'listed', vcpus: 2, zone: 'a' });
      const list = await request(svc.app).get('/v1/os-hosts');
      expect(list.status).toBe(200);
      expectSchema(list.body, 'HostList');
      for (const host of list.body.hosts) expect(host.id).toMatch(/^[0-9]+$/);
      const listed = list.body.hosts.find((h: { id: string }) => h.id === created.id);
      expect(listed).toEqual(created);
      const shown = await get(created.id);
      expect(shown.status).toBe(200);
      expect(shown.body).toEqual({ host: created });
    });

    it.each(['listed', 'abc', '1.0', '-1', '0x1'])('answers 404 for the non-numeric id %p (clients look names up themselves)', async (id) => {
      expectError(await get(id), 404, `Object with {'host_id': '${id}'} not found`);
    });

    it('answers 404 for an unknown numeric id', async () => {
      expectError(await get('999999'), 404, "Object with {'host_id': '999999'} not found");
    });
  });

  describe('capability changes', () => {
    it('sets, changes and removes (null) capabilities', async () => {
      const host = await createHost(svc.app, { name: 'mutable', gpu: 'True', label: 'old', keep: 'me' });
      clock.advance(60_000);
      const res = await put(host.id, { label: 'new', added: 4, gpu: false, keep: 'me' });
      expect(res.status).toBe(200);
      expect(res.body.host).toMatchObject({ label: 'new', added: '4', gpu: 'False', keep: 'me', updated_at: '2029-06-01 10:01:00' });
      expect(res.body.host.updated_at).toMatch(TIMESTAMP);
      const removed = await put(host.id, { label: null });
      expect(removed.status).toBe(200);
      expect(removed.body.host).not.toHaveProperty('label');
      expect((await get(host.id)).body.host).toEqual(removed.body.host);
      expect((await get(host.id)).body.host).toMatchObject({ added: '4', gpu: 'False', keep: 'me' });
    });

    it.each([
      ['a registration field', { vcpus: 8 }],
      ['the name', { name: 'renamed' }],
      ['a host column', { reservable: 'False' }],
    ])('refuses to change %s through PUT (400)', async (_label, body) => {
      const host = await createHost(svc.app, { name: `fixed-${Object.keys(body)[0]}`, vcpus: 2 });
      expectError(await put(host.id, body), 400, /not an extra capability/);
      expect((await get(host.id)).body.host).toEqual(host);
    });

    it('answers 404 for PUT on an unknown or non-numeric id', async () => {
      expectError(await put('424242', { a: 'b' }), 404, "Object with {'host_id': '424242'} not found");
      expectError(await put('mutable', { a: 'b' }), 404, "Object with {'host_id': 'mutable'} not found");
    });

    describe('on a host a pending reservation relies on', () => {
      let host: Record<string, string>;
      beforeAll(async () => {
        host = await createHost(svc.app, { name: 'gpu-node', gpu: 'True', cores: '32' });
        await createLease(svc.app, leaseBody('needs-gpu', {
          start_date: '2030-05-01 00:00', end_date: '2030-05-02 00:00',
          reservations: [hostReservation({ resource_properties: '["and", ["==", "$gpu", "True"], [">=", "$cores", "16"]]' })],
        }));
      });

      it.each([
        ['a value the filter no longer matches', { gpu: 'False' }],
        ['removing a capability the filter needs', { gpu: null }],
        ['a number below the bound', { cores: '8' }],
        ['a harmless change together with a breaking one', { colour: 'blue', cores: 4 }],
      ])('refuses %s with 409 and changes nothing', async (_label, body) => {
        const before = (await get(host.id)).body;
        expectError(await put(host.id, body), 409, /reservation .* holds it/);
        expect((await get(host.id)).body).toEqual(before);
      });

      it('allows changes the filter does not care about, or that still match', async () => {
        const res = await put(host.id, { colour: 'red', cores: '64', gpu: 'True' });
        expect(res.status).toBe(200);
        expect(res.body.host).toMatchObject({ colour: 'red', cores: '64', gpu: 'True' });
      });
    });
  });

  describe('deletion', () => {
    it('refuses to delete a host with a future allocation (409), and deletes a free one (204)', async () => {
      const busy = await createHost(svc.app, { name: 'busy' });
      const free = await createHost(svc.app, { name: 'free' });
      await createLease(svc.app, leaseBody('on-busy', {
        start_date: '2030-07-01 00:00', end_date: '2030-07-02 00:00',
        reservations: [hostReservation({ hypervisor_properties: '["==", "$hypervisor_hostname", "busy"]' })],
      }));
      expectError(await request(svc.app).delete(`/v1/os-hosts/${busy.id}`), 409, /allocated to current or future leases/);
      expect((await get(busy.id)).status).toBe(200);
      const res = await request(svc.app).delete(`/v1/os-hosts/${free.id}`);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expectError(await get(free.id), 404);
      expectError(await request(svc.app).delete(`/v1/os-hosts/${free.id}`), 404);
    });

    it('deletes a host whose leases are over', async () => {
      const host = await createHost(svc.app, { name: 'retired' });
      const start = clock.now();
      const lease = await createLease(svc.app, {
        name: 'short', start_date: 'now', end_date: new Date(start.getTime() + 3_600_000).toISOString().slice(0, 16).replace('T', ' '),
        reservations: [hostReservation({ hypervisor_properties: '["==", "$hypervisor_hostname", "retired"]' })],
      });
      expectError(await request(svc.app).delete(`/v1/os-hosts/${host.id}`), 409);
      clock.advance(2 * 3_600_000);
      expect((await request(svc.app).delete(`/v1/os-hosts/${host.id}`)).status).toBe(204);
      expect((await request(svc.app).get(`/v1/leases/${lease.id}`)).status).toBe(200);
    });
  });

  describe('policy', () => {
    it.each([
      ['get', '/v1/os-hosts', 'climate:oshosts:get'],
      ['get', '/v1/os-hosts/1', 'climate:oshosts:get'],
      ['post', '/v1/os-hosts', 'climate:oshosts:post'],
      ['put', '/v1/os-hosts/1', 'climate:oshosts:put'],
      ['delete', '/v1/os-hosts/1', 'climate:oshosts:delete'],
      ['get', '/v1/os-hosts/allocations', 'climate:oshosts:get_allocations'],
      ['get', '/v1/os-hosts/1/allocation', 'climate:oshosts:get_allocations'],
      ['get', '/v1/os-hosts/properties', 'climate:oshosts:get_resource_properties'],
      ['patch', '/v1/os-hosts/properties/gpu', 'climate:oshosts:update_resource_properties'],
    ] as const)('refuses a member %s %s with 403 naming %s', async (method, path, rule) => {
      const before = (await request(svc.app).get('/v1/os-hosts')).body;
      const body = method === 'post' ? { name: 'by-member' } : method === 'patch' ? { private: true } : { gpu: 'False' };
      const res = await request(svc.app)[method](path).set(member('tenant')).send(method === 'get' || method === 'delete' ? undefined : body);
      expectError(res, 403, `Policy doesn't allow ${rule} to be performed.`);
      expect((await request(svc.app).get('/v1/os-hosts')).body).toEqual(before);
    });
  });
});
