/** /v1/volume-pools: admin CRUD, validation, admin-only policy, and the 409s when reservations use a pool. */
import request from 'supertest';
import { DIALECTS } from '../support/database';
import { startTestService, type TestService } from '../support/service';
import { createLease, expectError, expectSchema, leaseBody, member } from './helpers';

const volumes = (overrides: Record<string, unknown> = {}) => ({ resource_type: 'virtual:volume', amount: 2, size_gb: 100, ...overrides });

describe.each(DIALECTS)('volume pools on %s', (dialect) => {
  let svc: TestService;
  let n = 0;
  const pool = async (body: Record<string, unknown> = {}) => {
    const res = await request(svc.app).post('/v1/volume-pools').send({ name: `ceph@rbd#pool-${++n}`, capacity_gb: 1000, ...body });
    expect(res.status).toBe(201);
    expectSchema(res.body, 'VolumePoolEnvelope');
    return res.body.volume_pool as Record<string, unknown> & { id: string };
  };

  beforeAll(async () => { svc = await startTestService({ dialect, config: { manager: { plugins: ['physical:host', 'virtual:volume'] } } }); });
  afterAll(async () => { await svc.close(); });

  it('creates, lists, shows, resizes and deletes a pool', async () => {
    const created = await request(svc.app).post('/v1/volume-pools').send({ name: 'ceph@rbd#pool', capacity_gb: 10000, volume_type: 'ceph' });
    expect(created.status).toBe(201);
    const p = created.body.volume_pool;
    expect(p).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: 'ceph@rbd#pool', capacity_gb: 10000, volume_type: 'ceph',
      created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/), updated_at: null,
    });
    const list = await request(svc.app).get('/v1/volume-pools');
    expect(list.status).toBe(200);
    expectSchema(list.body, 'VolumePoolList');
    expect(list.body.volume_pools).toContainEqual(p);
    expect((await request(svc.app).get(`/v1/volume-pools/${p.id}`)).body).toEqual({ volume_pool: p });

    const resized = await request(svc.app).put(`/v1/volume-pools/${p.id}`).send({ capacity_gb: 20000 });
    expect(resized.status).toBe(200);
    expect(resized.body.volume_pool).toMatchObject({ id: p.id, capacity_gb: 20000, updated_at: expect.any(String) });

    expect((await request(svc.app).delete(`/v1/volume-pools/${p.id}`)).status).toBe(204);
    expectError(await request(svc.app).get(`/v1/volume-pools/${p.id}`), 404, `Object with {'volume_pool_id': '${p.id}'} not found`);
    expectError(await request(svc.app).delete(`/v1/volume-pools/${p.id}`), 404);
    expectError(await request(svc.app).put(`/v1/volume-pools/${p.id}`).send({ capacity_gb: 5 }), 404);
  });

  it('refuses bad bodies with 400 and duplicate names with 409', async () => {
    const p = await pool();
    expectError(await request(svc.app).post('/v1/volume-pools').send({ name: p.name, capacity_gb: 5 }), 409, new RegExp(String(p.name).replace(/[#@]/g, '.')));
    for (const body of [{ capacity_gb: 5 }, { name: 'x' }, { name: 'x', capacity_gb: 0 }, { name: 'x', capacity_gb: 1.5 }, { name: 'x', capacity_gb: 5, size: 1 }, { name: '', capacity_gb: 5 }]) {
      expectError(await request(svc.app).post('/v1/volume-pools').send(body), 400);
    }
    expectError(await request(svc.app).put(`/v1/volume-pools/${p.id}`).send({ name: 'other' }), 400);
    expectError(await request(svc.app).put(`/v1/volume-pools/${p.id}`).send({ capacity_gb: -1 }), 400);
  });

  it('is admin-only', async () => {
    const p = await pool();
    for (const [method, path] of [['get', '/v1/volume-pools'], ['get', `/v1/volume-pools/${p.id}`], ['post', '/v1/volume-pools'],
      ['put', `/v1/volume-pools/${p.id}`], ['delete', `/v1/volume-pools/${p.id}`]] as const) {
      const res = await request(svc.app)[method](path).set(member('p1')).send(method === 'put' ? { capacity_gb: 1 } : { name: 'y', capacity_gb: 1 });
      expectError(res, 403);
    }
  });

  it('answers 405 with Allow for other methods', async () => {
    const res = await request(svc.app).patch('/v1/volume-pools');
    expect(res.status).toBe(405);
  });

  it('refuses delete and a capacity cut below what reservations hold now or later with 409; allows them once clear', async () => {
    const p = await pool({ capacity_gb: 300, volume_type: 'only-here' });
    const lease = await createLease(svc.app, leaseBody('uses-pool', { reservations: [volumes({ volume_type: 'only-here' })] }));
    expectError(await request(svc.app).delete(`/v1/volume-pools/${p.id}`), 409, /used by 1 reservation/);
    expectError(await request(svc.app).put(`/v1/volume-pools/${p.id}`).send({ capacity_gb: 199 }), 409, /hold up to 200 GiB/);
    expect((await request(svc.app).put(`/v1/volume-pools/${p.id}`).send({ capacity_gb: 200 })).status).toBe(200);
    expect((await request(svc.app).delete(`/v1/leases/${lease.id}`)).status).toBe(204);
    expect((await request(svc.app).delete(`/v1/volume-pools/${p.id}`)).status).toBe(204);
  });
});
