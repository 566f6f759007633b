/** /v1/floatingips: create, list, show, delete, duplicates and bad addresses. */
import request from 'supertest';
import { DIALECTS } from '../support/database';
import { startTestService, type TestService } from '../support/service';
import { expectError, expectSchema, member } from './helpers';

const NET = '5e2b3d0c-8f7a-4a7e-9b39-6c1f4b5d2e10';
const OTHER_NET = '0a1b2c3d4e5f40718293a4b5c6d7e8f9';

describe.each(DIALECTS)('floating IPs on %s', (dialect) => {
  let svc: TestService;
  const list = async () => {
    const res = await request(svc.app).get('/v1/floatingips');
    expect(res.status).toBe(200);
    expectSchema(res.body, 'FloatingIPList');
    return res.body.floatingips as Record<string, unknown>[];
  };

  beforeAll(async () => { svc = await startTestService({ dialect }); });
  afterAll(async () => { await svc.close(); });

  it('creates, lists, shows and deletes a floating IP', async () => {
    const created = await request(svc.app).post('/v1/floatingips').send({ floating_network_id: NET, floating_ip_address: '172.24.4.101' });
    expect(created.status).toBe(201);
    expectSchema(created.body, 'FloatingIPEnvelope');
    const ip = created.body.floatingip;
    expect(ip).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      floating_network_id: NET,
      subnet_id: null,
      floating_ip_address: '172.24.4.101',
      reservable: true,
      created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/),
      updated_at: null,
    });
    expect(await list()).toContainEqual(ip);
    const shown = await request(svc.app).get(`/v1/floatingips/${ip.id}`);
    expect(shown.status).toBe(200);
    expect(shown.body).toEqual({ floatingip: ip });

    const deleted = await request(svc.app).delete(`/v1/floatingips/${ip.id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expectError(await request(svc.app).get(`/v1/floatingips/${ip.id}`), 404, `Object with {'floatingip_id': '${ip.id}'} not found`);
    expectError(await request(svc.app).delete(`/v1/floatingips/${ip.id}`), 404);
    expect(await list()).not.toContainEqual(ip);
  });

  it('takes IPv6 addresses and network ids without dashes', async () => {
    const res = await request(svc.app).post('/v1/floatingips').send({ floating_network_id: OTHER_NET, floating_ip_address: '2001:db8::10' });
    expect(res.status).toBe(201);
    expect(res.body.floatingip).toMatchObject({ floating_network_id: OTHER_NET, floating_ip_address: '2001:db8::10' });
  });

  it('refuses the same address on the same network with 409, and allows it on another network', async () => {
    await request(svc.app).post('/v1/floatingips').send({ floating_network_id: NET, floating_ip_address: '172.24.4.102' }).expect(201);
    const before = await list();
    const again = await request(svc.app).post('/v1/floatingips').send({ floating_network_id: NET, floating_ip_address: '172.24.4.102' });
    expectError(again, 409, /172\.24\.4\.102/);
    expect(await list()).toEqual(before);
    const elsewhere = await request(svc.app).post('/v1/floatingips').send({ floating_network_id: OTHER_NET, floating_ip_address: '172.24.4.102' });
    expect(elsewhere.status).toBe(201);
  });

  it.each([
    ['an address out of range', { floating_network_id: NET, floating_ip_address: '300.1.1.1' }, /floating_ip_address/],
    ['a name instead of an address', { floating_network_id: NET, floating_ip_address: 'gateway' }, /floating_ip_address/],
    ['a CIDR', { floating_network_id: NET, floating_ip_address: '172.24.4.0/24' }, /floating_ip_address/],
    ['a number', { floating_network_id: NET, floating_ip_address: 172 }, /floating_ip_address/],
    ['no address', { floating_network_id: NET }, 'Missing parameter floating_ip_address'],
    ['no network', { floating_ip_address: '172.24.4.103' }, 'Missing parameter floating_network_id'],
    ['a network id that is not a UUID', { floating_network_id: 'public', floating_ip_address: '172.24.4.103' }, /floating_network_id/],
    ['an unknown field', { floating_network_id: NET, floating_ip_address: '172.24.4.103', subnet_id: 'x' }, /subnet_id/],
  ])('refuses %s with 400, creating nothing', async (_label, body, message) => {
    const before = await list();
    expectError(await request(svc.app).post('/v1/floatingips').send(body), 400, message);
    expect(await list()).toEqual(before);
  });

  it('is for admins only', async () => {
    expectError(await request(svc.app).get('/v1/floatingips').set(member('tenant')), 403, "Policy doesn't allow climate:floatingips:get to be performed.");
    expectError(await request(svc.app).post('/v1/floatingips').set(member('tenant')).send({ floating_network_id: NET, floating_ip_address: '172.24.4.104' }),
      403, "Policy doesn't allow climate:floatingips:post to be performed.");
  });
});
