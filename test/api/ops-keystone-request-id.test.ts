import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { FakeKeystone } from '../support/keystone-fake';
import { startTestService, type TestService } from '../support/service';

const fernet = (n: number) => Buffer.concat([Buffer.from([0x80]), Buffer.alloc(8 + 16 + 16 + 32, n)]).toString('base64url');

describe('request ids sent to Keystone (auth_strategy = keystone)', () => {
  let fake: FakeKeystone;
  let svc: TestService;
  beforeAll(async () => {
    fake = await new FakeKeystone().start();
    svc = await startTestService({
      config: {
        default: { authStrategy: 'keystone' },
        keystoneAuthtoken: { authUrl: fake.url, wwwAuthenticateUri: 'https://keystone.example/', username: 'climate', password: 'secret', projectName: 'service' },
      },
    });
  });
  afterAll(async () => {
    await svc?.close();
    await fake.stop();
  });

  /** The X-OpenStack-Request-ID of the token validations (GET /auth/tokens) made since `mark`. */
  const validationIds = (mark: number) => fake.requests.map((r, i) => ({ r, id: fake.requestIds[i] }))
    .slice(mark).filter(({ r }) => r.startsWith('GET /auth/tokens')).map(({ id }) => id);

  it("validates the caller's token under the caller's global request id", async () => {
    const token = fake.addToken(fernet(1), { userId: 'alice', projectId: 'alpha' });
    const global = `req-${randomUUID()}`;
    const mark = fake.requests.length;
    const res = await request(svc.app).get('/v1/leases').set('X-Auth-Token', token).set('X-OpenStack-Request-ID', global);
    expect(res.status).toBe(200);
    expect(validationIds(mark)).toEqual([global]);
  });

  it("or under Climate's own request id when the caller sent none", async () => {
    const token = fake.addToken(fernet(2), { userId: 'bob', projectId: 'alpha' });
    const mark = fake.requests.length;
    const res = await request(svc.app).get('/v1/leases').set('X-Auth-Token', token);
    expect(res.status).toBe(200);
    expect(validationIds(mark)).toEqual([res.headers['x-openstack-request-id']]);
  });
});
