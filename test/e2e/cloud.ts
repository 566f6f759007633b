/**
 * The real OpenStack of the end-to-end tests (tools/ensure-openstack.sh): starting it, what it wrote in its
 * cloud.json, and plain-HTTP access to Keystone and Nova as its users (no CLI: a call costs milliseconds, not
 * seconds).
 *
 * The suite's files end in .e2e.ts, outside `npm test` for now: the README's set-up section shows the jest command.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cleanEnv } from '../support/keystone';

const REPO = path.resolve(__dirname, '../..');
const ENSURE = path.join(REPO, 'tools', 'ensure-openstack.sh');
const COMPUTE = path.join(REPO, 'tools', 'openstack', 'compute.sh');
const STATE = process.env.CLIMATE_OS_STATE || path.join(REPO, 'var', 'openstack');

/** Packages (once, a few minutes) plus a cold start (1.5-3 minutes on a loaded 2-core machine), with room. */
export const CLOUD_START_TIMEOUT_MS = 15 * 60_000;
/** The compute microversion the tests speak (Climate's; "networks": "none" needs 2.37, a group's single "policy" 2.64). */
const COMPUTE_MICROVERSION = '2.64';

export interface Credentials { username: string; password: string; project: string }

export interface Cloud {
  auth_url: string;
  region: string;
  admin: Credentials;
  climate: Credentials;
  demo: Credentials;
  alt_demo: Credentials;
  /** volume: Cinder's v3 API without the project (…/v3/{project_id}/… follows). */
  endpoints: Record<'identity' | 'placement' | 'compute' | 'image' | 'orchestration' | 'network' | 'volume', string>;
  computes: string[];
  image: string;
  flavor: string;
  freepool: string;
  /** Name of the external network (flat, 172.24.4.0/24, floating IPs from .10 to .250). */
  external_network: string;
  /** Cinder's one pool (host@backend#pool). */
  volume_pool: string;
  logs: string;
}

/**
 * The cloud for one test file: started unless it is up, and held until `release()`. Test files reset what is in
 * Nova and register its hosts in their own Climate, so two of them (jest runs files in parallel) must not use it
 * at the same time: the first waits for the other to release it (a lock directory in the state directory).
 */
export async function useCloud(reservationUrl?: string): Promise<{ cloud: Cloud; release(): void }> {
  const release = await lock(path.join(STATE, '..', 'openstack-e2e.lock'), CLOUD_START_TIMEOUT_MS);
  try {
    return { cloud: await ensureCloud(reservationUrl), release };
  } catch (error) {
    release();
    throw error;
  }
}

/** Takes a lock directory (holding the owner's pid: a dead owner's lock is taken over); returns its release. */
async function lock(dir: string, timeoutMs: number): Promise<() => void> {
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'pid'), String(process.pid));
      return () => fs.rmSync(dir, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = lockOwner(dir);
    if (owner && !alive(owner)) fs.rmSync(dir, { recursive: true, force: true });
    if (Date.now() > deadline) throw new Error(`the e2e cloud is still in use by process ${owner} (${dir})`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** The pid in a lock directory; 0 while it is being written (or just removed). */
function lockOwner(dir: string): number {
  try {
    return Number(fs.readFileSync(path.join(dir, 'pid'), 'utf8')) || 0;
  } catch {
    return 0;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
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

/** Stops or starts the nova-compute process of one host (tools/openstack/compute.sh). */
export async function computeProcess(action: 'stop' | 'start', host: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    execFile('bash', [COMPUTE, action, host], { env: cleanEnv, timeout: 120_000 }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`tools/openstack/compute.sh ${action} ${host} failed: ${error.message}\n${stderr}`));
      else resolve();
    });
  });
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

  /**
   * Boots a server without network on the cloud's image, of the given flavor (the cloud's by default); returns its
   * id. An admin may name the host with `availabilityZone` "nova:HOST" (Nova then skips the scheduler's filters).
   */
  async boot(name: string, hints: Record<string, string> = {}, flavorId?: string, availabilityZone?: string): Promise<string> {
    const flavor = flavorId ?? ((await this.call('GET', '/flavors')).flavors as Json[]).find((f) => f.name === this.cloud.flavor)!.id;
    const images = await http('GET', `${this.cloud.endpoints.image}/v2/images?name=${this.cloud.image}`, this.session.token);
    const body: Json = { server: { name, imageRef: images.json.images[0].id, flavorRef: flavor, networks: 'none' } };
    if (availabilityZone) body.server.availability_zone = availabilityZone;
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

  /** The nova-compute service of a host. */
  async computeService(host: string): Promise<Json> {
    return ((await this.call('GET', `/os-services?binary=nova-compute&host=${host}`)).services as Json[])[0];
  }

  /** Enables or disables a host's nova-compute service (what `openstack compute service set --enable/--disable` does). */
  async setComputeService(host: string, enabled: boolean): Promise<void> {
    const id = (await this.computeService(host)).id as string;
    await this.call('PUT', `/os-services/${id}`, enabled ? { status: 'enabled' } : { status: 'disabled', disabled_reason: 'e2e test' });
  }

  /**
   * Back to the cloud as tools/ensure-openstack.sh leaves it: every compute service enabled, no server, no aggregate but an empty freepool, no server\n   * group, no flavor but the cloud's.
   * Climate's database is new in every test file, so whatever an earlier run left in Nova is stale.
   */
  async reset(freepool: string): Promise<void> {
    for (const service of (await this.call('GET', '/os-services?binary=nova-compute')).services as Json[]) {
      if (service.status !== 'enabled') await this.setComputeService(service.host as string, true);
    }
    for (const server of await this.serversOfAllProjects()) await this.deleteServer(server.id as string);
    for (const aggregate of await this.aggregates()) {
      for (const host of aggregate.hosts as string[]) {
        await this.call('POST', `/os-aggregates/${aggregate.id}/action`, { remove_host: { host } });
      }
      if (aggregate.name !== freepool) await this.call('DELETE', `/os-aggregates/${aggregate.id}`);
    }
    if (!(await this.aggregateNamed(freepool))) await this.call('POST', '/os-aggregates', { aggregate: { name: freepool } });
    for (const group of (await this.call('GET', '/os-server-groups?all_projects=True')).server_groups as Json[]) {
      await this.call('DELETE', `/os-server-groups/${group.id}`, undefined, [204, 404]);
    }
    for (const flavor of (await this.call('GET', '/flavors?is_public=None')).flavors as Json[]) {
      if (flavor.name !== this.cloud.flavor) await this.call('DELETE', `/flavors/${flavor.id}`, undefined, [202, 404]);
    }
  }
}

/** Placement's API as one user (an admin: Placement is admin-only). */
export class Placement {
  constructor(private readonly cloud: Cloud, readonly session: Session) {}

  async call(method: string, pathAndQuery: string, body?: unknown, expected?: number[]): Promise<Json> {
    const headers = { 'OpenStack-API-Version': 'placement 1.14' };
    return (await http(method, `${this.cloud.endpoints.placement}${pathAndQuery}`, this.session.token, body, headers, expected)).json;
  }

  async providers(): Promise<Json[]> {
    return (await this.call('GET', '/resource_providers')).resource_providers as Json[];
  }

  async inventories(uuid: string): Promise<Record<string, Json>> {
    return (await this.call('GET', `/resource_providers/${uuid}/inventories`)).inventories as Record<string, Json>;
  }

  async usages(uuid: string): Promise<Record<string, number>> {
    return (await this.call('GET', `/resource_providers/${uuid}/usages`)).usages as Record<string, number>;
  }

  /** The resources a consumer (a server) holds, by class, summed over providers. */
  async allocations(consumer: string): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    const allocations = (await this.call('GET', `/allocations/${consumer}`)).allocations as Record<string, { resources: Record<string, number> }>;
    for (const a of Object.values(allocations)) for (const [rc, n] of Object.entries(a.resources)) out[rc] = (out[rc] ?? 0) + n;
    return out;
  }

  /**
   * Removes what Climate's instance reservations put in Placement: their classes and the inventories of them on
   * the slots providers, which stay (as Climate leaves them: nova-compute caches them).
   */
  async reset(): Promise<void> {
    for (const provider of await this.providers()) {
      if (!(provider.name as string).startsWith('climate-slots-')) continue;
      for (const rc of Object.keys(await this.inventories(provider.uuid as string))) {
        await this.call('DELETE', `/resource_providers/${provider.uuid}/inventories/${rc}`, undefined, [204, 404]);
      }
    }
    for (const rc of (await this.call('GET', '/resource_classes')).resource_classes as Json[]) {
      if ((rc.name as string).startsWith('CUSTOM_RESERVATION_')) await this.call('DELETE', `/resource_classes/${rc.name}`, undefined, [204, 404]);
    }
  }

  async hasResourceClass(name: string): Promise<boolean> {
    return Object.keys(await this.call('GET', `/resource_classes/${name}`, undefined, [200, 404])).includes('name');
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
