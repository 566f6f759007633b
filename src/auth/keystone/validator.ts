import { decodeJwt, decodeProtectedHeader } from 'jose';
import type { Logger } from '../../common';
import type { TokenBody } from '../../openstack/keystone/session';
import type { RequestContext } from '../context';
import { TokenRefused } from './errors';
import { looksLikeJws, type JwsKeyRing } from './jws';
import { tokenKey, TtlCache } from './token-cache';

/** Who a token belongs to: a request context without the per-request parts. */
export type TokenIdentity = Readonly<Omit<RequestContext, 'requestId' | 'authToken'>> & { expiresAt: number };

/** Where tokens are resolved (Keystone's GET /v3/auth/tokens): the token body, or null when Keystone refuses it. */
export interface TokenSource {
  validate(token: string): Promise<TokenBody | null>;
}

export interface TokenValidatorOptions {
  source: TokenSource;
  /** Verifies JWS tokens locally; null when no key repository is configured. */
  jws: JwsKeyRing | null;
  /** How long a validated token is trusted without asking Keystone again; 0: ask every time. */
  cacheTtlMs: number;
  /** Most tokens remembered (valid and refused together). */
  cacheSize: number;
  /** Whether an identity is an administrator (policy rule "admin"). */
  isAdmin: (identity: Omit<RequestContext, 'isAdmin'>) => boolean;
  logger: Logger;
  now?: () => number;
}

/** Longer tokens are refused unread (Keystone's are a few hundred characters). */
export const MAX_TOKEN_LENGTH = 8192;
/** Tokens Keystone refused are remembered at most this long. */
const REFUSAL_TTL_MS = 60_000;

type Cached = { identity: TokenIdentity } | { refused: string };

/** The result of the synchronous cache look-up a request starts with. */
export type CacheLookup = { key: string; identity: TokenIdentity } | { key: string; refused: string } | { key: string };

/**
 * Fernet tokens (Keystone's default provider) are url-safe base64 of: version byte 0x80, 8-byte time, 16-byte IV,
 * ciphertext in 16-byte blocks, 32-byte HMAC. Only Keystone can check them, but anything else is refused unsent.
 */
export function looksLikeFernet(token: string): boolean {
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(token)) return false;
  const bytes = Buffer.from(token, 'base64url');
  // Trailing characters that decode to no whole byte are dropped by Buffer.from: the length must match exactly.
  const unpadded = token.replace(/=+$/, '').length;
  return unpadded === Math.ceil((bytes.length * 4) / 3) && bytes.length >= 73 && bytes[0] === 0x80 && (bytes.length - 57) % 16 === 0;
}

/** A token body from Keystone as an identity (isAdmin decided by policy). */
export function identityOf(body: TokenBody, isAdmin: TokenValidatorOptions['isAdmin']): TokenIdentity {
  const base = {
    userId: body.user.id,
    userName: body.user.name ?? null,
    userDomainId: body.user.domain?.id ?? null,
    projectId: body.project?.id ?? null,
    projectName: body.project?.name ?? null,
    projectDomainId: body.project?.domain?.id ?? null,
    domainId: body.domain?.id ?? null,
    roles: Object.freeze((body.roles ?? []).map((r) => r.name)),
    catalog: Object.freeze(body.catalog ?? []),
    trustId: body['OS-TRUST:trust']?.id ?? null,
    expiresAt: Date.parse(body.expires_at),
  };
  return Object.freeze({ ...base, isAdmin: isAdmin({ ...base, requestId: '' }) });
}

/**
 * Validates Keystone tokens: shape and (for JWS, when keys are configured) signature and expiry locally, then
 * user, project, roles and catalog from Keystone, remembered for cacheTtlMs under the token's hash. Concurrent
 * requests with the same new token share one Keystone call.
 */
export class TokenValidator {
  private readonly cache: TtlCache<Cached>;
  private readonly inflight = new Map<string, Promise<TokenIdentity>>();
  private readonly now: () => number;

  constructor(private readonly options: TokenValidatorOptions) {
    this.now = options.now ?? Date.now;
    this.cache = new TtlCache<Cached>(options.cacheSize, this.now);
  }

  /** Tokens currently remembered. */
  get cacheSize(): number {
    return this.cache.size;
  }

  /** Forgets every remembered token. */
  clearCache(): void {
    this.cache.clear();
  }

  /** Synchronous cache look-up: the remembered identity or refusal, if any. */
  lookup(token: string): CacheLookup {
    const key = tokenKey(token);
    const hit = this.cache.get(key);
    if (!hit) return { key };
    return 'identity' in hit ? { key, identity: hit.identity } : { key, refused: hit.refused };
  }

  /**
   * The identity of `token`.
   * @throws TokenRefused (401) when it is not valid
   * @throws KeystoneUnavailable (503) when Keystone cannot say
   */
  async validate(token: string, key: string = tokenKey(token)): Promise<TokenIdentity> {
    const hit = this.cache.get(key);
    if (hit) {
      if ('identity' in hit) return hit.identity;
      throw new TokenRefused(hit.refused);
    }
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.resolve(token, key).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  /**
   * Without the public keys a JWS token cannot be verified here, but one that is not even shaped like Keystone's
   * (ES256, an expiry in the future) is refused unsent. Its claims are only trusted for that: Keystone decides.
   */
  private unverifiedJwsExpiry(token: string): number {
    let exp: unknown;
    try {
      if (decodeProtectedHeader(token).alg !== 'ES256') throw new TokenRefused('The token is not signed with ES256');
      exp = decodeJwt(token).exp;
    } catch (error) {
      if (error instanceof TokenRefused) throw error;
      throw new TokenRefused('The token is malformed');
    }
    if (typeof exp !== 'number') throw new TokenRefused('The token is malformed');
    if (exp * 1000 <= this.now()) throw new TokenRefused('The token has expired');
    return exp * 1000;
  }

  private async resolve(token: string, key: string): Promise<TokenIdentity> {
    if (token.length > MAX_TOKEN_LENGTH) throw new TokenRefused('The token is too long');
    let jwsExpiry = Infinity;
    if (looksLikeJws(token)) {
      jwsExpiry = this.options.jws ? (await this.options.jws.verify(token)).exp * 1000 : this.unverifiedJwsExpiry(token);
    } else if (!looksLikeFernet(token)) {
      throw new TokenRefused('The token is malformed');
    }

    const body = await this.options.source.validate(token);
    const ttl = this.options.cacheTtlMs;
    if (!body) {
      const reason = 'The token is not valid (unknown to Keystone, expired or revoked)';
      if (ttl > 0) this.cache.set(key, { refused: reason }, this.now() + Math.min(ttl, REFUSAL_TTL_MS));
      throw new TokenRefused(reason);
    }
    // (A JWS token's "sub" is not compared with Keystone's user: for an impersonating trust they differ.)
    const identity = identityOf(body, this.options.isAdmin);
    if (!(identity.expiresAt > this.now())) throw new TokenRefused('The token has expired');
    if (ttl > 0) this.cache.set(key, { identity }, Math.min(this.now() + ttl, identity.expiresAt, jwsExpiry));
    return identity;
  }
}
