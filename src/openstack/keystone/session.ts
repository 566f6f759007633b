import type { Logger } from '../../common';
import type { CatalogEntry } from './catalog';
import { KeystoneRequestError, KeystoneUnavailable } from './errors';
import { keystoneMessage, type KeystoneHttp } from './http';

/** The `token` object of Keystone's POST/GET /v3/auth/tokens answers (the fields Climate reads). */
export interface TokenBody {
  expires_at: string;
  issued_at?: string;
  methods?: string[];
  audit_ids?: string[];
  user: { id: string; name?: string; domain?: { id?: string; name?: string } };
  project?: { id: string; name?: string; domain?: { id?: string; name?: string } };
  domain?: { id: string; name?: string };
  system?: Record<string, boolean>;
  roles?: { id?: string; name: string }[];
  catalog?: CatalogEntry[];
  'OS-TRUST:trust'?: { id: string; impersonation?: boolean; trustor_user?: { id: string }; trustee_user?: { id: string } };
  application_credential?: { id: string; restricted?: boolean };
}

/** A token Climate holds (its own, or one scoped to a trust), with what Keystone said about it. */
export interface ScopedToken {
  token: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
  /** When Climate got it (ms since the epoch): with expiresAt, its lifetime. */
  obtainedAt: number;
  userId: string;
  projectId: string | null;
  roles: string[];
  catalog: CatalogEntry[];
}

/** Climate's service user, as [keystone_authtoken] names it. */
export interface ServiceUser {
  username: string;
  password: string;
  projectName: string;
  userDomainName: string;
  projectDomainName: string;
}

export interface KeystoneSessionOptions {
  logger: Logger;
  /** Milliseconds since the epoch; Date.now by default. */
  now?: () => number;
  /** Trust-scoped tokens kept for reuse (each until shortly before it expires). */
  trustTokenCacheSize?: number;
}

/**
 * Climate's session with Keystone: logs its service user in with a password, keeps the token and renews it
 * shortly before it expires (or when Keystone stops accepting it), validates users' tokens with it, and gets
 * trust-scoped tokens for work done on a user's behalf at lease event time.
 */
export class KeystoneSession {
  private current: ScopedToken | null = null;
  private pending: Promise<ScopedToken> | null = null;
  private readonly trustTokens = new Map<string, ScopedToken>();
  private readonly now: () => number;

  constructor(readonly http: KeystoneHttp, private readonly user: ServiceUser, private readonly options: KeystoneSessionOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Requests sent to Keystone so far (total and by operation). */
  get calls(): { total: number; byOperation: Record<string, number> } {
    return this.http.calls;
  }

  /** The service user's token, logging in again when the current one is close to expiry. */
  async serviceToken(): Promise<ScopedToken> {
    const current = this.current;
    if (current && !renewDue(current, this.now())) return current;
    this.pending ??= this.login(null).then(
      (token) => { this.current = token; this.pending = null; return token; },
      (error: unknown) => { this.pending = null; throw error; },
    );
    return this.pending;
  }

  /** Forgets the service token so the next call logs in again (Keystone refused it). */
  invalidateServiceToken(token?: string): void {
    if (!token || this.current?.token === token) this.current = null;
  }

  /** The service user's catalog (from its project-scoped token). */
  async catalog(): Promise<CatalogEntry[]> {
    return (await this.serviceToken()).catalog;
  }

  /**
   * What Keystone says about a user's token: its body, or null when Keystone does not know it as valid
   * (unknown, expired, revoked, its user or project disabled or deleted).
   * @throws KeystoneUnavailable when Keystone cannot answer, or refuses Climate's service user
   */
  async validate(subjectToken: string): Promise<TokenBody | null> {
    for (let attempt = 0; ; attempt++) {
      const service = await this.serviceToken();
      const res = await this.http.request('validate_token', 'GET', '/auth/tokens', { token: service.token, subjectToken });
      if (res.status === 200) {
        const token = (res.body as { token?: TokenBody } | null)?.token;
        if (!token?.user?.id || !token.expires_at) throw new KeystoneUnavailable('Keystone answered a token validation without a token body');
        return token;
      }
      if (res.status === 404) return null;
      if (res.status === 401 && attempt === 0) {
        // Our own token was revoked or expired early: log in again, once.
        this.invalidateServiceToken(service.token);
        continue;
      }
      if (res.status === 401 || res.status === 403) {
        throw new KeystoneUnavailable(
          `Climate's service user "${this.user.username}" may not validate tokens (Keystone answered ${res.status}: ` +
            `${keystoneMessage(res.body) || 'no reason given'}); it needs the "service" role (or admin) in project "${this.user.projectName}"`,
        );
      }
      throw new KeystoneUnavailable(`Keystone answered token validation with HTTP ${res.status}: ${keystoneMessage(res.body)}`);
    }
  }

  /**
   * A token scoped to `trustId` for the service user: with an impersonating trust it acts as the trustor,
   * with the trust's roles on the trust's project. Reused until shortly before it expires.
   * @throws KeystoneRequestError when Keystone refuses (trust deleted or expired, trustor disabled)
   * @throws KeystoneUnavailable when Keystone cannot answer
   */
  async trustScopedToken(trustId: string): Promise<ScopedToken> {
    const cached = this.trustTokens.get(trustId);
    if (cached && !renewDue(cached, this.now())) return cached;
    const token = await this.login(trustId);
    this.trustTokens.delete(trustId);
    this.trustTokens.set(trustId, token);
    const max = this.options.trustTokenCacheSize ?? 1000;
    while (this.trustTokens.size > max) this.trustTokens.delete(this.trustTokens.keys().next().value as string);
    return token;
  }

  /** Drops a cached trust-scoped token (its trust was deleted). */
  forgetTrust(trustId: string): void {
    this.trustTokens.delete(trustId);
  }

  /** Password login of the service user, scoped to its project or to a trust. */
  private async login(trustId: string | null): Promise<ScopedToken> {
    const u = this.user;
    const scope = trustId
      ? { 'OS-TRUST:trust': { id: trustId } }
      : { project: { name: u.projectName, domain: { name: u.projectDomainName } } };
    const body = {
      auth: {
        identity: { methods: ['password'], password: { user: { name: u.username, domain: { name: u.userDomainName }, password: u.password } } },
        scope,
      },
    };
    const operation = trustId ? 'trust_token' : 'service_login';
    const res = await this.http.request(operation, 'POST', '/auth/tokens', { body });
    const token = res.headers.get('x-subject-token');
    const parsed = (res.body as { token?: TokenBody } | null)?.token;
    if (res.status !== 201 || !token || !parsed) {
      if (trustId) throw new KeystoneRequestError(res.status, keystoneMessage(res.body), `getting a token for trust ${trustId}`);
      this.options.logger.error(`service user "${u.username}" could not log in to Keystone (HTTP ${res.status})`);
      throw new KeystoneUnavailable(
        `Climate's service user "${u.username}" could not log in to Keystone (HTTP ${res.status}: ` +
          `${keystoneMessage(res.body) || 'no reason given'}); check [keystone_authtoken] username, password, project_name and the domains`,
      );
    }
    return toScopedToken(token, parsed, this.now());
  }
}

/** Name, roles, project and expiry out of a token body. */
export function toScopedToken(token: string, body: TokenBody, obtainedAt: number): ScopedToken {
  return {
    token,
    expiresAt: Date.parse(body.expires_at),
    obtainedAt,
    userId: body.user.id,
    projectId: body.project?.id ?? null,
    roles: (body.roles ?? []).map((r) => r.name),
    catalog: body.catalog ?? [],
  };
}

/** Renew when less than a quarter of the lifetime, at most five minutes, is left (a 1 h token: 5 min before). */
function renewDue(token: ScopedToken, now: number): boolean {
  const margin = Math.min(5 * 60_000, Math.max(1000, (token.expiresAt - token.obtainedAt) / 4));
  return token.expiresAt - now <= margin;
}
