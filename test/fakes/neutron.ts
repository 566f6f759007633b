/**
 * An in-process stand-in for Neutron's networking API v2.0 (floating IPs and their tags), answering the calls
 * Climate makes with Neutron's validation, status codes and error bodies (`{"NeutronError": {type, message,
 * detail}}`), and keeping enough state for tests to check that nothing is left behind. Faults can be injected
 * per route. Ports and routers exist only as set up by a test (no API for them): a floating IP is associated
 * with a port as Neutron's L3 code does it (the port must exist, have the one IPv4 address used, and a router
 * must join its subnet to the floating IP's network), which fills `fixed_ip_address` and `router_id`.
 *
 * Routes are named "METHOD /path" with ids replaced by {id} and tags by {tag}: "POST /v2.0/floatingips",
 * "PUT /v2.0/floatingips/{id}", "DELETE /v2.0/floatingips/{id}", "PUT /v2.0/floatingips/{id}/tags/{tag}".
 */
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import { FakeService } from './fake-service';

type Json = Record<string, unknown>;

export interface FakeNetwork {
  id: string;
  name: string;
  external: boolean;
  subnetId: string;
  /** Addresses floating IPs may take on this network; empty: any. */
  addresses: string[];
}

export interface FakeFloatingIp {
  id: string;
  floatingNetworkId: string;
  floatingIpAddress: string;
  projectId: string;
  portId: string | null;
  fixedIpAddress: string | null;
  routerId: string | null;
  status: string;
  description: string;
  tags: string[];
}

/** A port with its fixed IPs (a server's, on an internal network). */
export interface FakePort {
  id: string;
  networkId: string;
  projectId: string;
  fixedIps: { subnetId: string; ipAddress: string }[];
}

/** A router: its external gateway's network and the subnets it has interfaces on. */
export interface FakeRouter {
  id: string;
  gatewayNetworkId: string | null;
  subnetIds: string[];
}

class NeutronHttpError extends Error {
  constructor(readonly status: number, readonly type: string, message: string) {
    super(message);
  }
}

function render(f: FakeFloatingIp): Json {
  return {
    id: f.id, floating_ip_address: f.floatingIpAddress, floating_network_id: f.floatingNetworkId, project_id: f.projectId,
    tenant_id: f.projectId, port_id: f.portId, fixed_ip_address: f.fixedIpAddress, router_id: f.routerId, status: f.status,
    description: f.description, tags: [...f.tags], revision_number: 0, port_details: null,
  };
}

export class FakeNeutron extends FakeService {
  readonly networks = new Map<string, FakeNetwork>();
  readonly floatingIps = new Map<string, FakeFloatingIp>();
  readonly ports = new Map<string, FakePort>();
  readonly routers = new Map<string, FakeRouter>();
  /** Expected X-Auth-Token; null accepts requests without one. */
  token: string | null = null;

  // ---- test set-up and inspection

  addNetwork(id: string, fields: Partial<Omit<FakeNetwork, 'id'>> = {}): FakeNetwork {
    const n: FakeNetwork = { id, name: `net-${this.networks.size + 1}`, external: true, subnetId: randomUUID(), addresses: [], ...fields };
    this.networks.set(id, n);
    return n;
  }

  /** A floating IP made outside Climate (e.g. a user took the address). */
  addFloatingIp(networkId: string, address: string, fields: Partial<FakeFloatingIp> = {}): FakeFloatingIp {
    const f: FakeFloatingIp = {
      id: randomUUID(), floatingNetworkId: networkId, floatingIpAddress: address, projectId: 'someone-else', portId: null,
      fixedIpAddress: null, routerId: null, status: 'DOWN', description: '', tags: [], ...fields,
    };
    this.floatingIps.set(f.id, f);
    return f;
  }

  addPort(networkId: string, fields: Partial<Omit<FakePort, 'id' | 'networkId'>> = {}): FakePort {
    const network = this.networks.get(networkId);
    if (!network) throw new Error(`no network ${networkId}`);
    const p: FakePort = {
      id: randomUUID(), networkId, projectId: 'admin', fixedIps: [{ subnetId: network.subnetId, ipAddress: `10.0.0.${this.ports.size + 10}` }],
      ...fields,
    };
    this.ports.set(p.id, p);
    return p;
  }

  addRouter(gatewayNetworkId: string | null, subnetIds: string[]): FakeRouter {
    const r: FakeRouter = { id: randomUUID(), gatewayNetworkId, subnetIds };
    this.routers.set(r.id, r);
    return r;
  }

  /**
   * A server's port in `projectId` from which `externalNetworkId` is reachable, as a project's network is usually
   * set up: an internal network, a router with its gateway on the external one and an interface on the internal
   * subnet, and a port with one IPv4 address there.
   */
  addReachablePort(externalNetworkId: string, projectId: string): FakePort {
    const internal = this.addNetwork(randomUUID(), { external: false });
    this.addRouter(externalNetworkId, [internal.subnetId]);
    return this.addPort(internal.id, { projectId });
  }

  /** Associates a floating IP with a port as `PUT /v2.0/floatingips/{id}` does (the project's user doing it). */
  associate(floatingIpId: string, portId: string): FakeFloatingIp {
    const f = this.floatingIp(floatingIpId);
    this.setAssociation(f, { port_id: portId });
    return f;
  }

  byAddress(address: string): FakeFloatingIp[] {
    return [...this.floatingIps.values()].filter((f) => f.floatingIpAddress === address);
  }

  // ---- HTTP

  protected async dispatch(req: http.IncomingMessage, text: string, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const path = url.pathname;
    let body: unknown = null;
    let badJson = false;
    if (text) {
      try { body = JSON.parse(text); } catch { badJson = true; }
    }
    const route = `${method} ${path.replace(/\/tags\/[^/]+$/, '/tags/{tag}').replace(/\/[0-9a-fA-F-]{36}(?=\/|$)/g, '/{id}')}`;
    this.requests.push({ method, path: `${path}${url.search}`, route, body, headers: req.headers });
    const requestId = `req-${randomUUID()}`;
    const reply = (status: number, payload?: unknown) => {
      if (res.writableEnded || res.destroyed) return;
      const headers: Record<string, string> = { 'x-openstack-request-id': requestId };
      if (payload === undefined) { res.writeHead(status, headers); res.end(); return; }
      headers['content-type'] = 'application/json';
      res.writeHead(status, headers);
      res.end(JSON.stringify(payload));
    };
    const error = (status: number, type: string, message: string) => reply(status, { NeutronError: { type, message, detail: '' } });

    const fault = this.takeFault(route);
    if (fault?.hang) return;
    if (fault?.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    if (fault?.status && !fault.afterHandling) { error(fault.status, 'InjectedFault', `injected fault on ${route}`); return; }

    try {
      if (this.token !== null && req.headers['x-auth-token'] !== this.token) {
        throw new NeutronHttpError(401, 'Unauthorized', 'The request you have made requires authentication.');
      }
      if (badJson) throw new NeutronHttpError(400, 'HTTPBadRequest', 'Malformed request body');
      const result = this.handle(method, path, url.searchParams, body);
      if (fault?.status) { error(fault.status, 'InjectedFault', `injected fault on ${route} (after handling)`); return; }
      reply(result.status, result.body);
    } catch (e) {
      if (e instanceof NeutronHttpError) error(e.status, e.type, e.message);
      else error(500, 'HTTPInternalServerError', String(e));
    }
  }

  private floatingIp(id: string): FakeFloatingIp {
    const f = this.floatingIps.get(id);
    if (!f) throw new NeutronHttpError(404, 'FloatingIPNotFound', `Floating IP ${id} could not be found`);
    return f;
  }

  private handle(method: string, path: string, q: URLSearchParams, body: unknown): { status: number; body?: unknown } {
    const seg = path.split('/').filter(Boolean);
    if (seg[0] !== 'v2.0' || seg[1] !== 'floatingips') throw new NeutronHttpError(404, 'HTTPNotFound', 'The resource could not be found.');
    if (seg.length === 2 && method === 'GET') {
      const filters: [string, (f: FakeFloatingIp) => string][] = [
        ['floating_network_id', (f) => f.floatingNetworkId], ['floating_ip_address', (f) => f.floatingIpAddress],
        ['project_id', (f) => f.projectId], ['tenant_id', (f) => f.projectId], ['port_id', (f) => f.portId ?? ''],
      ];
      let list = [...this.floatingIps.values()];
      for (const [key, get] of filters) {
        const wanted = q.getAll(key);
        if (wanted.length) list = list.filter((f) => wanted.includes(get(f)));
      }
      const tags = q.get('tags');
      if (tags) list = list.filter((f) => tags.split(',').every((t) => f.tags.includes(t)));
      return { status: 200, body: { floatingips: list.map(render) } };
    }
    if (seg.length === 2 && method === 'POST') return this.create(body);
    if (seg.length === 3 && method === 'GET') return { status: 200, body: { floatingip: render(this.floatingIp(seg[2])) } };
    if (seg.length === 3 && method === 'PUT') {
      const f = this.floatingIp(seg[2]);
      const b = (body as Json | null)?.floatingip as Json | undefined;
      if (!b || typeof b !== 'object') throw new NeutronHttpError(400, 'HTTPBadRequest', 'Resource body required');
      for (const key of Object.keys(b)) {
        if (!['port_id', 'fixed_ip_address', 'description'].includes(key)) {
          throw new NeutronHttpError(400, 'HTTPBadRequest', `Cannot update read-only attribute ${key}`);
        }
      }
      this.setAssociation(f, b);
      if (typeof b.description === 'string') f.description = b.description;
      return { status: 200, body: { floatingip: render(f) } };
    }
    if (seg.length === 3 && method === 'DELETE') {
      this.floatingIp(seg[2]);
      this.floatingIps.delete(seg[2]);
      return { status: 204 };
    }
    if (seg.length === 5 && seg[3] === 'tags' && method === 'PUT') {
      const f = this.floatingIp(seg[2]);
      const tag = decodeURIComponent(seg[4]);
      if (tag.length > 255 || tag.includes(',')) throw new NeutronHttpError(400, 'HTTPBadRequest', `Invalid tag ${tag}`);
      if (!f.tags.includes(tag)) f.tags.push(tag);
      return { status: 201 };
    }
    throw new NeutronHttpError(405, 'HTTPMethodNotAllowed', 'The method is not allowed for this resource.');
  }

  /**
   * Applies `port_id` / `fixed_ip_address` of a create or update body as Neutron's L3 code does: a null port_id
   * clears the association (port, fixed IP and router); a port_id must name an existing port (404), the fixed IP
   * used is the one given (which the port must have) or the port's only IPv4 address (400 otherwise), a router
   * must join that subnet to the floating IP's network (404), and no other floating IP of that network may hold
   * the same port and address (409). Without port_id in the body the association is left as it is.
   */
  private setAssociation(f: FakeFloatingIp, b: Json): void {
    const bad = (msg: string) => new NeutronHttpError(400, 'BadRequest', `Bad floatingip request: ${msg}.`);
    if (b.fixed_ip_address && !b.port_id) throw bad('fixed_ip_address cannot be specified without a port_id');
    if (!('port_id' in b)) return;
    if (b.port_id === null) {
      Object.assign(f, { portId: null, fixedIpAddress: null, routerId: null, status: 'DOWN' });
      return;
    }
    const portId = String(b.port_id);
    const port = this.ports.get(portId);
    if (!port) throw new NeutronHttpError(404, 'PortNotFound', `Port ${portId} could not be found.`);
    const v4 = port.fixedIps.filter((ip) => /^\d+\.\d+\.\d+\.\d+$/.test(ip.ipAddress));
    let fixed: { subnetId: string; ipAddress: string } | undefined;
    if (typeof b.fixed_ip_address === 'string' && b.fixed_ip_address) {
      fixed = port.fixedIps.find((ip) => ip.ipAddress === b.fixed_ip_address);
      if (!fixed) throw bad(`Port ${portId} does not have fixed ip ${b.fixed_ip_address}`);
    } else {
      if (!v4.length) throw bad(`Cannot add floating IP to port ${portId} that has no fixed IPv4 addresses`);
      if (v4.length > 1) throw bad(`Port ${portId} has multiple fixed IPv4 addresses.  Must provide a specific IPv4 address when assigning a floating IP`);
      fixed = v4[0];
    }
    const router = [...this.routers.values()].find((r) => r.gatewayNetworkId === f.floatingNetworkId && r.subnetIds.includes(fixed.subnetId));
    if (!router) {
      throw new NeutronHttpError(404, 'ExternalGatewayForFloatingIPNotFound', `External network ${f.floatingNetworkId} is not reachable from `
        + `subnet ${fixed.subnetId}.  Therefore, cannot associate Port ${portId} with a Floating IP.`);
    }
    const other = [...this.floatingIps.values()].find((o) => o !== f && o.floatingNetworkId === f.floatingNetworkId
      && o.portId === portId && o.fixedIpAddress === fixed.ipAddress);
    if (other) {
      throw new NeutronHttpError(409, 'FloatingIPPortAlreadyAssociated', `Cannot associate floating IP ${f.floatingIpAddress} (${f.id}) with `
        + `port ${portId} using fixed IP ${fixed.ipAddress}, as that fixed IP already has a floating IP on external network ${f.floatingNetworkId}.`);
    }
    // Neutron answers ACTIVE once the L3 agent has set it up; the fake has nothing to wait for.
    Object.assign(f, { portId, fixedIpAddress: fixed.ipAddress, routerId: router.id, status: 'ACTIVE' });
  }

  private create(body: unknown): { status: number; body: unknown } {
    const b = (body as Json | null)?.floatingip as Json | undefined;
    if (!b || typeof b !== 'object') throw new NeutronHttpError(400, 'HTTPBadRequest', 'Resource body required');
    const networkId = b.floating_network_id;
    if (typeof networkId !== 'string') {
      throw new NeutronHttpError(400, 'HTTPBadRequest', "Failed to parse request. Required attribute 'floating_network_id' not specified");
    }
    if (b.project_id !== undefined && b.tenant_id !== undefined && b.project_id !== b.tenant_id) {
      throw new NeutronHttpError(400, 'HTTPBadRequest', "'project_id' and 'tenant_id' do not match");
    }
    const network = this.networks.get(networkId);
    if (!network) throw new NeutronHttpError(404, 'NetworkNotFound', `Network ${networkId} could not be found.`);
    if (!network.external) {
      throw new NeutronHttpError(400, 'BadRequest', `Bad floatingip request: Network ${networkId} is not a valid external network.`);
    }
    let address = typeof b.floating_ip_address === 'string' ? b.floating_ip_address : null;
    if (address !== null && network.addresses.length && !network.addresses.includes(address)) {
      throw new NeutronHttpError(400, 'InvalidIpForNetwork', `IP address ${address} is not a valid IP for any of the subnets on the specified network.`);
    }
    const taken = (a: string) => [...this.floatingIps.values()].some((f) => f.floatingNetworkId === networkId && f.floatingIpAddress === a);
    if (address !== null && taken(address)) {
      throw new NeutronHttpError(409, 'IpAddressAlreadyAllocated', `IP address ${address} already allocated in subnet ${network.subnetId}`);
    }
    if (address === null) {
      address = network.addresses.find((a) => !taken(a)) ?? null;
      if (address === null) throw new NeutronHttpError(409, 'IpAddressGenerationFailure', `No more IP addresses available on network ${networkId}.`);
    }
    const f: FakeFloatingIp = {
      id: randomUUID(), floatingNetworkId: networkId, floatingIpAddress: address,
      projectId: String(b.project_id ?? b.tenant_id ?? 'admin'), portId: null,
      fixedIpAddress: null, routerId: null, status: 'DOWN', description: typeof b.description === 'string' ? b.description : '', tags: [],
    };
    this.setAssociation(f, b);
    this.floatingIps.set(f.id, f);
    return { status: 201, body: { floatingip: render(f) } };
  }
}
