/**
 * Keystone's REST API as the tests need it: log in, create projects, users, role assignments, catalog entries,
 * look at trusts. Plain HTTP (no openstack CLI), so setting up a world of users takes a second.
 */

import type { ClimateConfig, DeepPartial } from '../../src/config';
import type { TestKeystone } from './keystone';

type Json = Record<string, unknown>;

/** A user of a test world: its name, the project it is a member of, and its role there. */
export type WorldUser = readonly [name: string, project: string, role: string];

/** Climate's own service user, made in every test world: keystone mode logs in as it. */
const CLIMATE_USER: WorldUser = ['climate', 'service', 'service'];

export interface Login {
  token: string;
  /** The `token` object of Keystone's answer. */
  body: Json & { user: { id: string }; project?: { id: string }; roles?: { name: string }[]; expires_at: string };
}

export interface Trust {
  id: string;
  trustor_user_id: string;
  trustee_user_id: string;
  project_id: string;
  impersonation: boolean;
  roles: { name: string }[];
}

export class KeystoneApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

async function call(url: string, method: string, path: string, token: string | null, body?: unknown): Promise<{ status: number; headers: Headers; json: Json }> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (token) headers['X-Auth-Token'] = token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? (JSON.parse(text) as Json) : {} };
}

/** Password login; scoped to a project (by name, default domain) unless `scope` says otherwise. */
export async function login(url: string, user: string, password: string, scope?: { project?: string; trustId?: string }): Promise<Login> {
  const auth: Json = { identity: { methods: ['password'], password: { user: { name: user, domain: { id: 'default' }, password } } } };
  if (scope?.project) auth.scope = { project: { name: scope.project, domain: { id: 'default' } } };
  if (scope?.trustId) auth.scope = { 'OS-TRUST:trust': { id: scope.trustId } };
  const res = await call(url, 'POST', '/auth/tokens', null, { auth });
  const token = res.headers.get('x-subject-token');
  if (res.status !== 201 || !token) throw new KeystoneApiError(res.status, `login of ${user}: ${res.status} ${JSON.stringify(res.json)}`);
  return { token, body: res.json.token as Login['body'] };
}

/** An administrator's view of Keystone (the bootstrap admin, project-scoped to "admin"). */
export class KeystoneAdmin {
  private roleIds = new Map<string, string>();

  private constructor(readonly url: string, private token: string) {}

  static async connect(url: string, adminPassword: string): Promise<KeystoneAdmin> {
    return new KeystoneAdmin(url, (await login(url, 'admin', adminPassword, { project: 'admin' })).token);
  }

  private async request(method: string, path: string, body?: unknown, expected: number[] = [200, 201, 204]): Promise<Json> {
    const res = await call(this.url, method, path, this.token, body);
    if (!expected.includes(res.status)) throw new KeystoneApiError(res.status, `${method} ${path}: ${res.status} ${JSON.stringify(res.json)}`);
    return res.json;
  }

  /** The id of a role, created if missing. */
  async role(name: string): Promise<string> {
    if (!this.roleIds.size) {
      for (const r of (await this.request('GET', '/roles')).roles as { id: string; name: string }[]) this.roleIds.set(r.name, r.id);
    }
    let id = this.roleIds.get(name);
    if (!id) {
      id = ((await this.request('POST', '/roles', { role: { name } })).role as { id: string }).id;
      this.roleIds.set(name, id);
    }
    return id;
  }

  async createProject(name: string): Promise<string> {
    return ((await this.request('POST', '/projects', { project: { name, domain_id: 'default' } })).project as { id: string }).id;
  }

  async createUser(name: string, password: string): Promise<string> {
    return ((await this.request('POST', '/users', { user: { name, password, domain_id: 'default' } })).user as { id: string }).id;
  }

  async grant(userId: string, projectId: string, role: string): Promise<void> {
    await this.request('PUT', `/projects/${projectId}/users/${userId}/roles/${await this.role(role)}`);
  }

  /** A user with `role` on the project, in one go. */
  async createMember(name: string, password: string, projectId: string, role: string): Promise<string> {
    const id = await this.createUser(name, password);
    await this.grant(id, projectId, role);
    return id;
  }

  /**
   * The projects and users of a test world in one go, all users with `password`: each project the users name
   * (made once), then each user with its role on its project. Climate's service user (climate, role service in
   * project service) is always among them. Answers the ids of the projects and users, by name.
   */
  async createWorld(password: string, users: readonly WorldUser[]): Promise<Record<string, string>> {
    const all = [CLIMATE_USER, ...users];
    const ids: Record<string, string> = {};
    for (const [, project] of all) ids[project] ??= await this.createProject(project);
    for (const [name, project, role] of all) ids[name] = await this.createMember(name, password, ids[project], role);
    return ids;
  }

  async deleteUser(id: string): Promise<void> {
    await this.request('DELETE', `/users/${id}`);
  }

  /** A catalog entry: service of `type` with one endpoint per interface. */
  async registerService(type: string, name: string, url: string, region: string, interfaces = ['public']): Promise<string> {
    const id = ((await this.request('POST', '/services', { service: { type, name, enabled: true } })).service as { id: string }).id;
    for (const iface of interfaces) {
      await this.request('POST', '/endpoints', { endpoint: { service_id: id, interface: iface, url, region_id: region, enabled: true } });
    }
    return id;
  }
}

/** Revokes a token (DELETE /v3/auth/tokens, asked with the token itself). */
export async function revokeToken(url: string, token: string): Promise<void> {
  const res = await fetch(`${url}/auth/tokens`, { method: 'DELETE', headers: { 'X-Auth-Token': token, 'X-Subject-Token': token } });
  if (res.status !== 204) throw new KeystoneApiError(res.status, `revoke token: ${res.status} ${await res.text()}`);
}

/** The trusts `token`'s user has given (asked as that user: Keystone lets trustors list their own). */
export async function trustsOf(url: string, token: string, trustorUserId: string): Promise<Trust[]> {
  const res = await call(url, 'GET', `/OS-TRUST/trusts?trustor_user_id=${trustorUserId}`, token);
  if (res.status !== 200) throw new KeystoneApiError(res.status, `list trusts: ${res.status} ${JSON.stringify(res.json)}`);
  const trusts = res.json.trusts as Trust[];
  // The list leaves roles out: read each trust.
  return Promise.all(trusts.map(async (t) => {
    const one = await call(url, 'GET', `/OS-TRUST/trusts/${t.id}`, token);
    return (one.status === 200 ? one.json.trust : t) as Trust;
  }));
}

/**
 * Climate's configuration for keystone mode against `keystone`, logging in as the service user `createWorld`
 * makes; JWS tokens are checked with the Keystone's public keys when it issues them. `authtoken` adds or
 * overrides [keystone_authtoken] options.
 */
export function keystoneMode(keystone: Pick<TestKeystone, 'url' | 'provider' | 'jwsPublicKeyRepository'>, password: string,
  authtoken: DeepPartial<ClimateConfig['keystoneAuthtoken']> = {}): DeepPartial<ClimateConfig> {
  return {
    default: { authStrategy: 'keystone' },
    keystoneAuthtoken: {
      authUrl: keystone.url, username: CLIMATE_USER[0], password, projectName: CLIMATE_USER[1],
      jwsPublicKeyRepository: keystone.provider === 'jws' ? keystone.jwsPublicKeyRepository : '', ...authtoken,
    },
  };
}
