/** Blazar's error body and the status codes of routing and body-parsing failures. */
import request from 'supertest';
import { startTestService, type TestService } from '../support/service';
import { expectError, expectSchema } from './helpers';

let svc: TestService;
beforeAll(async () => { svc = await startTestService({ dialect: 'sqlite' }); });
afterAll(async () => { await svc.close(); });

describe('error body', () => {
  it('is exactly {error_code, error_message, error_name}, as JSON', async () => {
    const res = await request(svc.app).get('/v1/leases/6f2f5b56-9a43-4c57-a0e5-6f3c2c3f6a8e');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(Object.keys(res.body).sort()).toEqual(['error_code', 'error_message', 'error_name']);
    expect(res.body).toEqual({
      error_code: 404,
      error_message: "Object with {'lease_id': '6f2f5b56-9a43-4c57-a0e5-6f3c2c3f6a8e'} not found",
      error_name: 404,
    });
    expectSchema(res.body, 'Error');
  });

  it.each(['get', 'put', 'delete'] as const)('names the unknown lease id on %s', async (method) => {
    const res = await request(svc.app)[method]('/v1/leases/no-such-lease').send(method === 'put' ? { name: 'x' } : undefined);
    expectError(res, 404, "Object with {'lease_id': 'no-such-lease'} not found");
  });
});

describe('routing', () => {
  it.each(['/v1/nothing', '/v2/leases', '/v1/leases/a/b', '/v1/os-hosts/1/allocation/extra', '/healthz-typo'])(
    'answers 404 for the unknown route %s', async (path) => {
      const res = await request(svc.app).get(path);
      expectError(res, 404, /could not be found/);
    });

  it.each([
    ['patch', '/v1/leases', 'GET, POST'],
    ['delete', '/v1/leases', 'GET, POST'],
    ['post', '/v1/leases/abc', 'GET, PUT, DELETE'],
    ['patch', '/v1/os-hosts', 'GET, POST'],
    ['post', '/v1/os-hosts/1', 'GET, PUT, DELETE'],
    ['post', '/v1/os-hosts/allocations', 'GET'],
    ['get', '/v1/os-hosts/properties/gpu', 'PATCH'],
    ['put', '/v1/floatingips/abc', 'GET, DELETE'],
    ['post', '/v1', 'GET'],
    ['delete', '/', 'GET'],
  ] as const)('answers 405 to %s %s with Allow: %s', async (method, path, allow) => {
    const res = await request(svc.app)[method](path).send({});
    expectError(res, 405, new RegExp(`${method.toUpperCase()} is not allowed`));
    expect(res.headers.allow).toBe(allow);
  });
});

describe('request bodies', () => {
  it('refuses a body over 1 MiB with 413 and creates nothing', async () => {
    const body = JSON.stringify({ name: 'big', end_date: '2030-01-02 12:00', padding: 'x'.repeat(1024 * 1024) });
    const res = await request(svc.app).post('/v1/leases').set('Content-Type', 'application/json').send(body);
    expectError(res, 413, /larger than 1048576 bytes/);
    expect((await request(svc.app).get('/v1/leases')).body.leases).toEqual([]);
  });

  it('accepts a body just under the limit (the limit is on bytes, not a smaller guess)', async () => {
    const name = 'c'.repeat(64);
    const body = JSON.stringify({ name: 'big-host', [name]: 'v' });
    const padded = body.slice(0, -1) + ' '.repeat(1024 * 1024 - body.length - 1) + '}';
    expect(Buffer.byteLength(padded)).toBe(1024 * 1024 - 1);
    const res = await request(svc.app).post('/v1/os-hosts').set('Content-Type', 'application/json').send(padded);
    expect(res.status).toBe(201);
  });

  it.each(['{"name":', '{name: "x"}', "{'name': 'x'}", '{"a":1,}', 'not json', '{"a":1}}'])(
    'refuses the malformed JSON %p with 400', async (text) => {
      const res = await request(svc.app).post('/v1/leases').set('Content-Type', 'application/json').send(text);
      expectError(res, 400, /Malformed JSON/);
    });

  it('reads a body as JSON whatever its content type', async () => {
    const res = await request(svc.app).post('/v1/leases').set('Content-Type', 'text/plain').send('{"name":');
    expectError(res, 400, /Malformed JSON/);
  });

  it('refuses a JSON body that is not an object', async () => {
    const res = await request(svc.app).post('/v1/leases').set('Content-Type', 'application/json').send('[]');
    expectError(res, 400, "Invalid input for the request body. Value: []. [] is not of type 'object'");
  });
});
