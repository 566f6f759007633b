/**
 * An in-process stand-in for Nova's compute API (under /compute/v2.1) and Placement (under /placement),
 * answering the calls Climate makes with the validation and error codes of the real services, and keeping
 * enough state for tests to check that nothing is left behind. Faults can be injected per route.
 *
 * Routes are named "METHOD /path" with ids replaced by {id}, and aggregate and flavor actions suffixed with the
 * action: "POST /os-aggregates/{id}/action:add_host", "PUT /resource_providers/{id}/inventories/{id}".
 */
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import { FakeService, type Fault, type RecordedRequest } from './fake-service';

export type { Fault, RecordedRequest };

type Json = Record<string, unknown>;

export interface FakeHypervisor {
  id: string;
  hypervisorHostname: string;
  /** The compute service's host (what aggregates list). */
  serviceHost: string;
  vcpus: number;
  memoryMb: number;
  localGb: number;
  hypervisorType: string;
  hypervisorVersion: number;
  cpuInfo: Json;
  zone: string;
  state: 'up' | 'down';
  status: 'enabled' | 'disabled';
  disabledReason: string | null;
  /** Placement provider of this node. */
  providerUuid: string;
  /**
   * The node's running_vms statistic, as nova-compute last wrote it; the number of its servers when unset. Real
   * Nova's can lag behind the servers (it stays stale while nova-compute's resource update fails).
   */
  runningVms?: number;
}

export interface FakeServer {
  id: string;
  name: string;
  host: string;
  flavorId: string;
  tenantId: string;
  status: string;
  /** Set when a delete was asked; the server disappears `serverDeleteDelayMs` later. */
  deletingSince?: number;
}

export interface FakeAggregate {
  id: number;
  uuid: string;
  name: string;
  availabilityZone: string | null;
  hosts: string[];
  metadata: Record<string, string>;
}

export interface FakeFlavor {
  id: string;
  name: string;
  vcpus: number;
  ram: number;
  disk: number;
  isPublic: boolean;
  extraSpecs: Record<string, string>;
  access: string[];
  /** Ephemeral disk (GB); 0 when absent. */
  ephemeral?: number;
}

export interface FakeServerGroup {
  id: string;
  name: string;
  policy: string;
  members: string[];
  projectId: string;
}

export interface FakeProvider {
  uuid: string;
  name: string;
  generation: number;
  /** null for a root provider (a compute node). */
  parentUuid: string | null;
  /** Traits of this provider (a compute node's: what Nova's `trait:*` flavor specs ask for). */
  traits?: Set<string>;
  inventories: Record<string, Json & { total: number }>;
}

/** What one consumer (an instance) holds, by provider uuid then resource class. */
export type FakeAllocation = Record<string, Record<string, number>>;

/** What to do instead of (or besides) answering a request. */
const STANDARD_CLASSES = ['VCPU', 'MEMORY_MB', 'DISK_GB'];
const NOVA_MIN = [2, 1];
const NOVA_MAX: [number, number] = [2, 95];

class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly placementCode?: string) {
    super(message);
  }
}

const NOVA_FAULT_NAMES: Record<number, string> = {
  400: 'badRequest', 403: 'forbidden', 404: 'itemNotFound', 409: 'conflictingRequest', 500: 'computeFault', 503: 'serviceUnavailable',
};

function parseVersion(v: string): [number, number] | null {
  const m = /^(\d+)\.(\d+)$/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2])] : null;
}
const atLeast = (v: [number, number], min: number[]) => v[0] > min[0] || (v[0] === min[0] && v[1] >= min[1]);

export class FakeNovaPlacement extends FakeService {
  readonly hypervisors: FakeHypervisor[] = [];
  readonly aggregates = new Map<number, FakeAggregate>();
  readonly servers = new Map<string, FakeServer>();
  readonly flavors = new Map<string, FakeFlavor>();
  readonly serverGroups = new Map<string, FakeServerGroup>();
  readonly providers = new Map<string, FakeProvider>();
  readonly resourceClasses = new Set<string>(STANDARD_CLASSES);
  /** Traits Placement knows (os-traits' standard ones and custom ones made); a query naming another is a 400. */
  readonly traits = new Set<string>(['HW_CPU_X86_AVX2', 'COMPUTE_STATUS_DISABLED']);
  /** Placement allocations by consumer (server) uuid. */
  readonly allocations = new Map<string, FakeAllocation>();
  /** Expected X-Auth-Token; null accepts requests without one. */
  token: string | null = null;
  /** How long a deleted server takes to go away. */
  serverDeleteDelayMs = 0;
  /**
   * Nova's side of a volume detach (DELETE /servers/{id}/os-volume_attachments/{volume}): the fake Cinder's
   * `detach` when a test links them; false when the volume is not attached to the server (404).
   */
  detachVolume: ((serverId: string, volumeId: string) => boolean) | null = null;
  private nextAggregateId = 1;
  private racesLeft = 0;
  /**
   * nova-compute's cache of its provider tree (children included), by service host: the uuids it held at its
   * last build. Real nova-compute refreshes it only every [compute] resource_provider_association_refresh
   * (300 s); until then it asks Placement for the allocations of each cached provider on every build, and one
   * deleted meanwhile fails the build (see addServer).
   */
  private readonly cachedTrees = new Map<string, Set<string>>();

  get novaUrl(): string {
    return `${this.url}/compute/v2.1`;
  }

  get placementUrl(): string {
    return `${this.url}/placement`;
  }

  // ---- test set-up and inspection

  /** A compute node with its service and resource provider; the name is both hypervisor hostname and service host unless given. */
  addHypervisor(name: string, fields: Partial<Omit<FakeHypervisor, 'hypervisorHostname'>> = {}): FakeHypervisor {
    const h: FakeHypervisor = {
      id: randomUUID(), hypervisorHostname: name, serviceHost: name, vcpus: 8, memoryMb: 16384, localGb: 100,
      hypervisorType: 'QEMU', hypervisorVersion: 8002000, cpuInfo: { arch: 'x86_64', model: 'Nehalem' }, zone: 'nova',
      state: 'up', status: 'enabled', disabledReason: null, providerUuid: randomUUID(), ...fields,
    };
    this.hypervisors.push(h);
    this.providers.set(h.providerUuid, {
      uuid: h.providerUuid, name: h.hypervisorHostname, generation: 1, parentUuid: null, traits: new Set(),
      inventories: {
        VCPU: { total: h.vcpus, reserved: 0, min_unit: 1, max_unit: h.vcpus, step_size: 1, allocation_ratio: 16 },
        MEMORY_MB: { total: h.memoryMb, reserved: 512, min_unit: 1, max_unit: h.memoryMb, step_size: 1, allocation_ratio: 1.5 },
        DISK_GB: { total: h.localGb, reserved: 0, min_unit: 1, max_unit: h.localGb, step_size: 1, allocation_ratio: 1 },
      },
    });
    return h;
  }

  /** Sets a compute node's traits (as an operator's `openstack resource provider trait set`), creating custom ones. */
  setTraits(hypervisorHostname: string, traits: string[]): void {
    const h = this.hypervisors.find((x) => x.hypervisorHostname === hypervisorHostname);
    if (!h) throw new Error(`no hypervisor ${hypervisorHostname}`);
    for (const t of traits) this.traits.add(t);
    this.provider(h.providerUuid).traits = new Set(traits);
  }

  addAggregate(name: string, hosts: string[] = [], metadata: Record<string, string> = {}, availabilityZone: string | null = null): FakeAggregate {
    const a: FakeAggregate = { id: this.nextAggregateId++, uuid: randomUUID(), name, availabilityZone, hosts: [...hosts], metadata: { ...metadata } };
    if (availabilityZone) a.metadata.availability_zone = availabilityZone;
    this.aggregates.set(a.id, a);
    return a;
  }

  aggregateNamed(name: string): FakeAggregate | undefined {
    return [...this.aggregates.values()].find((a) => a.name === name);
  }

  /**
   * A server (instance) on a host. When its flavor asks for custom resources (`resources:CUSTOM_...` extra specs),
   * they are allocated in Placement from a provider of the host's tree, as the scheduler would; with no such
   * provider having room this throws, as the boot would fail (NoValidHost). It throws too when a provider of
   * the host's tree that nova-compute cached at an earlier build was deleted since, as the real build fails.
   */
  addServer(host: string, fields: Partial<FakeServer> = {}): FakeServer {
    const s: FakeServer = { id: randomUUID(), name: `vm-${this.servers.size + 1}`, host, flavorId: '1', tenantId: 'demo', status: 'ACTIVE', ...fields };
    const node = this.hypervisors.find((h) => h.serviceHost === host)?.providerUuid;
    if (node) {
      const gone = [...this.cachedTrees.get(host) ?? []].find((uuid) => !this.providers.has(uuid));
      if (gone) throw new Error(`Build failed on ${host}: Failed to retrieve allocations for resource provider ${gone}: 404`);
      this.cachedTrees.set(host, new Set([...this.providers.keys()].filter((uuid) => this.rootOf(uuid) === node)));
    }
    const specs = this.flavors.get(s.flavorId)?.extraSpecs ?? {};
    const wanted = Object.entries(specs).filter(([k]) => /^resources:CUSTOM_/.test(k)).map(([k, v]) => [k.slice('resources:'.length), Number(v)] as const);
    if (wanted.length) {
      const root = this.hypervisors.find((h) => h.serviceHost === host)?.providerUuid;
      const allocation: FakeAllocation = {};
      for (const [rc, amount] of wanted) {
        const from = [...this.providers.values()].find((p) => root && this.rootOf(p.uuid) === root && p.inventories[rc]
          && p.inventories[rc].total - this.used(p.uuid, rc) >= amount);
        if (!from) throw new Error(`No valid host: no provider under ${host} has ${amount} ${rc} free`);
        allocation[from.uuid] = { ...allocation[from.uuid], [rc]: amount };
      }
      this.allocations.set(s.id, allocation);
    }
    this.servers.set(s.id, s);
    return s;
  }

  /** How much of a class consumers hold on a provider. */
  used(providerUuid: string, resourceClass: string): number {
    let n = 0;
    for (const a of this.allocations.values()) n += a[providerUuid]?.[resourceClass] ?? 0;
    return n;
  }

  /** The providers whose parent is `uuid`. */
  childrenOf(uuid: string): FakeProvider[] {
    return [...this.providers.values()].filter((p) => p.parentUuid === uuid);
  }

  /**
   * Makes the next `times` inventory writes lose a race: just before each is handled, someone else (nova-compute's
   * periodic update of its provider tree) changes the provider, so the write's generation is stale.
   */
  raceInventoryWrites(times = 1): void {
    this.racesLeft += times;
  }

  private rootOf(uuid: string): string {
    let p = this.providers.get(uuid);
    while (p?.parentUuid) p = this.providers.get(p.parentUuid);
    return p?.uuid ?? uuid;
  }

  // ---- HTTP

  protected async dispatch(req: http.IncomingMessage, text: string, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const isNova = url.pathname.startsWith('/compute/v2.1');
    const isPlacement = url.pathname.startsWith('/placement');
    const path = url.pathname.replace(/^\/compute\/v2\.1|^\/placement/, '') || '/';
    let body: unknown = null;
    let badJson = false;
    if (text) {
      try { body = JSON.parse(text); } catch { badJson = true; }
    }
    const route = `${method} ${path.replace(/\/[0-9a-fA-F-]{36}(?=\/|$)/g, '/{id}').replace(/\/\d+(?=\/|$)/g, '/{id}')
      .replace(/\/resource_classes\/[A-Z0-9_]+/, '/resource_classes/{id}').replace(/\/inventories\/[A-Z0-9_]+/, '/inventories/{id}')}`
      + (path.endsWith('/action') && body && typeof body === 'object' ? `:${Object.keys(body as Json)[0]}` : '');
    this.requests.push({ method, path: `${path}${url.search}`, route, body, headers: req.headers });
    const requestId = `req-${randomUUID()}`;
    const reply = (status: number, payload?: unknown) => {
      if (res.writableEnded || res.destroyed) return;
      const headers: Record<string, string> = { 'x-openstack-request-id': requestId };
      if (isNova) headers['x-compute-request-id'] = requestId;
      if (payload === undefined) { res.writeHead(status, headers); res.end(); return; }
      headers['content-type'] = 'application/json';
      res.writeHead(status, headers);
      res.end(JSON.stringify(payload));
    };
    const error = (status: number, message: string, code?: string) => {
      if (isPlacement) {
        reply(status, { errors: [{ status, title: http.STATUS_CODES[status], detail: message, code: code ?? 'placement.undefined_code', request_id: requestId }] });
      } else {
        reply(status, { [NOVA_FAULT_NAMES[status] ?? 'computeFault']: { code: status, message } });
      }
    };

    const fault = this.takeFault(route);
    if (fault?.hang) return;
    if (fault?.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    if (fault?.status && !fault.afterHandling) { error(fault.status, `injected fault on ${route}`); return; }

    try {
      if (this.token !== null && req.headers['x-auth-token'] !== this.token) throw new HttpError(401, 'The request you have made requires authentication.');
      if (badJson) throw new HttpError(400, 'Malformed request body');
      let result: { status: number; body?: unknown };
      if (isNova) {
        const v = parseVersion(String(req.headers['x-openstack-nova-api-version'] ?? '2.1'));
        if (!v) throw new HttpError(400, 'Invalid microversion');
        if (!atLeast(v, NOVA_MIN) || !atLeast(NOVA_MAX, v)) throw new HttpError(406, `Version ${v.join('.')} is not supported by the API.`);
        result = this.nova(method, path, url.searchParams, body, v);
      } else if (isPlacement) {
        const header = String(req.headers['openstack-api-version'] ?? 'placement 1.0');
        const m = /^placement (\d+\.\d+)$/.exec(header);
        if (!m) throw new HttpError(400, `invalid version string: ${header}`);
        result = this.placement(method, path, url.searchParams, body, parseVersion(m[1])!);
      } else {
        throw new HttpError(404, 'Not found');
      }
      if (fault?.status) { error(fault.status, `injected fault on ${route} (after handling)`); return; }
      reply(result.status, result.body);
    } catch (e) {
      if (e instanceof HttpError) error(e.status, e.message, e.placementCode);
      else error(500, String(e));
    }
  }

  // ---- Nova

  private nova(method: string, path: string, q: URLSearchParams, body: unknown, v: [number, number]): { status: number; body?: unknown } {
    this.reapServers();
    const b = (body ?? {}) as Json;
    const seg = path.split('/').filter(Boolean);
    const is = (m: string, pattern: string) => {
      if (m !== method) return false;
      const p = pattern.split('/').filter(Boolean);
      return p.length === seg.length && p.every((part, i) => part === '*' || part === seg[i]);
    };
    // Aggregates
    if (is('GET', '/os-aggregates')) return { status: 200, body: { aggregates: [...this.aggregates.values()].map((a) => this.showAggregate(a)) } };
    if (is('POST', '/os-aggregates')) {
      const a = b.aggregate as Json | undefined;
      if (!a || typeof a.name !== 'string' || !a.name.trim() || a.name.length > 255) throw new HttpError(400, "Invalid input for field/attribute name.");
      if ([...this.aggregates.values()].some((x) => x.name === a.name)) throw new HttpError(409, `Aggregate ${a.name} already exists.`);
      const az = typeof a.availability_zone === 'string' ? a.availability_zone : null;
      return { status: 200, body: { aggregate: this.showAggregate(this.addAggregate(a.name, [], {}, az)) } };
    }
    if (is('GET', '/os-aggregates/*')) return { status: 200, body: { aggregate: this.showAggregate(this.aggregate(seg[1])) } };
    if (is('DELETE', '/os-aggregates/*')) {
      const a = this.aggregate(seg[1]);
      if (a.hosts.length) throw new HttpError(400, `Cannot remove aggregate ${a.id}. Reason: Host aggregate is not empty.`);
      this.aggregates.delete(a.id);
      return { status: 200 };
    }
    if (is('POST', '/os-aggregates/*/action')) {
      const a = this.aggregate(seg[1]);
      const [action] = Object.keys(b);
      const arg = b[action] as Json | undefined;
      if (action === 'add_host' || action === 'remove_host') {
        const host = arg?.host;
        if (typeof host !== 'string') throw new HttpError(400, 'Invalid input for field/attribute host.');
        if (!this.hypervisors.some((h) => h.serviceHost === host)) throw new HttpError(404, `Compute host ${host} could not be found.`);
        if (action === 'add_host') {
          if (a.hosts.includes(host)) throw new HttpError(409, `Cannot add host ${host} in aggregate ${a.id}: host exists`);
          if (a.availabilityZone) {
            const other = [...this.aggregates.values()].find((x) => x !== a && x.hosts.includes(host) && x.availabilityZone && x.availabilityZone !== a.availabilityZone);
            if (other) throw new HttpError(409, `Cannot add host to aggregate ${a.id}. Reason: One or more hosts already in availability zone(s) ['${other.availabilityZone}'].`);
          }
          a.hosts.push(host);
        } else {
          if (!a.hosts.includes(host)) throw new HttpError(404, `Cannot remove host ${host} in aggregate ${a.id}`);
          a.hosts = a.hosts.filter((h) => h !== host);
        }
        return { status: 200, body: { aggregate: this.showAggregate(a) } };
      }
      if (action === 'set_metadata') {
        const md = arg?.metadata;
        if (!md || typeof md !== 'object') throw new HttpError(400, 'Invalid input for field/attribute metadata.');
        for (const [k, val] of Object.entries(md as Json)) {
          if (val === null) delete a.metadata[k];
          else if (typeof val === 'string') a.metadata[k] = val;
          else throw new HttpError(400, `Invalid input for field/attribute metadata. Value: ${JSON.stringify(val)}.`);
        }
        return { status: 200, body: { aggregate: this.showAggregate(a) } };
      }
      throw new HttpError(400, `Invalid action ${action}`);
    }
    // Hypervisors
    if (is('GET', '/os-hypervisors/detail')) {
      const pattern = q.get('hypervisor_hostname_pattern');
      if (pattern !== null && !atLeast(v, [2, 53])) throw new HttpError(400, 'hypervisor_hostname_pattern needs 2.53');
      const withServers = q.get('with_servers') === 'true' || q.get('with_servers') === '1';
      const list = this.hypervisors.filter((h) => pattern === null || h.hypervisorHostname.includes(pattern));
      if (pattern !== null && !list.length) throw new HttpError(404, `No hypervisor matching '${pattern}' could be found.`);
      return { status: 200, body: { hypervisors: list.map((h) => this.showHypervisor(h, withServers)) } };
    }
    if (is('GET', '/os-hypervisors/*')) {
      const h = this.hypervisors.find((x) => x.id === seg[1]);
      if (!h) throw new HttpError(404, `Hypervisor with ID ${seg[1]} could not be found.`);
      return { status: 200, body: { hypervisor: this.showHypervisor(h, q.get('with_servers') === 'true') } };
    }
    if (is('GET', '/os-services')) {
      const binary = q.get('binary');
      const services = binary && binary !== 'nova-compute' ? [] : this.hypervisors.map((h) => ({
        id: h.id, binary: 'nova-compute', host: h.serviceHost, zone: h.zone, status: h.status, state: h.state,
        disabled_reason: h.disabledReason, forced_down: false, updated_at: new Date().toISOString(),
      }));
      return { status: 200, body: { services } };
    }
    // Servers
    if (is('GET', '/servers/detail')) {
      if (q.get('all_tenants') === null) throw new HttpError(400, 'this fake only lists servers with all_tenants');
      const host = q.get('host');
      const flavor = q.get('flavor');
      const list = [...this.servers.values()].filter((s) => (host === null || s.host === host) && (flavor === null || s.flavorId === flavor));
      return { status: 200, body: { servers: list.map((s) => this.showServer(s)) } };
    }
    if (is('GET', '/servers/*')) {
      const s = this.servers.get(seg[1]);
      if (!s) throw new HttpError(404, 'Instance could not be found.');
      return { status: 200, body: { server: this.showServer(s) } };
    }
    if (is('DELETE', '/servers/*/os-volume_attachments/*')) {
      if (!this.servers.has(seg[1])) throw new HttpError(404, `Instance ${seg[1]} could not be found.`);
      if (!this.detachVolume?.(seg[1], seg[3])) throw new HttpError(404, `volume_id not found: ${seg[3]}`);
      return { status: 202 };
    }
    if (is('DELETE', '/servers/*')) {
      const s = this.servers.get(seg[1]);
      if (!s) throw new HttpError(404, 'Instance could not be found.');
      s.deletingSince ??= Date.now();
      s.status = 'DELETED';
      this.reapServers();
      return { status: 204 };
    }
    // Flavors
    if (is('GET', '/flavors/detail')) return { status: 200, body: { flavors: [...this.flavors.values()].map((f) => this.showFlavor(f)) } };
    if (is('POST', '/flavors')) {
      const f = b.flavor as Json | undefined;
      if (!f || typeof f.name !== 'string' || !f.name) throw new HttpError(400, "Invalid input for field/attribute name.");
      for (const k of ['vcpus', 'ram', 'disk']) {
        if (!Number.isInteger(f[k]) || (f[k] as number) < (k === 'disk' ? 0 : 1)) throw new HttpError(400, `Invalid input for field/attribute ${k}.`);
      }
      const id = typeof f.id === 'string' && f.id ? f.id : randomUUID();
      if ([...this.flavors.values()].some((x) => x.name === f.name)) throw new HttpError(409, `Flavor with name ${f.name} already exists.`);
      if (this.flavors.has(id)) throw new HttpError(409, `Flavor with ID ${id} already exists.`);
      const flavor: FakeFlavor = {
        id, name: f.name, vcpus: f.vcpus as number, ram: f.ram as number, disk: f.disk as number,
        isPublic: f['os-flavor-access:is_public'] !== false, extraSpecs: {}, access: [], ephemeral: Number(f['OS-FLV-EXT-DATA:ephemeral'] ?? 0),
      };
      this.flavors.set(id, flavor);
      return { status: 200, body: { flavor: this.showFlavor(flavor) } };
    }
    if (is('GET', '/flavors/*')) return { status: 200, body: { flavor: this.showFlavor(this.flavor(seg[1])) } };
    if (is('DELETE', '/flavors/*')) {
      this.flavor(seg[1]);
      this.flavors.delete(seg[1]);
      return { status: 202 };
    }
    if (is('GET', '/flavors/*/os-flavor-access')) {
      const f = this.flavor(seg[1]);
      if (f.isPublic) throw new HttpError(404, 'Access list not available for public flavors.');
      return { status: 200, body: { flavor_access: f.access.map((t) => ({ flavor_id: f.id, tenant_id: t })) } };
    }
    if (is('POST', '/flavors/*/os-extra_specs')) {
      const f = this.flavor(seg[1]);
      const specs = b.extra_specs;
      if (!specs || typeof specs !== 'object') throw new HttpError(400, 'Invalid input for field/attribute extra_specs.');
      for (const [k, val] of Object.entries(specs as Json)) {
        if (typeof val !== 'string' || !/^[\w.:-]{1,255}$/.test(k)) throw new HttpError(400, `Invalid extra spec ${k}.`);
        f.extraSpecs[k] = val;
      }
      return { status: 200, body: { extra_specs: f.extraSpecs } };
    }
    if (is('POST', '/flavors/*/action')) {
      const f = this.flavor(seg[1]);
      const tenant = (b.addTenantAccess as Json | undefined)?.tenant ?? (b.removeTenantAccess as Json | undefined)?.tenant;
      if (typeof tenant !== 'string') throw new HttpError(400, 'Invalid input for field/attribute tenant.');
      if (f.isPublic) throw new HttpError(409, 'Can not add access to a public flavor.');
      if (b.addTenantAccess) {
        if (f.access.includes(tenant)) throw new HttpError(409, `Flavor access already exists for flavor ${f.id} and project ${tenant} combination.`);
        f.access.push(tenant);
      } else {
        if (!f.access.includes(tenant)) throw new HttpError(404, `Flavor access not found for ${f.id} / ${tenant} combination.`);
        f.access = f.access.filter((t) => t !== tenant);
      }
      return { status: 200, body: { flavor_access: f.access.map((t) => ({ flavor_id: f.id, tenant_id: t })) } };
    }
    // Server groups
    if (is('GET', '/os-server-groups')) {
      return { status: 200, body: { server_groups: [...this.serverGroups.values()].map((g) => this.showGroup(g)) } };
    }
    if (is('POST', '/os-server-groups')) {
      const g = b.server_group as Json | undefined;
      if (!g || typeof g.name !== 'string' || !g.name) throw new HttpError(400, 'Invalid input for field/attribute name.');
      if (!atLeast(v, [2, 64])) throw new HttpError(400, "Additional properties are not allowed ('policy' was unexpected)");
      if (!['affinity', 'anti-affinity', 'soft-affinity', 'soft-anti-affinity'].includes(String(g.policy))) {
        throw new HttpError(400, `Invalid input for field/attribute policy. Value: ${String(g.policy)}.`);
      }
      const group: FakeServerGroup = { id: randomUUID(), name: g.name, policy: String(g.policy), members: [], projectId: 'service' };
      this.serverGroups.set(group.id, group);
      return { status: 200, body: { server_group: this.showGroup(group) } };
    }
    if (is('DELETE', '/os-server-groups/*')) {
      if (!this.serverGroups.delete(seg[1])) throw new HttpError(404, `Instance group ${seg[1]} could not be found.`);
      return { status: 204 };
    }
    throw new HttpError(404, `The resource could not be found (${method} ${path}).`);
  }

  private reapServers(): void {
    const now = Date.now();
    for (const s of [...this.servers.values()]) {
      if (s.deletingSince !== undefined && now - s.deletingSince >= this.serverDeleteDelayMs) {
        // Nova removes a deleted instance's allocations (also when it deletes it locally on a down compute host).
        this.servers.delete(s.id);
        this.allocations.delete(s.id);
      }
    }
  }

  private aggregate(id: string): FakeAggregate {
    const a = /^\d+$/.test(id) ? this.aggregates.get(Number(id)) : undefined;
    if (!a) throw new HttpError(404, `Aggregate ${id} could not be found.`);
    return a;
  }

  private flavor(id: string): FakeFlavor {
    const f = this.flavors.get(id);
    if (!f) throw new HttpError(404, `Flavor ${id} could not be found.`);
    return f;
  }

  private showAggregate(a: FakeAggregate): Json {
    return { id: a.id, uuid: a.uuid, name: a.name, availability_zone: a.availabilityZone, hosts: [...a.hosts], metadata: { ...a.metadata },
      created_at: '2030-01-01T00:00:00.000000', updated_at: null, deleted: false, deleted_at: null };
  }

  private showHypervisor(h: FakeHypervisor, withServers: boolean): Json {
    const servers = [...this.servers.values()].filter((s) => s.host === h.serviceHost);
    const out: Json = {
      id: h.id, hypervisor_hostname: h.hypervisorHostname, hypervisor_type: h.hypervisorType, hypervisor_version: h.hypervisorVersion,
      vcpus: h.vcpus, memory_mb: h.memoryMb, local_gb: h.localGb, cpu_info: h.cpuInfo, state: h.state, status: h.status,
      running_vms: h.runningVms ?? servers.length, host_ip: '192.0.2.10',
      service: { host: h.serviceHost, id: h.id, disabled_reason: h.disabledReason },
    };
    if (withServers && servers.length) out.servers = servers.map((s) => ({ uuid: s.id, name: s.name }));
    return out;
  }

  private showServer(s: FakeServer): Json {
    return { id: s.id, name: s.name, status: s.status, tenant_id: s.tenantId, flavor: { original_name: this.flavors.get(s.flavorId)?.name ?? s.flavorId },
      'OS-EXT-SRV-ATTR:host': s.host };
  }

  private showFlavor(f: FakeFlavor): Json {
    return { id: f.id, name: f.name, vcpus: f.vcpus, ram: f.ram, disk: f.disk, 'os-flavor-access:is_public': f.isPublic, 'OS-FLV-EXT-DATA:ephemeral': f.ephemeral ?? 0,
      extra_specs: { ...f.extraSpecs } };
  }

  private showGroup(g: FakeServerGroup): Json {
    return { id: g.id, name: g.name, policy: g.policy, members: [...g.members], project_id: g.projectId, rules: {} };
  }

  // ---- Placement

  private showProvider(p: FakeProvider, v: [number, number]): Json {
    const out: Json = { uuid: p.uuid, name: p.name, generation: p.generation };
    if (atLeast(v, [1, 14])) Object.assign(out, { parent_provider_uuid: p.parentUuid, root_provider_uuid: this.rootOf(p.uuid) });
    return out;
  }

  /** Placement's `required` filter: traits from 1.18, `!NAME` (forbidden) from 1.22; an unknown name is a 400. */
  private traitQuery(raw: string | null, v: [number, number]): { required: string[]; forbidden: string[] } {
    if (raw === null) return { required: [], forbidden: [] };
    if (!atLeast(v, [1, 18])) throw new HttpError(400, "Invalid query string parameters: Additional properties are not allowed ('required' was unexpected)");
    const names = raw.split(',').map((t) => t.trim());
    if (!atLeast(v, [1, 22]) && names.some((t) => t.startsWith('!'))) {
      throw new HttpError(400, "Invalid query string parameters: Expected 'required' parameter value of the form: HW_CPU_X86_VMX,CUSTOM_MAGIC.");
    }
    const unknown = names.map((t) => t.replace(/^!/, '')).filter((t) => !this.traits.has(t));
    if (unknown.length) throw new HttpError(400, `No such trait(s): ${unknown.join(', ')}`);
    return { required: names.filter((t) => !t.startsWith('!')), forbidden: names.filter((t) => t.startsWith('!')).map((t) => t.slice(1)) };
  }

  private provider(uuid: string): FakeProvider {
    const p = this.providers.get(uuid);
    if (!p) throw new HttpError(404, `No resource provider with uuid ${uuid} found`, 'placement.resource_provider.not_found');
    return p;
  }

  private placement(method: string, path: string, q: URLSearchParams, body: unknown, v: [number, number]): { status: number; body?: unknown } {
    this.reapServers();
    const seg = path.split('/').filter(Boolean);
    const b = (body ?? {}) as Json;
    if (method === 'GET' && path === '/resource_providers') {
      const name = q.get('name');
      const inTree = q.get('in_tree');
      if (inTree !== null && !atLeast(v, [1, 14])) throw new HttpError(400, "Invalid query string parameters: Additional properties are not allowed ('in_tree' was unexpected)");
      const traits = this.traitQuery(q.get('required'), v);
      const list = [...this.providers.values()].filter((p) => (name === null || p.name === name)
        && (inTree === null || this.rootOf(p.uuid) === this.rootOf(inTree))
        && traits.required.every((t) => p.traits?.has(t)) && !traits.forbidden.some((t) => p.traits?.has(t)));
      return { status: 200, body: { resource_providers: list.map((p) => this.showProvider(p, v)) } };
    }
    if (method === 'POST' && path === '/resource_providers') {
      // Placement's contract: unique names and uuids (409 placement.duplicate_name), a parent that exists (400),
      // parent_provider_uuid only from 1.14, the new provider in the answer from 1.20 (before: 201, no body).
      const allowed = atLeast(v, [1, 14]) ? ['name', 'uuid', 'parent_provider_uuid'] : ['name', 'uuid'];
      const extra = Object.keys(b).find((k) => !allowed.includes(k));
      if (extra) throw new HttpError(400, `JSON does not validate: Additional properties are not allowed ('${extra}' was unexpected)`);
      if (typeof b.name !== 'string' || !b.name || b.name.length > 200) throw new HttpError(400, "JSON does not validate: 'name' is a required property");
      const uuid = typeof b.uuid === 'string' ? b.uuid : randomUUID();
      const parent = b.parent_provider_uuid ?? null;
      if ([...this.providers.values()].some((p) => p.name === b.name)) {
        throw new HttpError(409, `Conflicting resource provider name: ${b.name} already exists.`, 'placement.duplicate_name');
      }
      if (this.providers.has(uuid)) throw new HttpError(409, `Conflicting resource provider uuid: ${uuid} already exists.`, 'placement.duplicate_name');
      if (parent !== null && (typeof parent !== 'string' || !this.providers.has(parent))) {
        throw new HttpError(400, `Unable to create resource provider "${b.name}", ${uuid}: Unable to create: parent provider UUID does not exist.`);
      }
      const p: FakeProvider = { uuid, name: b.name, generation: 0, parentUuid: parent as string | null, traits: new Set(), inventories: {} };
      this.providers.set(uuid, p);
      return atLeast(v, [1, 20]) ? { status: 200, body: this.showProvider(p, v) } : { status: 201 };
    }
    if (seg[0] === 'resource_providers' && seg.length === 2) {
      const p = this.provider(seg[1]);
      if (method === 'GET') return { status: 200, body: this.showProvider(p, v) };
      if (method === 'DELETE') {
        if (this.childrenOf(p.uuid).length) {
          throw new HttpError(409, `Unable to delete parent resource provider ${p.uuid}: It has child resource providers.`,
            'placement.resource_provider.cannot_delete_parent');
        }
        if ([...this.allocations.values()].some((a) => a[p.uuid])) {
          throw new HttpError(409, `Unable to delete resource provider ${p.uuid}: Resource provider has allocations.`,
            'placement.resource_provider.inuse');
        }
        this.providers.delete(p.uuid);
        return { status: 204 };
      }
    }
    if (method === 'GET' && path === '/traits') {
      // Only the `in:A,B` form of the name filter (what Climate sends).
      const filter = q.get('name');
      const wanted = filter?.startsWith('in:') ? new Set(filter.slice(3).split(',')) : null;
      return { status: 200, body: { traits: [...this.traits].filter((t) => !wanted || wanted.has(t)).sort() } };
    }
    if (seg[0] === 'resource_classes' && seg.length === 2) {
      const name = seg[1];
      if (method === 'PUT') {
        if (!atLeast(v, [1, 7])) throw new HttpError(405, 'Method not allowed');
        if (!/^CUSTOM_[A-Z0-9_]+$/.test(name)) throw new HttpError(400, `Failed validating 'pattern': ${name}`, 'placement.undefined_code');
        if (this.resourceClasses.has(name)) return { status: 204 };
        this.resourceClasses.add(name);
        return { status: 201 };
      }
      if (method === 'DELETE') {
        if (STANDARD_CLASSES.includes(name)) throw new HttpError(400, `Cannot delete standard resource class ${name}`);
        if (!this.resourceClasses.has(name)) throw new HttpError(404, `No such resource class ${name}.`);
        if ([...this.providers.values()].some((p) => p.inventories[name])) throw new HttpError(409, `Unable to delete resource class ${name}. Class is in use in inventory.`);
        this.resourceClasses.delete(name);
        return { status: 204 };
      }
    }
    if (seg[0] === 'resource_providers' && seg[2] === 'inventories') {
      const p = this.provider(seg[1]);
      if (seg.length === 3 && method === 'GET') return { status: 200, body: { resource_provider_generation: p.generation, inventories: p.inventories } };
      // A class the provider has no inventory of yet is added with POST; PUT on the class only replaces a record
      // (real Placement answers 400 there: the start of an instance reservation once sent such a PUT).
      if (seg.length === 3 && method === 'POST') {
        const rc = String(b.resource_class ?? '');
        this.checkInventoryWrite(p, rc, b);
        if (p.inventories[rc]) throw new HttpError(409, `Update conflict: Inventory for '${rc}' on resource provider '${p.uuid}' already exists.`);
        return { status: 201, body: this.writeInventory(p, rc, b) };
      }
      if (seg.length === 4) {
        const rc = seg[3];
        if (method === 'PUT') {
          this.checkInventoryWrite(p, rc, b);
          if (!p.inventories[rc]) throw new HttpError(400, `No inventory of class ${rc} found for update`);
          return { status: 200, body: this.writeInventory(p, rc, b) };
        }
        if (method === 'DELETE') {
          if (!p.inventories[rc]) throw new HttpError(404, `No inventory of class ${rc} found for delete`);
          if (this.used(p.uuid, rc) > 0) {
            // Placement answers an inventory in use with its concurrent_update code on this route.
            throw new HttpError(409, `Unable to delete inventory of class ${rc}: Inventory for '${rc}' on resource provider '${p.uuid}' in use.`,
              'placement.concurrent_update');
          }
          delete p.inventories[rc];
          p.generation++;
          return { status: 204 };
        }
      }
    }
    throw new HttpError(404, `The resource could not be found (${method} ${path}).`);
  }

  /** What Placement checks before any inventory write: the generation (see `racesLeft`), the class, the total. */
  private checkInventoryWrite(p: FakeProvider, rc: string, b: Json): void {
    if (this.racesLeft > 0) {
      this.racesLeft--;
      p.generation++;
    }
    if (b.resource_provider_generation !== p.generation) {
      throw new HttpError(409, 'resource provider generation conflict', 'placement.concurrent_update');
    }
    if (!this.resourceClasses.has(rc)) throw new HttpError(400, `No such resource class ${rc}`);
    if (!Number.isInteger(b.total) || (b.total as number) < 1) throw new HttpError(400, "Failed validating 'minimum' in schema['properties']['total']");
  }

  private writeInventory(p: FakeProvider, rc: string, b: Json): Json {
    const inv: Json = { ...b };
    delete inv.resource_provider_generation;
    delete inv.resource_class;
    // Placement accepts a total below what is in use (it only logs a warning): the existing allocations stay.
    p.inventories[rc] = { reserved: 0, min_unit: 1, max_unit: b.total as number, step_size: 1, allocation_ratio: 1, ...inv } as unknown as Json & { total: number };
    p.generation++;
    return { resource_provider_generation: p.generation, resource_class: rc, ...p.inventories[rc] };
  }
}
