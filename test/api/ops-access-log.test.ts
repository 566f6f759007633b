import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { createLogger } from '../../src/common';
import { startTestService, type TestService } from '../support/service';
import { leaseBody, member, REQUEST_ID } from './helpers';

/** Text log lines, as an operator reads them in the journal. */
const lines: string[] = [];
const since = (mark: number) => lines.slice(mark);
const TIME = '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3}';

/** The access line of one request, found by the request id the response carries. */
function accessLine(mark: number, requestId: string): string {
  const found = since(mark).filter((l) => l.includes(' climate.api.access ') && l.includes(requestId));
  expect(found).toHaveLength(1);
  return found[0];
}

function fieldsOf(line: string): Record<string, unknown> {
  return JSON.parse(line.slice(line.indexOf(' {"')));
}

describe('access log and request ids', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ logger: createLogger({ level: 'debug', write: (line) => lines.push(line) }) });
  });
  afterAll(async () => { await svc.close(); });

  it('logs every request at INFO with method, path, status, bytes, duration and the request id, 4xx included', async () => {
    const mark = lines.length;
    const ok = await request(svc.app).get('/v1/leases?limit=5').set(member('p1'));
    const missingPath = `/v1/leases/${randomUUID()}`;
    const missing = await request(svc.app).get(missingPath).set(member('p1'));
    const bad = await request(svc.app).post('/v1/leases').set(member('p1')).set('Content-Type', 'application/json').send('{"name":');
    const unknown = await request(svc.app).delete('/v1/nothing-here');
    for (const [res, method, path, status] of [
      [ok, 'GET', '/v1/leases?limit=5', 200], [missing, 'GET', missingPath, 404], [bad, 'POST', '/v1/leases', 400],
      [unknown, 'DELETE', '/v1/nothing-here', 404],
    ] as const) {
      expect(res.status).toBe(status);
      const id = res.headers['x-openstack-request-id'];
      expect(id).toMatch(REQUEST_ID);
      const line = accessLine(mark, id);
      expect(line).toMatch(new RegExp(`^${TIME} INFO climate\\.api\\.access \\[${id}\\] ${method} ${path.replace(/[?]/g, '\\?')} ${status} \\{`));
      const fields = fieldsOf(line);
      expect(fields).toEqual(expect.objectContaining({ method, path, status, bytes: Number(res.headers['content-length']) }));
      expect(fields.bytes).toBeGreaterThan(0);
      expect(typeof fields.duration_ms).toBe('number');
      expect(fields.duration_ms).toBeGreaterThanOrEqual(0);
    }
    expect(fieldsOf(accessLine(mark, ok.headers['x-openstack-request-id']))).toEqual(expect.objectContaining({ user_id: 'user-of-p1', project_id: 'p1' }));
  });

  it('logs /healthcheck and /metrics at DEBUG while they answer 2xx (load balancers and scrapers poll them)', async () => {
    const mark = lines.length;
    const res = await request(svc.app).get('/healthcheck');
    expect(res.status).toBe(200);
    expect(accessLine(mark, res.headers['x-openstack-request-id'])).toMatch(/ DEBUG climate\.api\.access \[req-[^\]]+\] GET \/healthcheck 200 /);
  });

  it("keeps a caller's X-OpenStack-Request-ID as the global request id: logged before Climate's own, which is still returned", async () => {
    const global = `req-${randomUUID()}`;
    const mark = lines.length;
    const res = await request(svc.app).post('/v1/leases').set(member('p1')).set('X-OpenStack-Request-ID', global)
      .send(leaseBody('with-global-id'));
    expect(res.status).toBe(201);
    const local = res.headers['x-openstack-request-id'];
    expect(local).toMatch(REQUEST_ID);
    expect(local).not.toBe(global);
    expect(accessLine(mark, local)).toContain(` [${global} ${local}] POST /v1/leases 201 `);
    // Every line of the request carries both, the lease service's too.
    expect(since(mark)).toContainEqual(expect.stringMatching(
      new RegExp(`INFO climate\\.leases \\[${global} ${local}\\] lease ${res.body.lease.id} \\(with-global-id\\) created`)));
  });

  it.each([
    ['not an id', 'hello'],
    ['upper case (oslo.middleware accepts lower case only)', `req-${randomUUID().toUpperCase()}`],
    ['without the req- prefix', randomUUID()],
  ])('ignores an X-OpenStack-Request-ID that is %s', async (_what, sent) => {
    const mark = lines.length;
    const res = await request(svc.app).get('/v1/leases').set(member('p1')).set('X-OpenStack-Request-ID', sent);
    expect(res.status).toBe(200);
    const local = res.headers['x-openstack-request-id'];
    expect(local).toMatch(REQUEST_ID);
    expect(accessLine(mark, local)).toContain(` [${local}] GET /v1/leases 200 `);
    expect(since(mark).join('\n')).not.toContain(sent);
  });

  it('logs JSON lines with request_id and global_request_id fields with log_format = json', async () => {
    const json: Record<string, unknown>[] = [];
    const other = await startTestService({ logger: createLogger({ format: 'json', write: (line) => json.push(JSON.parse(line)) }) });
    try {
      const global = `req-${randomUUID()}`;
      const res = await request(other.app).get('/v1/leases/x').set('X-OpenStack-Request-ID', global);
      expect(json).toContainEqual(expect.objectContaining({
        level: 'INFO', logger: 'climate.api.access', request_id: res.headers['x-openstack-request-id'], global_request_id: global,
        method: 'GET', path: '/v1/leases/x', status: 404,
      }));
    } finally {
      await other.close();
    }
  });
});

describe("the notifier's lines", () => {
  it('name the lease each notification is about', async () => {
    const logged: Record<string, unknown>[] = [];
    const svc = await startTestService({
      config: { notifications: { driver: 'log' } },
      logger: createLogger({ format: 'json', level: 'debug', write: (line) => logged.push(JSON.parse(line)) }),
    });
    try {
      const res = await request(svc.app).post('/v1/leases').set(member('p1')).send(leaseBody('notified'));
      expect(res.status).toBe(201);
      await svc.services.dispatcher.runOnce();
      const leaseId = res.body.lease.id;
      expect(logged).toContainEqual(expect.objectContaining({ logger: 'climate.notifications', message: 'notification lease.create', lease_id: leaseId }));
      expect(logged).toContainEqual(expect.objectContaining({
        logger: 'climate.notifications', message: 'sent notification lease.create', lease_id: leaseId, message_id: expect.any(String),
      }));
    } finally {
      await svc.close();
    }
  });
});
