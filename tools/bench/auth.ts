/**
 * `npm run bench:auth`: what Keystone authentication adds to a request.
 *
 * 1. The middleware alone, in process: with a warm cache (a token seen before) and a cold one (a new token each
 *    time: local JWS signature check, then one GET /v3/auth/tokens).
 * 2. Over HTTP: GET /v1/leases?limit=1 in noauth mode and in keystone mode with a warm cache; the difference of
 *    the medians is the per-request overhead.
 *
 * Keystone is an in-process stand-in by default (it answers at once, so "cold" measures Climate's own part); with
 * --real-keystone, Debian's Keystone (jws provider) is set up and started, and the cold numbers include it.
 * Options: --requests N (warm, default 20000), --cold N (default 300), --real-keystone, --out FILE.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Request, RequestHandler, Response } from 'express';
import * as jose from 'jose';
import { buildKeystoneAuth } from '../../src/auth/keystone';
import { Policy } from '../../src/auth/policy';
import { buildServices, type Services } from '../../src/cli/services';
import { silentLogger } from '../../src/common';
import { configWith, type ClimateConfig, type DeepPartial } from '../../src/config';
import { createTestDatabase } from '../../test/support/database';
import { startKeystone } from '../../test/support/keystone';
import { KeystoneAdmin, login } from '../../test/support/keystone-admin';
import { FakeKeystone } from '../../test/support/keystone-fake';
import { summarize, type Summary } from './stats';

interface Options {
  warm: number;
  cold: number;
  realKeystone: boolean;
  out: string;
}

function parseArgs(argv: string[]): Options {
  const get = (name: string) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : undefined; };
  return {
    warm: Number(get('requests') ?? 20_000),
    cold: Number(get('cold') ?? 300),
    realKeystone: argv.includes('--real-keystone'),
    out: get('out') ?? path.join('var', 'bench', `auth-${new Date().toISOString().replace(/[:.]/g, '-')}.json`),
  };
}

const log = (m: string) => process.stderr.write(`[auth] ${m}\n`);

/** The Keystone side: a URL, Climate's service user, a JWS key directory, and a way to get fresh user tokens. */
interface KeystoneUnderTest {
  label: string;
  url: string;
  password: string;
  jwsKeys: string;
  newToken(): Promise<string>;
  stop(): Promise<void>;
}

async function fakeKeystone(): Promise<KeystoneUnderTest> {
  const fake = await new FakeKeystone().start();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'climate-bench-jws-'));
  const { publicKey, privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
  writeFileSync(path.join(dir, 'public.pem'), await jose.exportSPKI(publicKey));
  let n = 0;
  return {
    label: 'in-process fake Keystone',
    url: fake.url, password: fake.serviceUser.password, jwsKeys: dir,
    newToken: async () => {
      const exp = Math.floor(Date.now() / 1000) + 3600;
      const token = await new jose.SignJWT({ sub: 'u1', openstack_project_id: 'p1', n: n++ })
        .setProtectedHeader({ alg: 'ES256', typ: 'JWT' }).setIssuedAt().setExpirationTime(exp).sign(privateKey);
      return fake.addToken(token, { userId: 'u1', projectId: 'p1', roles: ['member', 'reader'], expiresAt: exp * 1000 });
    },
    stop: async () => {
      await fake.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function realKeystone(): Promise<KeystoneUnderTest> {
  log('setting up Debian\'s Keystone (jws provider)');
  const keystone = await startKeystone({ provider: 'jws' });
  const admin = await KeystoneAdmin.connect(keystone.url, keystone.adminPassword);
  const service = await admin.createProject('service');
  const alpha = await admin.createProject('alpha');
  await admin.createMember('climate', 'bench-pw', service, 'service');
  await admin.createMember('alice', 'bench-pw', alpha, 'member');
  return {
    label: 'Debian Keystone (jws)',
    url: keystone.url, password: 'bench-pw', jwsKeys: keystone.jwsPublicKeyRepository,
    newToken: async () => (await login(keystone.url, 'alice', 'bench-pw', { project: 'alpha' })).token,
    stop: () => keystone.stop(),
  };
}

function keystoneConfig(k: KeystoneUnderTest, extra: DeepPartial<ClimateConfig> = {}): ClimateConfig {
  return configWith({
    ...extra,
    default: { authStrategy: 'keystone' },
    keystoneAuthtoken: { authUrl: k.url, username: 'climate', password: k.password, projectName: 'service', jwsPublicKeyRepository: k.jwsKeys },
  });
}

/** Runs the middleware once on a bare request; resolves with microseconds taken, rejects unless it called next(). */
function once(middleware: RequestHandler, token: string): Promise<number> {
  const start = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const res = {
      locals: { requestId: 'req-bench' },
      status: () => res, set: () => res, json: (body: unknown) => reject(new Error(`refused: ${JSON.stringify(body)}`)),
    };
    const next = (error?: unknown) => (error ? reject(error) : resolve(Number(process.hrtime.bigint() - start) / 1000));
    middleware({ headers: { 'x-auth-token': token } } as unknown as Request, res as unknown as Response, next);
  });
}

interface MiddlewareResult {
  warmMicros: Summary;
  coldMicros: Summary;
}

async function benchMiddleware(k: KeystoneUnderTest, o: Options): Promise<MiddlewareResult> {
  const auth = (await buildKeystoneAuth(keystoneConfig(k), { policy: new Policy(), logger: silentLogger }))!;
  const middleware = auth.middleware!;
  log(`${k.label}: getting ${o.cold + 1} tokens`);
  const tokens: string[] = [];
  for (let i = 0; i <= o.cold; i++) tokens.push(await k.newToken());
  await once(middleware, tokens[0]); // the service user logs in here, not inside the measurements

  log(`${k.label}: ${o.cold} cold validations`);
  const cold: number[] = [];
  for (const token of tokens.slice(1)) cold.push(await once(middleware, token));

  log(`${k.label}: ${o.warm} warm validations`);
  const warm: number[] = [];
  for (let i = 0; i < 2000; i++) await once(middleware, tokens[0]); // JIT warm-up
  for (let i = 0; i < o.warm; i++) warm.push(await once(middleware, tokens[i % tokens.length]));
  return { warmMicros: summarize(warm), coldMicros: summarize(cold) };
}

async function listen(services: Services): Promise<{ server: Server; base: string }> {
  const server = await new Promise<Server>((resolve) => { const s = services.app().listen(0, '127.0.0.1', () => resolve(s)); });
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** p50/p99 of GET /v1/leases?limit=1 with the given headers, in ms. */
async function httpLatency(config: ClimateConfig, headers: Record<string, string>, requests: number): Promise<Summary> {
  const db = await createTestDatabase('sqlite');
  const services = await buildServices(configWith({ ...config, database: { connection: db.url }, notifications: { driver: 'noop' } }), { migrate: true, logger: silentLogger });
  const { server, base } = await listen(services);
  try {
    const get = async () => {
      const res = await fetch(`${base}/v1/leases?limit=1`, { headers });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`GET /v1/leases: ${res.status}`);
    };
    for (let i = 0; i < 500; i++) await get();
    const samples: number[] = [];
    for (let i = 0; i < requests; i++) {
      const t0 = performance.now();
      await get();
      samples.push(performance.now() - t0);
    }
    return summarize(samples);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await services.close();
    await db.drop();
  }
}

const us = (s: Summary) => `${s.p50.toFixed(1)} / ${s.p99.toFixed(1)} µs`;
const ms = (s: Summary) => `${s.p50.toFixed(3)} / ${s.p99.toFixed(3)} ms`;

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const keystone = o.realKeystone ? await realKeystone() : await fakeKeystone();
  try {
    const middleware = await benchMiddleware(keystone, o);
    const httpRequests = Math.min(o.warm, 3000);
    log(`HTTP: ${httpRequests} requests in noauth mode`);
    const noauth = await httpLatency(configWith({}), { 'x-user-id': 'u1', 'x-project-id': 'p1', 'x-roles': 'member,reader' }, httpRequests);
    log(`HTTP: ${httpRequests} requests in keystone mode (warm cache)`);
    const token = await keystone.newToken();
    const withKeystone = await httpLatency(keystoneConfig(keystone), { 'x-auth-token': token }, httpRequests);
    const rows = [
      ['measure', 'p50 / p99'],
      [`middleware, warm cache (${o.warm} requests)`, us(middleware.warmMicros)],
      [`middleware, cold cache: JWS check + Keystone call (${o.cold} tokens, ${keystone.label})`, us(middleware.coldMicros)],
      ['GET /v1/leases?limit=1, noauth', ms(noauth)],
      ['GET /v1/leases?limit=1, keystone, warm cache', ms(withKeystone)],
      ['overhead over HTTP (difference of p50)', `${((withKeystone.p50 - noauth.p50) * 1000).toFixed(1)} µs`],
    ];
    const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
    process.stdout.write(`${[line(rows[0]), line(['---', '---']), ...rows.slice(1).map(line)].join('\n')}\n`);
    mkdirSync(path.dirname(o.out), { recursive: true });
    writeFileSync(o.out, `${JSON.stringify({ when: new Date().toISOString(), keystone: keystone.label, middleware, http: { noauth, keystone: withKeystone } }, null, 2)}\n`);
    log(`results written to ${o.out}`);
  } finally {
    await keystone.stop();
  }
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
