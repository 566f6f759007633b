/**
 * Response headers (request id, API version), microversion negotiation and version discovery. None of this
 * touches the database beyond the app needing one, so it runs on SQLite only.
 */
import request from 'supertest';
import { startTestService, type TestService } from '../support/service';
import { expectError, expectSchema, REQUEST_ID } from './helpers';

let svc: TestService;
beforeAll(async () => { svc = await startTestService({ dialect: 'sqlite' }); });
afterAll(async () => { await svc.close(); });

describe('x-openstack-request-id and OpenStack-API-Version', () => {
  const cases: [string, () => request.Test, number][] = [
    ['version root', () => request(svc.app).get('/'), 300],
    ['v1 document', () => request(svc.app).get('/v1'), 200],
    ['lease list', () => request(svc.app).get('/v1/leases'), 200],
    ['unknown lease (404)', () => request(svc.app).get('/v1/leases/no-such-lease'), 404],
    ['unknown route (404)', () => request(svc.app).get('/v1/nothing-here'), 404],
    ['wrong method (405)', () => request(svc.app).patch('/v1/leases'), 405],
    ['malformed JSON (400)', () => request(svc.app).post('/v1/leases').set('Content-Type', 'application/json').send('{"name":'), 400],
    ['policy refusal (403)', () => request(svc.app).get('/v1/os-hosts').set('X-Roles', 'member'), 403],
    ['bad microversion (400)', () => request(svc.app).get('/v1/leases').set('OpenStack-API-Version', 'reservation 1.x'), 400],
    ['unsupported microversion (406)', () => request(svc.app).get('/v1/leases').set('OpenStack-API-Version', 'reservation 2.0'), 406],
    ['unknown floating IP delete (404)', () => request(svc.app).delete('/v1/floatingips/missing'), 404],
  ];

  it.each(cases)('%s carries both headers', async (_label, send, status) => {
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.headers['x-openstack-request-id']).toMatch(REQUEST_ID);
    expect(res.headers['openstack-api-version']).toBe('reservation 1.0');
  });

  it('gives every request its own id', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) ids.add((await request(svc.app).get('/v1/leases')).headers['x-openstack-request-id']);
    expect(ids.size).toBe(5);
  });

  it('carries both headers on a 204 without a body', async () => {
    const created = await request(svc.app).post('/v1/floatingips')
      .send({ floating_network_id: '9d2b1f1e-5a4c-4c55-9f43-0d6e3f0b8a11', floating_ip_address: '172.24.4.250' });
    expect(created.status).toBe(201);
    const res = await request(svc.app).delete(`/v1/floatingips/${created.body.floatingip.id}`);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(res.headers['x-openstack-request-id']).toMatch(REQUEST_ID);
    expect(res.headers['openstack-api-version']).toBe('reservation 1.0');
  });
});

describe('microversion header', () => {
  it.each(['reservation 1.0', 'reservation latest', 'RESERVATION LATEST', 'compute 2.1, reservation 1.0', 'compute 2.95'])(
    'accepts %p', async (header) => {
      const res = await request(svc.app).get('/v1/leases').set('OpenStack-API-Version', header);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ leases: [] });
    });

  it.each(['reservation 1.x', 'reservation 1', 'reservation one', 'reservation 1.0.0', 'reservation v1.0', 'reservation 1.0-beta'])(
    'refuses the malformed %p with 400', async (header) => {
      const res = await request(svc.app).get('/v1/leases').set('OpenStack-API-Version', header);
      expectError(res, 400, /OpenStack-API-Version/);
    });

  it.each(['reservation 2.0', 'reservation 1.1', 'reservation 0.9', 'compute 2.1, reservation 3.0'])(
    'refuses the out-of-range %p with 406', async (header) => {
      const res = await request(svc.app).get('/v1/leases').set('OpenStack-API-Version', header);
      expectError(res, 406, /not supported.*Minimum is 1\.0 and maximum is 1\.0/);
    });

  it('checks the header on write requests too, before doing anything', async () => {
    const res = await request(svc.app).post('/v1/leases').set('OpenStack-API-Version', 'reservation 2.0')
      .send({ name: 'never', start_date: '2030-01-01 12:00', end_date: '2030-01-02 12:00' });
    expectError(res, 406);
    expect((await request(svc.app).get('/v1/leases')).body.leases).toEqual([]);
  });
});

describe('version discovery', () => {
  it.each(['/', '/versions'])('GET %s answers 300 with exactly the versions document', async (path) => {
    const res = await request(svc.app).get(path).set('Host', 'climate.example:1234');
    expect(res.status).toBe(300);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toStrictEqual({
      versions: [{
        id: 'v1.0',
        status: 'CURRENT',
        links: [{ rel: 'self', href: 'http://climate.example:1234/v1' }],
        min_version: '1.0',
        max_version: '1.0',
      }],
    });
    expectSchema(res.body, 'VersionsDocument');
  });

  it('needs no token or identity headers (the legacy CLI asks before authenticating)', async () => {
    const res = await request(svc.app).get('/').set('X-Roles', '');
    expect(res.status).toBe(300);
  });

  it('GET /v1 answers 200 with the v1 version', async () => {
    const res = await request(svc.app).get('/v1').set('Host', 'climate.example:1234');
    expect(res.status).toBe(200);
    expect(res.body).toStrictEqual({
      version: {
        id: 'v1.0', status: 'CURRENT', links: [{ rel: 'self', href: 'http://climate.example:1234/v1' }],
        min_version: '1.0', max_version: '1.0',
      },
    });
    expectSchema(res.body, 'VersionDocument');
  });
});
