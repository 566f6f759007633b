/**
 * A small in-process stand-in for Keystone's v3 token and trust API, for unit tests and benchmarks that need
 * exact control (token lifetimes, failures, timing). Real-Keystone behaviour is tested against Debian's Keystone
 * (test/support/keystone.ts); this fake only answers the calls Climate makes:
 * POST /v3/auth/tokens (password login, project or trust scope), GET /v3/auth/tokens (validation),
 * POST /v3/OS-TRUST/trusts and DELETE /v3/OS-TRUST/trusts/{id}.
 */
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

type Json = Record<string, unknown>;

export interface FakeToken {
  userId: string;
  projectId: string | null;
  roles: string[];
  /** ms since the epoch */
  expiresAt: number;
  trustId?: string;
}

export interface FakeKeystoneOptions {
  serviceUser?: { name: string; password: string; project: string; id?: string; projectId?: string };
  /** Lifetime of the tokens it issues at login. */
  tokenLifetimeMs?: number;
  /** Added before each answer. */
  delayMs?: number;
  now?: () => number;
}

export interface FakeTrust {
  id: string;
  trustorUserId: string;
  trusteeUserId: string;
  projectId: string;
  roles: string[];
  impersonation: boolean;
  /** Whether tokens scoped to it may make further trusts (Keystone's allow_redelegation). */
  allowRedelegation: boolean;
  /** The trust whose token made this one (a redelegation). */
  redelegatedTrustId?: string;
}

export const FAKE_CATALOG = [
  {
    type: 'compute', name: 'nova', endpoints: [
      { interface: 'public', region_id: 'RegionOne', region: 'RegionOne', url: 'http://nova.public:8774/v2.1/' },
      { interface: 'internal', region_id: 'RegionOne', region: 'RegionOne', url: 'http://nova.internal:8774/v2.1' },
      { interface: 'internal', region_id: 'RegionTwo', region: 'RegionTwo', url: 'http://nova.two:8774/v2.1' },
    ],
  },
  { type: 'placement', name: 'placement', endpoints: [{ interface: 'public', region_id: 'RegionOne', url: 'http://placement:8778' }] },
];

export class FakeKeystone {
  /** Tokens it knows as valid, by token string. Tests add user tokens here. */
  readonly tokens = new Map<string, FakeToken>();
  readonly trusts = new Map<string, FakeTrust>();
  /** Every request: "METHOD /path". */
  readonly requests: string[] = [];
  /** The X-OpenStack-Request-ID of every request, in the same order. */
  readonly requestIds: (string | undefined)[] = [];
  /** Statuses to answer the next requests with instead of handling them. */
  readonly failures: number[] = [];
  private server: http.Server | null = null;
  url = '';
  readonly serviceUser: Required<NonNullable<FakeKeystoneOptions['serviceUser']>>;
  private readonly now: () => number;

  constructor(private readonly options: FakeKeystoneOptions = {}) {
    const su = options.serviceUser ?? { name: 'climate', password: 'secret', project: 'service' };
    this.serviceUser = { id: 'climate-user-id', projectId: 'service-project-id', ...su };
    this.now = options.now ?? Date.now;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => { body += chunk.toString(); });
      req.on('end', () => {
        const answer = () => this.handle(req, body, res);
        if (this.options.delayMs) setTimeout(answer, this.options.delayMs);
        else answer();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v3`;
    return this;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = null;
  }

  /** Registers a valid user token and returns it. */
  addToken(token: string, t: Partial<FakeToken> & { userId: string }): string {
    this.tokens.set(token, { projectId: 'p1', roles: ['member', 'reader'], expiresAt: this.now() + 3_600_000, ...t });
    return token;
  }

  count(prefix: string): number {
    return this.requests.filter((r) => r.startsWith(prefix)).length;
  }

  tokenBody(t: FakeToken): Json {
    return {
      expires_at: new Date(t.expiresAt).toISOString().replace('Z', '000Z'),
      issued_at: new Date(this.now()).toISOString(),
      methods: ['password'],
      user: { id: t.userId, name: `name-of-${t.userId}`, domain: { id: 'default', name: 'Default' } },
      ...(t.projectId ? { project: { id: t.projectId, name: `name-of-${t.projectId}`, domain: { id: 'default', name: 'Default' } } } : {}),
      roles: t.roles.map((name) => ({ id: `id-${name}`, name })),
      catalog: FAKE_CATALOG,
      ...(t.trustId ? { 'OS-TRUST:trust': { id: t.trustId, impersonation: true } } : {}),
    };
  }

  private send(res: http.ServerResponse, status: number, body?: Json, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(body ? JSON.stringify(body) : undefined);
  }

  private error(res: http.ServerResponse, status: number, message: string): void {
    this.send(res, status, { error: { code: status, message, title: 'Error' } });
  }

  private valid(token: string | undefined): FakeToken | null {
    const t = token ? this.tokens.get(token) : undefined;
    return t && t.expiresAt > this.now() ? t : null;
  }

  private handle(req: http.IncomingMessage, raw: string, res: http.ServerResponse): void {
    const path = (req.url ?? '').replace(/^\/v3/, '');
    this.requests.push(`${req.method} ${path}`);
    this.requestIds.push(req.headers['x-openstack-request-id'] as string | undefined);
    const forced = this.failures.shift();
    if (forced) return this.error(res, forced, `forced ${forced}`);
    const body = raw ? (JSON.parse(raw) as Json) : {};
    const authToken = req.headers['x-auth-token'] as string | undefined;

    if (req.method === 'POST' && path === '/auth/tokens') {
      const auth = body.auth as { identity: { password: { user: { name: string; password: string } } }; scope?: Json };
      const user = auth.identity.password.user;
      const su = this.serviceUser;
      if (user.name !== su.name || user.password !== su.password) return this.error(res, 401, 'The request you have made requires authentication.');
      const trustScope = (auth.scope?.['OS-TRUST:trust'] as { id: string } | undefined)?.id;
      let t: FakeToken;
      if (trustScope) {
        const trust = this.trusts.get(trustScope);
        if (!trust) return this.error(res, 404, `Could not find trust: ${trustScope}.`);
        t = { userId: trust.trustorUserId, projectId: trust.projectId, roles: trust.roles, expiresAt: this.now() + (this.options.tokenLifetimeMs ?? 3_600_000), trustId: trust.id };
      } else {
        t = { userId: su.id, projectId: su.projectId, roles: ['service'], expiresAt: this.now() + (this.options.tokenLifetimeMs ?? 3_600_000) };
      }
      const token = `fake-${randomUUID()}`;
      this.tokens.set(token, t);
      return this.send(res, 201, { token: this.tokenBody(t) }, { 'X-Subject-Token': token });
    }
    const caller = this.valid(authToken);
    if (!caller) return this.error(res, 401, 'The request you have made requires authentication.');
    if (req.method === 'GET' && path === '/auth/tokens') {
      if (!caller.roles.includes('service')) return this.error(res, 403, 'You are not authorized to perform the requested action: identity:validate_token.');
      const subject = this.valid(req.headers['x-subject-token'] as string | undefined);
      if (!subject) return this.error(res, 404, 'Could not find token.');
      return this.send(res, 200, { token: this.tokenBody(subject) });
    }
    if (req.method === 'POST' && path === '/OS-TRUST/trusts') {
      // As Keystone: a trust-scoped token makes a trust only when its own trust allows redelegation.
      const parent = caller.trustId ? this.trusts.get(caller.trustId) : undefined;
      if (caller.trustId && !parent?.allowRedelegation) {
        return this.error(res, 403, 'Remaining redelegation depth of 0 out of allowed range of [0..3].');
      }
      const t = body.trust as {
        trustor_user_id: string; trustee_user_id: string; project_id: string; roles: { name: string }[]; impersonation: boolean; allow_redelegation?: boolean;
      };
      if (t.trustor_user_id !== caller.userId) return this.error(res, 403, 'You are not authorized to perform the requested action: identity:create_trust.');
      const trust: FakeTrust = {
        id: randomUUID().replace(/-/g, ''), trustorUserId: t.trustor_user_id, trusteeUserId: t.trustee_user_id,
        projectId: t.project_id, roles: t.roles.map((r) => r.name), impersonation: t.impersonation,
        allowRedelegation: t.allow_redelegation === true, ...(parent ? { redelegatedTrustId: parent.id } : {}),
      };
      this.trusts.set(trust.id, trust);
      return this.send(res, 201, { trust: { id: trust.id } });
    }
    const trustPath = /^\/OS-TRUST\/trusts\/([^/]+)$/.exec(path);
    if (req.method === 'DELETE' && trustPath) {
      const trust = this.trusts.get(trustPath[1]);
      if (!trust) return this.error(res, 404, `Could not find trust: ${trustPath[1]}.`);
      if (caller.userId !== trust.trustorUserId) return this.error(res, 403, 'You are not authorized to perform the requested action: identity:delete_trust.');
      this.trusts.delete(trust.id);
      return this.send(res, 204);
    }
    return this.error(res, 404, `no fake for ${req.method} ${path}`);
  }
}
