import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as jose from 'jose';
import {
  JwsKeyRing, looksLikeFernet, looksLikeJws, TokenRefused, tokenKey, TokenValidator, TtlCache, type TokenSource,
} from '../../../src/auth/keystone';
import { silentLogger } from '../../../src/common';
import type { TokenBody } from '../../../src/openstack/keystone';

/** A clock tests move by hand (ms since the epoch). */
function manualNow(start = Date.UTC(2030, 0, 1)) {
  let now = start;
  const fn = () => now;
  fn.advance = (ms: number) => { now += ms; };
  return fn;
}

describe('TtlCache', () => {
  it('forgets entries at their expiry', () => {
    const now = manualNow();
    const cache = new TtlCache<string>(10, now);
    cache.set('a', 'A', now() + 1000);
    expect(cache.get('a')).toBe('A');
    now.advance(999);
    expect(cache.get('a')).toBe('A');
    now.advance(1);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
    cache.set('b', 'B', now() - 1);
    expect(cache.get('b')).toBeUndefined();
  });

  it('is bounded: the least recently used entry goes first', () => {
    const now = manualNow();
    const cache = new TtlCache<number>(3, now);
    for (const k of ['a', 'b', 'c']) cache.set(k, 1, now() + 1000);
    expect(cache.get('a')).toBe(1); // a is now the most recently used
    cache.set('d', 1, now() + 1000);
    expect(cache.size).toBe(3);
    expect(cache.get('b')).toBeUndefined();
    expect(['a', 'c', 'd'].map((k) => cache.get(k))).toEqual([1, 1, 1]);
  });

  it('keys are hashes, not tokens', () => {
    const key = tokenKey('secret-token');
    expect(key).not.toContain('secret');
    expect(key).toBe(tokenKey('secret-token'));
    expect(key).not.toBe(tokenKey('secret-token2'));
  });
});

describe('token shapes', () => {
  it('recognises Fernet tokens by their structure', () => {
    const fernet = (blocks: number) => Buffer.concat([Buffer.from([0x80]), Buffer.alloc(8 + 16 + 16 * blocks + 32, 7)]).toString('base64url');
    expect(looksLikeFernet(fernet(1))).toBe(true);
    expect(looksLikeFernet(fernet(5))).toBe(true);
    expect(looksLikeFernet(`${fernet(1)}x`)).toBe(false);
    expect(looksLikeFernet(fernet(1).slice(0, -2))).toBe(false);
    expect(looksLikeFernet(Buffer.concat([Buffer.from([0x81]), Buffer.alloc(72, 7)]).toString('base64url'))).toBe(false);
    expect(looksLikeFernet('gAAAAA')).toBe(false);
    expect(looksLikeFernet('not base64!')).toBe(false);
    expect(looksLikeJws('eyJh.eyJi.c2ln')).toBe(true);
    expect(looksLikeJws('eyJh.eyJi.')).toBe(true);
    expect(looksLikeJws('a.b')).toBe(false);
  });
});

/** Keystone-style JWS keys in a directory, and tokens signed with them. */
async function keyDirectory(): Promise<{ dir: string; sign: (claims: jose.JWTPayload, key?: CryptoKeyPair) => Promise<string>; pair: CryptoKeyPair }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'climate-jws-'));
  const pair = await jose.generateKeyPair('ES256', { extractable: true }) as unknown as CryptoKeyPair;
  fs.writeFileSync(path.join(dir, 'public.pem'), await jose.exportSPKI(pair.publicKey as unknown as jose.CryptoKey));
  fs.writeFileSync(path.join(dir, 'README'), 'not a key');
  const sign = (claims: jose.JWTPayload, key: CryptoKeyPair = pair) =>
    new jose.SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'JWT' }).sign(key.privateKey as unknown as jose.CryptoKey);
  return { dir, sign, pair };
}
type CryptoKeyPair = { publicKey: unknown; privateKey: unknown };

describe('JwsKeyRing', () => {
  const now = manualNow(Date.now());
  let keys: Awaited<ReturnType<typeof keyDirectory>>;
  let ring: JwsKeyRing;
  const claims = () => ({ sub: 'u1', exp: Math.floor(now() / 1000) + 60, iat: Math.floor(now() / 1000), openstack_project_id: 'p1' });

  beforeAll(async () => {
    keys = await keyDirectory();
    ring = await JwsKeyRing.load(keys.dir, { logger: silentLogger, now });
  });
  afterAll(() => fs.rmSync(keys.dir, { recursive: true, force: true }));

  it('loads the PEM public keys of the directory, skipping other files', () => {
    expect(ring.size).toBe(1);
  });

  it('accepts a token signed with one of the keys and returns its claims', async () => {
    expect(await ring.verify(await keys.sign(claims()))).toMatchObject({ sub: 'u1', openstack_project_id: 'p1' });
  });

  it('refuses forged, altered, unsigned, HMAC-signed, expired and malformed tokens', async () => {
    const other = await jose.generateKeyPair('ES256') as unknown as CryptoKeyPair;
    const good = await keys.sign(claims());
    const [h, p, s] = good.split('.');
    const altered = `${h}.${Buffer.from(JSON.stringify({ ...claims(), sub: 'admin' })).toString('base64url')}.${s}`;
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${p}.`;
    const hmac = await new jose.SignJWT(claims()).setProtectedHeader({ alg: 'HS256' }).sign(new Uint8Array(32));
    const expired = await keys.sign({ ...claims(), exp: Math.floor(now() / 1000) - 1 });
    const noExpiry = await keys.sign({ sub: 'u1' });
    const cases: [string, string, RegExp][] = [
      ['forged', await keys.sign(claims(), other), /signature is not valid/],
      ['altered', altered, /signature is not valid/],
      ['unsigned', none, /not signed with ES256/],
      ['hmac', hmac, /not signed with ES256/],
      ['expired', expired, /expired/],
      ['no expiry', noExpiry, /not valid: .*exp/],
      ['garbage', 'a.b.c', /malformed/],
    ];
    for (const [, token, message] of cases) {
      await expect(ring.verify(token)).rejects.toThrow(TokenRefused);
      await expect(ring.verify(token)).rejects.toThrow(message);
    }
  });

  it('reads the directory again (at most every 30 s) when a signature matches no key: key rotation', async () => {
    const next = await jose.generateKeyPair('ES256', { extractable: true }) as unknown as CryptoKeyPair;
    const token = await keys.sign(claims(), next);
    fs.writeFileSync(path.join(keys.dir, 'next.pem'), await jose.exportSPKI(next.publicKey as jose.CryptoKey));
    now.advance(31_000);
    await expect(ring.verify(await keys.sign(claims(), next))).resolves.toMatchObject({ sub: 'u1' });
    expect(ring.size).toBe(2);
    expect(token).toBeTruthy();
  });

  it('refuses a directory without keys at start-up', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'climate-jws-empty-'));
    try {
      await expect(JwsKeyRing.load(empty, { logger: silentLogger })).rejects.toThrow(/no PEM public key in/);
      await expect(JwsKeyRing.load(path.join(empty, 'nope'), { logger: silentLogger })).rejects.toThrow(/cannot read/);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});

/** A token source that counts calls and answers from a map; `hold` makes calls wait until released. */
class CountingSource implements TokenSource {
  calls = 0;
  readonly valid = new Map<string, TokenBody>();
  private gate: Promise<void> | null = null;
  private open: (() => void) | null = null;
  hold(): void {
    this.gate = new Promise((resolve) => { this.open = resolve; });
  }
  release(): void {
    this.open?.();
    this.gate = null;
  }
  async validate(token: string): Promise<TokenBody | null> {
    this.calls++;
    if (this.gate) await this.gate;
    return this.valid.get(token) ?? null;
  }
}

function body(userId: string, roles: string[], expiresAt: number, projectId = 'p1'): TokenBody {
  return {
    expires_at: new Date(expiresAt).toISOString(),
    user: { id: userId, name: userId, domain: { id: 'default' } },
    project: { id: projectId, name: `n-${projectId}`, domain: { id: 'default' } },
    roles: roles.map((name) => ({ name })),
    catalog: [{ type: 'compute', endpoints: [{ interface: 'public', url: 'http://nova' }] }],
  };
}

describe('TokenValidator', () => {
  const fernet = (n: number) => Buffer.concat([Buffer.from([0x80]), Buffer.alloc(8 + 16 + 16 + 32, n)]).toString('base64url');

  function make(options: { ttl?: number; size?: number; jws?: JwsKeyRing | null; now?: ReturnType<typeof manualNow> } = {}) {
    const now = options.now ?? manualNow(Date.now());
    const source = new CountingSource();
    const validator = new TokenValidator({
      source, jws: options.jws ?? null, cacheTtlMs: options.ttl ?? 300_000, cacheSize: options.size ?? 100, logger: silentLogger, now,
      isAdmin: (c) => c.roles.includes('admin'),
    });
    return { now, source, validator };
  }

  it('resolves a token with Keystone once, then serves it from the cache until token_cache_time', async () => {
    const { now, source, validator } = make({ ttl: 300_000 });
    const token = fernet(1);
    source.valid.set(token, body('u1', ['member', 'reader'], now() + 3_600_000));
    const identity = await validator.validate(token);
    expect(identity).toMatchObject({ userId: 'u1', projectId: 'p1', projectName: 'n-p1', roles: ['member', 'reader'], isAdmin: false, userDomainId: 'default' });
    expect(identity.catalog).toHaveLength(1);
    expect(Object.isFrozen(identity)).toBe(true);
    expect(validator.lookup(token)).toMatchObject({ identity });
    await validator.validate(token);
    expect(source.calls).toBe(1);
    now.advance(300_000);
    expect(validator.lookup(token)).not.toHaveProperty('identity');
    await validator.validate(token);
    expect(source.calls).toBe(2);
  });

  it('never keeps a token past its own expiry', async () => {
    const { now, source, validator } = make({ ttl: 300_000 });
    const token = fernet(2);
    source.valid.set(token, body('u1', ['member'], now() + 10_000));
    await validator.validate(token);
    now.advance(10_000);
    source.valid.delete(token);
    await expect(validator.validate(token)).rejects.toThrow(TokenRefused);
    expect(source.calls).toBe(2);
  });

  it('remembers Keystone\'s refusals for at most a minute', async () => {
    const { now, source, validator } = make({ ttl: 300_000 });
    const token = fernet(3);
    await expect(validator.validate(token)).rejects.toThrow('The token is not valid (unknown to Keystone, expired or revoked)');
    expect(validator.lookup(token)).toHaveProperty('refused');
    await expect(validator.validate(token)).rejects.toThrow(TokenRefused);
    expect(source.calls).toBe(1);
    now.advance(60_000);
    await expect(validator.validate(token)).rejects.toThrow(TokenRefused);
    expect(source.calls).toBe(2);
  });

  it('with token_cache_time = 0 asks Keystone every time', async () => {
    const { now, source, validator } = make({ ttl: 0 });
    const token = fernet(4);
    source.valid.set(token, body('u1', ['member'], now() + 3_600_000));
    await validator.validate(token);
    await validator.validate(token);
    expect(source.calls).toBe(2);
    expect(validator.cacheSize).toBe(0);
  });

  it('shares one Keystone call between concurrent requests with the same new token', async () => {
    const { now, source, validator } = make();
    const token = fernet(5);
    source.valid.set(token, body('u1', ['admin'], now() + 3_600_000));
    source.hold();
    const pending = Promise.all(Array.from({ length: 10 }, () => validator.validate(token)));
    await new Promise((resolve) => setImmediate(resolve));
    source.release();
    const identities = await pending;
    expect(source.calls).toBe(1);
    expect(new Set(identities).size).toBe(1);
    expect(identities[0].isAdmin).toBe(true);
  });

  it('bounds the cache', async () => {
    const { now, source, validator } = make({ size: 5 });
    for (let i = 0; i < 12; i++) {
      const token = fernet(10 + i);
      source.valid.set(token, body(`u${i}`, ['member'], now() + 3_600_000));
      await validator.validate(token);
    }
    expect(validator.cacheSize).toBe(5);
  });

  it('refuses malformed and oversized tokens without asking Keystone', async () => {
    const { source, validator } = make();
    for (const token of ['garbage', 'gAAAAA', 'x'.repeat(9000), 'a.b.c', `${Buffer.from('{"alg":"none"}').toString('base64url')}.e30.`]) {
      await expect(validator.validate(token)).rejects.toThrow(TokenRefused);
    }
    expect(source.calls).toBe(0);
  });

  it('without public keys, still refuses a JWS token that says it expired, unsent', async () => {
    const { now, source, validator } = make();
    const keys = await keyDirectory();
    try {
      const expired = await keys.sign({ sub: 'u1', exp: Math.floor(now() / 1000) - 5 });
      await expect(validator.validate(expired)).rejects.toThrow('The token has expired');
      expect(source.calls).toBe(0);
      const fresh = await keys.sign({ sub: 'u1', exp: Math.floor(now() / 1000) + 600 });
      source.valid.set(fresh, body('u1', ['member'], now() + 600_000));
      await expect(validator.validate(fresh)).resolves.toMatchObject({ userId: 'u1' });
      expect(source.calls).toBe(1);
    } finally {
      fs.rmSync(keys.dir, { recursive: true, force: true });
    }
  });

  it('with public keys, checks JWS tokens locally first and keeps them no longer than their exp', async () => {
    const keys = await keyDirectory();
    try {
      const now = manualNow(Date.now());
      const ring = await JwsKeyRing.load(keys.dir, { logger: silentLogger, now });
      const { source, validator } = make({ jws: ring, now });
      const exp = Math.floor(now() / 1000) + 30;
      const token = await keys.sign({ sub: 'u1', exp });
      source.valid.set(token, body('u1', ['member'], now() + 3_600_000)); // Keystone says later: the JWS exp wins
      await validator.validate(token);
      const forged = await keys.sign({ sub: 'u1', exp }, await jose.generateKeyPair('ES256') as unknown as CryptoKeyPair);
      await expect(validator.validate(forged)).rejects.toThrow(/signature/);
      expect(source.calls).toBe(1);
      now.advance(30_000);
      await expect(validator.validate(token)).rejects.toThrow('The token has expired');
      expect(source.calls).toBe(1);
    } finally {
      fs.rmSync(keys.dir, { recursive: true, force: true });
    }
  });
});
