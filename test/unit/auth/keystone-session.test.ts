import { KeystoneLeaseTrusts, TrustRefused, type RequestContext } from '../../../src/auth';
import { buildKeystoneAuth } from '../../../src/auth/keystone';
import { Policy } from '../../../src/auth/policy';
import { createLogger, silentLogger } from '../../../src/common';
import { configWith, type ClimateConfig, type DeepPartial } from '../../../src/config';
import {
  Endpoints, EndpointNotFound, findEndpoint, KeystoneHttp, KeystoneSession, KeystoneUnavailable, keystoneV3Url,
  normalizeInterface, TrustsClient, type EndpointSettings, type ServiceType,
} from '../../../src/openstack/keystone';
import { FAKE_CATALOG, FakeKeystone } from '../../support/keystone-fake';

function manualNow(start = Date.now()) {
  let now = start;
  const fn = () => now;
  fn.advance = (ms: number) => { now += ms; };
  return fn;
}

async function setup(options: { lifetimeMs?: number; password?: string } = {}) {
  const now = manualNow();
  const fake = await new FakeKeystone({ tokenLifetimeMs: options.lifetimeMs, now }).start();
  const http = new KeystoneHttp({ baseUrl: fake.url, timeoutMs: 2000 });
  const session = new KeystoneSession(http, {
    username: 'climate', password: options.password ?? 'secret', projectName: 'service', userDomainName: 'Default', projectDomainName: 'Default',
  }, { logger: silentLogger, now });
  return { now, fake, http, session };
}

describe('keystoneV3Url', () => {
  it.each([
    ['http://k:5000', 'http://k:5000/v3'],
    ['http://k:5000/', 'http://k:5000/v3'],
    ['http://k:5000/v3', 'http://k:5000/v3'],
    ['http://k:5000/v3/', 'http://k:5000/v3'],
    ['https://cloud/identity', 'https://cloud/identity/v3'],
  ])('%s -> %s', (given, expected) => expect(keystoneV3Url(given)).toBe(expected));
});

describe('KeystoneSession', () => {
  let ctx: Awaited<ReturnType<typeof setup>>;
  afterEach(async () => ctx?.fake.stop());

  it('logs the service user in once and reuses its token', async () => {
    ctx = await setup();
    const first = await ctx.session.serviceToken();
    expect(first).toMatchObject({ userId: 'climate-user-id', projectId: 'service-project-id', roles: ['service'] });
    expect(await ctx.session.serviceToken()).toBe(first);
    expect(await ctx.session.catalog()).toEqual(FAKE_CATALOG);
    expect(ctx.fake.count('POST /auth/tokens')).toBe(1);
    expect(ctx.http.calls).toEqual({ total: 1, byOperation: { service_login: 1 } });
  });

  it('renews its token before it expires (5 minutes before, for an hour-long token)', async () => {
    ctx = await setup({ lifetimeMs: 3_600_000 });
    const first = await ctx.session.serviceToken();
    ctx.now.advance(3_600_000 - 5 * 60_000 - 1);
    expect(await ctx.session.serviceToken()).toBe(first);
    ctx.now.advance(1);
    const second = await ctx.session.serviceToken();
    expect(second.token).not.toBe(first.token);
    expect(ctx.fake.count('POST /auth/tokens')).toBe(2);
  });

  it('renews a short-lived token when a quarter of its life is left', async () => {
    ctx = await setup({ lifetimeMs: 20_000 });
    const first = await ctx.session.serviceToken();
    ctx.now.advance(14_999);
    expect(await ctx.session.serviceToken()).toBe(first);
    ctx.now.advance(1);
    expect((await ctx.session.serviceToken()).token).not.toBe(first.token);
  });

  it('logs in once for concurrent callers', async () => {
    ctx = await setup();
    const tokens = await Promise.all(Array.from({ length: 5 }, () => ctx.session.serviceToken()));
    expect(new Set(tokens.map((t) => t.token)).size).toBe(1);
    expect(ctx.fake.count('POST /auth/tokens')).toBe(1);
  });

  it('validates tokens: the body for a valid one, null for one Keystone does not know', async () => {
    ctx = await setup();
    ctx.fake.addToken('user-token', { userId: 'u1', projectId: 'p1', roles: ['member'] });
    expect(await ctx.session.validate('user-token')).toMatchObject({ user: { id: 'u1' }, project: { id: 'p1' }, roles: [{ name: 'member' }] });
    expect(await ctx.session.validate('unknown')).toBeNull();
  });

  it('logs in again once when Keystone stops accepting its token', async () => {
    ctx = await setup();
    ctx.fake.addToken('user-token', { userId: 'u1' });
    const first = await ctx.session.serviceToken();
    ctx.fake.tokens.delete(first.token); // revoked
    expect(await ctx.session.validate('user-token')).toMatchObject({ user: { id: 'u1' } });
    expect(ctx.fake.count('POST /auth/tokens')).toBe(2);
  });

  it('says clearly when its service user may not validate tokens or cannot log in', async () => {
    ctx = await setup();
    const service = await ctx.session.serviceToken();
    ctx.fake.tokens.get(service.token)!.roles = ['member'];
    await expect(ctx.session.validate('x')).rejects.toThrow(KeystoneUnavailable);
    await expect(ctx.session.validate('x')).rejects.toThrow(/service user "climate" may not validate tokens \(Keystone answered 403.*needs the "service" role/);
    await ctx.fake.stop();

    ctx = await setup({ password: 'wrong' });
    const error = await ctx.session.validate('x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeystoneUnavailable);
    expect((error as KeystoneUnavailable).status).toBe(503);
    expect((error as Error).message).toMatch(/service user "climate" could not log in to Keystone \(HTTP 401.*check \[keystone_authtoken\] username, password/);
  });

  it('turns "no answer" and server errors into 503 KeystoneUnavailable', async () => {
    ctx = await setup();
    ctx.fake.failures.push(500);
    await expect(ctx.session.serviceToken()).rejects.toThrow(/Keystone at http:\/\/127\.0\.0\.1:\d+\/v3\) failed \(service_login\): HTTP 500 forced 500/);
    const url = ctx.fake.url;
    await ctx.fake.stop();
    const error = await ctx.session.serviceToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeystoneUnavailable);
    expect((error as Error).message).toBe(`The identity service (Keystone at ${url}) did not answer (service_login): connect ECONNREFUSED ${url.replace(/^http:\/\/|\/v3$/g, '')}`);
  });

  it('times out a Keystone that does not answer', async () => {
    const fake = await new FakeKeystone({ delayMs: 1000 }).start();
    try {
      const session = new KeystoneSession(new KeystoneHttp({ baseUrl: fake.url, timeoutMs: 100 }), {
        username: 'climate', password: 'secret', projectName: 'service', userDomainName: 'Default', projectDomainName: 'Default',
      }, { logger: silentLogger });
      await expect(session.serviceToken()).rejects.toThrow(/did not answer \(service_login\): no answer within 0.1 s/);
    } finally {
      await fake.stop();
    }
  });
});

describe('lease trusts', () => {
  let ctx: Awaited<ReturnType<typeof setup>>;
  let trusts: KeystoneLeaseTrusts;
  const lines: string[] = [];
  const user = (token: string, extra: Partial<RequestContext> = {}): RequestContext => ({
    userId: 'u1', projectId: 'p1', roles: ['member', 'reader'], isAdmin: false, requestId: 'req-1', authToken: token, ...extra,
  });

  beforeEach(async () => {
    ctx = await setup();
    lines.length = 0;
    trusts = new KeystoneLeaseTrusts(ctx.session, new TrustsClient(ctx.session), createLogger({ write: (l) => lines.push(l) }));
    ctx.fake.addToken('alice', { userId: 'u1', projectId: 'p1', roles: ['member', 'reader'] });
  });
  afterEach(async () => ctx.fake.stop());

  it('creates an impersonating trust from the user to the service user with the user\'s roles on the project, which Heat may redelegate', async () => {
    const id = await trusts.createForLease(user('alice'), 'p1');
    expect(ctx.fake.trusts.get(id!)).toEqual({
      id, trustorUserId: 'u1', trusteeUserId: 'climate-user-id', projectId: 'p1', roles: ['member', 'reader'], impersonation: true,
      allowRedelegation: true,
    });
    const scoped = await trusts.tokenFor(id!);
    expect(scoped).toMatchObject({ userId: 'u1', projectId: 'p1', roles: ['member', 'reader'] });
    expect(await trusts.tokenFor(id!)).toBe(scoped); // reused
  });

  it('creates no trust for work without a user token', async () => {
    expect(await trusts.createForLease(user('alice', { authToken: undefined }), 'p1')).toBeNull();
    expect(ctx.fake.trusts.size).toBe(0);
  });

  it('explains a refusal (a trust-scoped token cannot delegate) as 403', async () => {
    ctx.fake.addToken('via-trust', { userId: 'u1', trustId: 't1' });
    const error = await trusts.createForLease(user('via-trust'), 'p1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrustRefused);
    expect(error).toMatchObject({ status: 403 });
    expect((error as Error).message).toMatch(/^Cannot create the Keystone trust that lets Climate act for you .*Keystone refused \(403: Remaining redelegation depth of 0/);
  });

  it('answers 503 when Keystone is down at create time', async () => {
    await ctx.fake.stop();
    const error = await trusts.createForLease(user('alice'), 'p1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeystoneUnavailable);
    expect((error as Error).message).toMatch(/^Cannot create the Keystone trust .*: The identity service \(Keystone at .*\) did not answer/);
  });

  it('deletes the trust through the trust itself; a trust already gone is fine; failures are logged, not thrown', async () => {
    const id = (await trusts.createForLease(user('alice'), 'p1'))!;
    await trusts.release(id);
    expect(ctx.fake.trusts.size).toBe(0);
    expect(lines.join('\n')).toContain(`trust ${id} deleted`);
    await trusts.release(id);
    expect(lines.join('\n')).toContain(`trust ${id} was already gone`);
    const other = (await trusts.createForLease(user('alice'), 'p1'))!;
    await ctx.fake.stop();
    await expect(trusts.release(other)).resolves.toBeUndefined();
    expect(lines.join('\n')).toMatch(new RegExp(`WARNING .*trust ${other} could not be deleted: .*did not answer`));
  });
});

describe('service catalog', () => {
  const settings = (over: Partial<Record<ServiceType, Partial<EndpointSettings>>> = {}) => {
    const base: EndpointSettings = { endpointType: 'public', regionName: '', endpointOverride: '' };
    return Object.fromEntries((['compute', 'placement', 'orchestration', 'volumev3', 'network'] as ServiceType[])
      .map((t) => [t, { ...base, ...over[t] }])) as Record<ServiceType, EndpointSettings>;
  };

  it('finds endpoints by type, interface and region; trailing slashes dropped', async () => {
    expect(await new Endpoints(settings(), async () => FAKE_CATALOG).url('compute')).toBe('http://nova.public:8774/v2.1');
    expect(await new Endpoints(settings({ compute: { endpointType: 'internalURL' } }), async () => FAKE_CATALOG).url('compute'))
      .toBe('http://nova.internal:8774/v2.1');
    expect(await new Endpoints(settings({ compute: { endpointType: 'internal', regionName: 'RegionTwo' } }), async () => FAKE_CATALOG).url('compute'))
      .toBe('http://nova.two:8774/v2.1');
    expect(await new Endpoints(settings(), async () => FAKE_CATALOG).url('placement')).toBe('http://placement:8778');
  });

  it('uses endpoint_override without looking at the catalog', async () => {
    const catalog = jest.fn(async () => FAKE_CATALOG);
    const endpoints = new Endpoints(settings({ orchestration: { endpointOverride: 'http://heat:8004/v1/' } }), catalog);
    expect(await endpoints.url('orchestration')).toBe('http://heat:8004/v1');
    expect(endpoints.urlIn([], 'orchestration')).toBe('http://heat:8004/v1');
    expect(catalog).not.toHaveBeenCalled();
  });

  it('says what it looked for and what there is when nothing matches', async () => {
    await expect(new Endpoints(settings({ compute: { endpointType: 'admin' } }), async () => FAKE_CATALOG).url('compute')).rejects.toThrow(
      'No "compute" endpoint with interface "admin" in the service catalog (there are: public in RegionOne, internal in RegionOne, internal in RegionTwo)');
    expect(() => findEndpoint(FAKE_CATALOG, { type: 'network', interface: 'public' })).toThrow(EndpointNotFound);
    expect(() => findEndpoint(FAKE_CATALOG, { type: 'network', interface: 'public' })).toThrow('(the catalog has no "network" service)');
    expect(() => findEndpoint(FAKE_CATALOG, { type: 'compute', interface: 'public', region: 'RegionTwo' })).toThrow('in region "RegionTwo"');
    expect(() => normalizeInterface('private')).toThrow('unknown endpoint interface');
  });

  it('[nova] / [placement] / ... sections of the configuration drive buildKeystoneAuth\'s endpoints', async () => {
    const fake = await new FakeKeystone().start();
    try {
      const auth = await buildKeystoneAuth(config({
        keystoneAuthtoken: { authUrl: fake.url },
        nova: { endpointType: 'internal', regionName: 'RegionOne', endpointOverride: '' },
        cinder: { endpointType: 'public', regionName: '', endpointOverride: 'http://cinder:8776/v3' },
      }), { policy: new Policy(), logger: silentLogger });
      expect(await auth!.endpoints.url('compute')).toBe('http://nova.internal:8774/v2.1');
      expect(await auth!.endpoints.url('volumev3')).toBe('http://cinder:8776/v3');
    } finally {
      await fake.stop();
    }
  });
});

function config(over: DeepPartial<ClimateConfig>): ClimateConfig {
  return configWith({
    ...over,
    keystoneAuthtoken: { username: 'climate', password: 'secret', projectName: 'service', ...over.keystoneAuthtoken },
  });
}

describe('buildKeystoneAuth', () => {
  const deps = { policy: new Policy(), logger: silentLogger };

  it('builds nothing in noauth mode without auth_url, and no validator in noauth mode with one', async () => {
    expect(await buildKeystoneAuth(configWith({}), deps)).toBeNull();
    const auth = await buildKeystoneAuth(config({ keystoneAuthtoken: { authUrl: 'http://127.0.0.1:1/v3' } }), deps);
    expect(auth).toMatchObject({ validator: null, middleware: null });
    expect(auth!.session).toBeInstanceOf(KeystoneSession);
  });

  it('names the missing options in keystone mode', async () => {
    await expect(buildKeystoneAuth(configWith({ default: { authStrategy: 'keystone' } }), deps)).rejects.toThrow(
      '[keystone_authtoken] auth_url, username, password, project_name must be set with [DEFAULT] auth_strategy = keystone');
    await expect(buildKeystoneAuth(config({ default: { authStrategy: 'keystone' }, keystoneAuthtoken: { authUrl: 'http://k', password: '' } }), deps))
      .rejects.toThrow('[keystone_authtoken] password must be set');
  });

  it('refuses a JWS key directory it cannot use', async () => {
    await expect(buildKeystoneAuth(config({
      default: { authStrategy: 'keystone' }, keystoneAuthtoken: { authUrl: 'http://k', jwsPublicKeyRepository: '/nonexistent-climate-keys' },
    }), deps)).rejects.toThrow(/jws_public_key_repository: cannot read \/nonexistent-climate-keys/);
  });
});
