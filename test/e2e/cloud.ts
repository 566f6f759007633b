/**
 * The real OpenStack of the end-to-end tests (tools/ensure-openstack.sh): starting it, what it wrote in its
 * cloud.json, and plain-HTTP access to Keystone and Nova as its users (no CLI: a call costs milliseconds, not
 * seconds).
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cleanEnv } from '../support/keystone';

const REPO = path.resolve(__dirname, '../..');
const ENSURE = path.join(REPO, 'tools', 'ensure-openstack.sh');
const STATE = process.env.CLIMATE_OS_STATE || path.join(REPO, 'var', 'openstack');

/** Packages (once, a few minutes) plus a cold start (1.5-3 minutes on a loaded 2-core machine), with room. */
export const CLOUD_START_TIMEOUT_MS = 15 * 60_000;
/** The compute microversion the tests speak: "networks": "none" needs 2.37. */
const COMPUTE_MICROVERSION = '2.60';

export interface Credentials { username: string; password: string; project: string }

export interface Cloud {
  auth_url: string;
  region: string;
  admin: Credentials;
  climate: Credentials;
  demo: Credentials;
  alt_demo: Credentials;
  endpoints: Record<'identity' | 'placement' | 'compute' | 'image' | 'orchestration' | 'network', string>;
  computes: string[];
  image: string;
  flavor: string;
  freepool: string;
  logs: string;
}

/** Starts the cloud unless it is up (and points its `reservation` endpoint at `reservationUrl` if given). */
export async function ensureCloud(reservationUrl?: string): Promise<Cloud> {
  const args = [ENSURE, ...(reservationUrl ? ['--reservation-url', reservationUrl] : [])];
  await new Promise<void>((resolve, reject) => {
    execFile('bash', args, { env: cleanEnv, timeout: CLOUD_START_TIMEOUT_MS, maxBuffer: 16 << 20 }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`tools/ensure-openstack.sh failed: ${error.message}\n${stderr.slice(-4000)}`));
      else resolve();
    });
  });
  return JSON.parse(fs.readFileSync(path.join(STATE, 'cloud.json'), 'utf8')) as Cloud;
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export class HttpError extends Error {
  constructor(readonly status: number, readonly body: string, message: string) {
    super(message);
  }
}

/** One JSON request; throws HttpError unless the status is one of `expected`. */
export async function http(method: string, url: string, token: string | null, body?: unknown, headers: Record<string, string> = {},
  expected: number[] = [200, 201, 202, 204]): Promise<{ status: number; json: Json; headers: Headers }> {
  const all: Record<string, string> = { Accept: 'application/json', ...headers };
  if (token) all['X-Auth-Token'] = token;
  if (body !== undefined) all['Content-Type'] = 'application/json';
  const res = await fetch(url, { method, headers: all, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (!expected.includes(res.status)) throw new HttpError(res.status, text, `${method} ${url}: ${res.status} ${text.slice(0, 2000)}`);
  return { status: res.status, json: text ? (JSON.parse(text) as Json) : {}, headers: res.headers };
}

/** A user's project-scoped token and who Keystone says they are. */
export interface Session { token: string; userId: string; projectId: string }

export async function login(cloud: Cloud, who: Credentials): Promise<Session> {
  const res = await http('POST', `${cloud.auth_url}/auth/tokens`, null, {
    auth: {
      identity: { methods: ['password'], password: { user: { name: who.username, domain: { id: 'default' }, password: who.password } } },
      scope: { project: { name: who.project, domain: { id: 'default' } } },
    },
  });
  return { token: res.headers.get('x-subject-token')!, userId: res.json.token.user.id, projectId: res.json.token.project.id };
}

/** Nova's compute API as one user. */
export class Nova {
  constructor(private readonly cloud: Cloud, readonly session: Session) {}

  async call(method: string, pathAndQuery: string, body?: unknown, expected?: number[]): Promise<Json> {
    const headers = { 'OpenStack-API-Version': `compute ${COMPUTE_MICROVERSION}` };
    return (await http(method, `${this.cloud.endpoints.compute}${pathAndQuery}`, this.session.token, body, headers, expected)).json;
  }

  async aggregates(): Promise<Json[]> {
    return (await this.call('GET', '/os-aggregates')).aggregates as Json[];
  }

  async aggregateNamed(name: string): Promise<Json | undefined> {
    return (await this.aggregates()).find((a) => a.name === name);
  }

  async hypervisors(): Promise<Json[]> {
    return (await this.call('GET', '/os-hypervisors/detail')).hypervisors as Json[];
  }

  async server(id: string): Promise<Json | null> {
    const res = await this.call('GET', `/servers/${id}`, undefined, [200, 404]);
    return (res.server as Json | undefined) ?? null;
  }

  /** Boots a server without network on the cloud's image and flavor; returns its id. */
  async boot(name: string, hints: Record<string, string> = {}): Promise<string> {
    const flavor = ((await this.call('GET', '/flavors')).flavors as Json[]).find((f) => f.name === this.cloud.flavor)!;
    const images = await http('GET', `${this.cloud.endpoints.image}/v2/images?name=${this.cloud.image}`, this.session.token);
    const body: Json = { server: { name, imageRef: images.json.images[0].id, flavorRef: flavor.id, networks: 'none' } };
    if (Object.keys(hints).length) body['os:scheduler_hints'] = hints;
    return ((await this.call('POST', '/servers', body)).server as Json).id as string;
  }

  /** Waits until the server is ACTIVE or ERROR (scheduling failed); returns it. */
  async settled(id: string, timeoutMs = 180_000): Promise<Json> {
    return waitFor(`server ${id} ACTIVE or ERROR`, async () => {
      const server = await this.server(id);
      return server && ['ACTIVE', 'ERROR'].includes(server.status as string) ? server : null;
    }, timeoutMs);
  }

  async serversOfAllProjects(): Promise<Json[]> {
    return (await this.call('GET', '/servers/detail?all_tenants=1')).servers as Json[];
  }

  async deleteServer(id: string): Promise<void> {
    await this.call('DELETE', `/servers/${id}`, undefined, [204, 404]);
    await waitFor(`server ${id} gone`, async () => ((await this.server(id)) ? null : true), 180_000);
  }

  /**
   * Back to the cloud as tools/ensure-openstack.sh leaves it: no server, no aggregate but an empty freepool.
   * Climate's database is new in every test file, so whatever an earlier run left in Nova is stale.
   */
  async reset(freepool: string): Promise<void> {
    for (const server of await this.serversOfAllProjects()) await this.deleteServer(server.id as string);
    for (const aggregate of await this.aggregates()) {
      for (const host of aggregate.hosts as string[]) {
        await this.call('POST', `/os-aggregates/${aggregate.id}/action`, { remove_host: { host } });
      }
      if (aggregate.name !== freepool) await this.call('DELETE', `/os-aggregates/${aggregate.id}`);
    }
    if (!(await this.aggregateNamed(freepool))) await this.call('POST', '/os-aggregates', { aggregate: { name: freepool } });
  }
}

/** Polls `probe` until it returns something other than null (every 0.5 s, up to `timeoutMs`). */
export async function waitFor<T>(what: string, probe: () => Promise<T | null>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
