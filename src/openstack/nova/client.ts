import { isStatus, type ServiceClient } from '../http';

/**
 * The compute API microversion Climate speaks: server groups with a single `policy` (2.64), hypervisor ids as
 * UUIDs with `with_servers` and `hypervisor_hostname_pattern` (2.53), aggregate UUIDs (2.41), hypervisor
 * `vcpus`/`memory_mb`/`local_gb` still shown (removed in 2.88).
 */
export const NOVA_MICROVERSION = '2.64';

export interface NovaAggregate {
  id: number;
  uuid?: string;
  name: string;
  availability_zone: string | null;
  hosts: string[];
  metadata: Record<string, string>;
}

export interface NovaHypervisor {
  id: string;
  hypervisor_hostname: string;
  hypervisor_type: string;
  hypervisor_version: number;
  vcpus: number;
  memory_mb: number;
  local_gb: number;
  cpu_info: unknown;
  state: 'up' | 'down';
  status: 'enabled' | 'disabled';
  running_vms?: number;
  service: { host: string; id: string; disabled_reason: string | null };
  servers?: { uuid: string; name: string }[];
}

export interface NovaService {
  id: string;
  binary: string;
  host: string;
  zone: string;
  status: 'enabled' | 'disabled';
  state: 'up' | 'down';
  forced_down?: boolean;
  disabled_reason?: string | null;
}

export interface NovaServer {
  id: string;
  name: string;
  status: string;
  tenant_id?: string;
  flavor?: unknown;
  'OS-EXT-SRV-ATTR:host'?: string | null;
}

export interface NovaFlavor {
  id: string;
  name: string;
  vcpus: number;
  ram: number;
  disk: number;
  'os-flavor-access:is_public'?: boolean;
  'OS-FLV-EXT-DATA:ephemeral'?: number;
  /** Shown from microversion 2.61. */
  extra_specs?: Record<string, string>;
}

export interface NovaServerGroup {
  id: string;
  name: string;
  policy: string;
  members: string[];
}

export interface NewFlavor {
  name: string;
  vcpus: number;
  ram: number;
  disk: number;
  id?: string;
  isPublic: boolean;
  /** Ephemeral disk in GB; 0 when absent. */
  ephemeral?: number;
}

/**
 * The parts of Nova's compute API Climate uses (microversion NOVA_MICROVERSION): aggregates, hypervisors,
 * compute services, servers, flavors and server groups. Methods return Nova's objects as Nova shows them and
 * throw the typed errors of the HTTP layer; the `ensure*` helpers treat "already so" answers as success, so
 * retried events can repeat them.
 */
export class NovaClient {
  constructor(readonly http: ServiceClient) {}

  // Aggregates
  async listAggregates(): Promise<NovaAggregate[]> {
    return (await this.http.get<{ aggregates: NovaAggregate[] }>('/os-aggregates')).body.aggregates;
  }

  async findAggregate(name: string): Promise<NovaAggregate | null> {
    return (await this.listAggregates()).find((a) => a.name === name) ?? null;
  }

  async getAggregate(id: number): Promise<NovaAggregate> {
    return (await this.http.get<{ aggregate: NovaAggregate }>(`/os-aggregates/${id}`)).body.aggregate;
  }

  /** 409 when the name is taken. */
  async createAggregate(name: string, availabilityZone: string | null): Promise<NovaAggregate> {
    const aggregate: Record<string, unknown> = { name };
    if (availabilityZone) aggregate.availability_zone = availabilityZone;
    return (await this.http.post<{ aggregate: NovaAggregate }>('/os-aggregates', { aggregate })).body.aggregate;
  }

  /** 400 when the aggregate still has hosts; 404 when it is gone. */
  async deleteAggregate(id: number): Promise<void> {
    await this.http.delete(`/os-aggregates/${id}`);
  }

  /** Sets (or with null removes) metadata keys. */
  async setAggregateMetadata(id: number, metadata: Record<string, string | null>): Promise<NovaAggregate> {
    return (await this.http.post<{ aggregate: NovaAggregate }>(`/os-aggregates/${id}/action`, { set_metadata: { metadata } },
      { idempotent: true })).body.aggregate;
  }

  /** 404 unknown host; 409 already a member. */
  async addHost(aggregateId: number, host: string): Promise<void> {
    await this.http.post(`/os-aggregates/${aggregateId}/action`, { add_host: { host } });
  }

  /** 404 unknown host or not a member. */
  async removeHost(aggregateId: number, host: string): Promise<void> {
    await this.http.post(`/os-aggregates/${aggregateId}/action`, { remove_host: { host } });
  }

  /** Adds the host unless it is a member already. */
  async ensureHostIn(aggregate: NovaAggregate, host: string): Promise<void> {
    if (aggregate.hosts.includes(host)) return;
    try {
      await this.addHost(aggregate.id, host);
    } catch (error) {
      if (!isStatus(error, 409)) throw error;
      // Already a member (a previous attempt's add went through): only that 409 is success.
      const now = await this.getAggregate(aggregate.id);
      if (!now.hosts.includes(host)) throw error;
    }
  }

  /** Removes the host if it is a member. */
  async ensureHostOut(aggregate: NovaAggregate, host: string): Promise<void> {
    if (!aggregate.hosts.includes(host)) return;
    try {
      await this.removeHost(aggregate.id, host);
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
      const now = await this.getAggregate(aggregate.id);
      if (now.hosts.includes(host)) throw error;
    }
  }

  // Hypervisors and services
  /** Hypervisors whose hostname contains `pattern` (Nova matches substrings), with their servers. */
  async searchHypervisors(pattern: string): Promise<NovaHypervisor[]> {
    const res = await this.http.get<{ hypervisors: NovaHypervisor[] }>('/os-hypervisors/detail',
      { query: { hypervisor_hostname_pattern: pattern, with_servers: true } });
    return res.body.hypervisors;
  }

  async getHypervisor(id: string): Promise<NovaHypervisor> {
    return (await this.http.get<{ hypervisor: NovaHypervisor }>(`/os-hypervisors/${encodeURIComponent(id)}`,
      { query: { with_servers: true } })).body.hypervisor;
  }

  async listHypervisors(): Promise<NovaHypervisor[]> {
    return (await this.http.get<{ hypervisors: NovaHypervisor[] }>('/os-hypervisors/detail')).body.hypervisors;
  }

  async listComputeServices(): Promise<NovaService[]> {
    return (await this.http.get<{ services: NovaService[] }>('/os-services', { query: { binary: 'nova-compute' } })).body.services;
  }

  // Servers
  /** Servers of every project on a compute host (admin). */
  async serversOnHost(host: string): Promise<NovaServer[]> {
    return (await this.http.get<{ servers: NovaServer[] }>('/servers/detail', { query: { all_tenants: 1, host } })).body.servers;
  }

  /** Servers of every project booted with a flavor (admin). */
  async serversWithFlavor(flavorId: string): Promise<NovaServer[]> {
    return (await this.http.get<{ servers: NovaServer[] }>('/servers/detail', { query: { all_tenants: 1, flavor: flavorId } })).body.servers;
  }

  /**
   * Asks Nova to detach a volume from a server (Nova then removes the attachment in Cinder with its service
   * token, the only way Cinder allows for a volume a server uses); a server or attachment already gone is fine.
   */
  async detachVolume(serverId: string, volumeId: string): Promise<void> {
    try {
      await this.http.delete(`/servers/${encodeURIComponent(serverId)}/os-volume_attachments/${encodeURIComponent(volumeId)}`);
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
  }

  /** Asks Nova to delete the server; a server already gone is fine. */
  async deleteServer(id: string): Promise<void> {
    try {
      await this.http.delete(`/servers/${id}`);
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
  }

  async serverExists(id: string): Promise<boolean> {
    try {
      await this.http.get(`/servers/${id}`);
      return true;
    } catch (error) {
      if (isStatus(error, 404)) return false;
      throw error;
    }
  }

  // Flavors
  async listFlavors(): Promise<NovaFlavor[]> {
    return (await this.http.get<{ flavors: NovaFlavor[] }>('/flavors/detail', { query: { is_public: 'None' } })).body.flavors;
  }

  async getFlavor(id: string): Promise<NovaFlavor | null> {
    try {
      return (await this.http.get<{ flavor: NovaFlavor }>(`/flavors/${encodeURIComponent(id)}`)).body.flavor;
    } catch (error) {
      if (isStatus(error, 404)) return null;
      throw error;
    }
  }

  /**
   * The flavor a template or a user names, by id or else by name (as Heat resolves a server's `flavor`); null when
   * neither matches. A name two flavors share is ambiguous to Heat too: the first is returned.
   */
  async findFlavor(idOrName: string): Promise<NovaFlavor | null> {
    const byId = await this.getFlavor(idOrName);
    if (byId) return byId;
    return (await this.listFlavors()).find((f) => f.name === idOrName) ?? null;
  }

  /** 409 when the name or id is taken. */
  async createFlavor(f: NewFlavor): Promise<NovaFlavor> {
    const flavor: Record<string, unknown> = { name: f.name, vcpus: f.vcpus, ram: f.ram, disk: f.disk, 'os-flavor-access:is_public': f.isPublic };
    if (f.id) flavor.id = f.id;
    if (f.ephemeral) flavor['OS-FLV-EXT-DATA:ephemeral'] = f.ephemeral;
    return (await this.http.post<{ flavor: NovaFlavor }>('/flavors', { flavor })).body.flavor;
  }

  async setFlavorExtraSpecs(id: string, specs: Record<string, string>): Promise<void> {
    await this.http.post(`/flavors/${encodeURIComponent(id)}/os-extra_specs`, { extra_specs: specs }, { idempotent: true });
  }

  /** The projects given access to a private flavor (Nova refuses the list for a public one: 409/400). */
  async flavorAccess(id: string): Promise<string[]> {
    const res = await this.http.get<{ flavor_access: { tenant_id: string }[] }>(`/flavors/${encodeURIComponent(id)}/os-flavor-access`);
    return res.body.flavor_access.map((a) => a.tenant_id);
  }

  /** Gives a project access to a private flavor; already having it is fine. */
  async ensureFlavorAccess(id: string, projectId: string): Promise<void> {
    try {
      await this.http.post(`/flavors/${encodeURIComponent(id)}/action`, { addTenantAccess: { tenant: projectId } });
    } catch (error) {
      if (!isStatus(error, 409)) throw error;
    }
  }

  /** Deletes a flavor; one already gone is fine. */
  async deleteFlavor(id: string): Promise<void> {
    try {
      await this.http.delete(`/flavors/${encodeURIComponent(id)}`);
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
  }

  // Server groups
  async listServerGroups(): Promise<NovaServerGroup[]> {
    return (await this.http.get<{ server_groups: NovaServerGroup[] }>('/os-server-groups', { query: { all_projects: true } })).body.server_groups;
  }

  async createServerGroup(name: string, policy: string): Promise<NovaServerGroup> {
    return (await this.http.post<{ server_group: NovaServerGroup }>('/os-server-groups', { server_group: { name, policy } })).body.server_group;
  }

  async deleteServerGroup(id: string): Promise<void> {
    try {
      await this.http.delete(`/os-server-groups/${id}`);
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
  }
}
