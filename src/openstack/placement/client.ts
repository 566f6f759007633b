import { isStatus, OpenStackConflict, type ServiceClient } from '../http';

/**
 * Placement microversion Climate speaks: PUT /resource_classes/{name} (1.7), nested providers with
 * `parent_provider_uuid` (1.14), POST /resource_providers answering with the new provider (1.20).
 */
export const PLACEMENT_MICROVERSION = '1.20';
/** Forbidden traits (`!NAME` in `required`) on GET /resource_providers. */
export const TRAITS_MICROVERSION = '1.22';

export interface ResourceProvider {
  uuid: string;
  name: string;
  generation: number;
  /** Shown from 1.14: the parent's uuid, null for a root provider (a compute node). */
  parent_provider_uuid?: string | null;
  root_provider_uuid?: string;
}

export interface Inventory {
  total: number;
  reserved?: number;
  min_unit?: number;
  max_unit?: number;
  step_size?: number;
  allocation_ratio?: number;
}

/** Placement's error code for a write that lost a race on the provider generation. */
const CONCURRENT_UPDATE = 'placement.concurrent_update';

/**
 * The parts of Placement Climate uses: providers by name, child providers under a compute node's provider,
 * custom resource classes and one provider's inventory of a class. Inventory writes carry the provider
 * generation and are retried on a generation conflict.
 */
export class PlacementClient {
  constructor(readonly http: ServiceClient, private readonly maxGenerationRetries = 5) {}

  /** The provider with this name (a compute node's is its hypervisor hostname), or null. */
  async providerByName(name: string): Promise<ResourceProvider | null> {
    const res = await this.http.get<{ resource_providers: ResourceProvider[] }>('/resource_providers', { query: { name } });
    return res.body.resource_providers[0] ?? null;
  }

  /**
   * The compute nodes (root providers) that have every `required` trait and none of the `forbidden` ones, in one
   * call: `required=A,!B` (forbidden traits need microversion 1.22). Placement refuses names it does not know with
   * a 400, so it is first asked which exist: a required trait it does not know is on no provider, an unknown
   * forbidden one excludes none.
   */
  async computeNodesWithTraits(required: readonly string[], forbidden: readonly string[]): Promise<ResourceProvider[]> {
    const names = [...required, ...forbidden];
    const known = names.length
      ? new Set((await this.http.get<{ traits: string[] }>('/traits', { query: { name: `in:${names.join(',')}` } })).body.traits)
      : new Set<string>();
    if (required.some((t) => !known.has(t))) return [];
    const spec = [...required, ...forbidden.filter((t) => known.has(t)).map((t) => `!${t}`)].join(',');
    const res = await this.http.get<{ resource_providers: ResourceProvider[] }>('/resource_providers', {
      query: spec ? { required: spec } : {}, headers: { 'OpenStack-API-Version': `placement ${TRAITS_MICROVERSION}` },
    });
    return res.body.resource_providers.filter((p) => !p.parent_provider_uuid);
  }

  /** Every provider (one call; for finding the ones Climate named after a reservation). */
  async listProviders(): Promise<ResourceProvider[]> {
    return (await this.http.get<{ resource_providers: ResourceProvider[] }>('/resource_providers')).body.resource_providers;
  }

  /**
   * The provider named `name` under `parentUuid`, created when missing. Names are unique in Placement, so a
   * retried call (or a create whose answer was lost) finds the provider made before instead of a second one.
   * @throws Error when the name is taken by a provider with another parent
   */
  async ensureChildProvider(name: string, parentUuid: string): Promise<ResourceProvider> {
    const check = (p: ResourceProvider) => {
      if (p.parent_provider_uuid !== parentUuid) {
        throw new Error(`Placement provider ${name} (${p.uuid}) exists under ${p.parent_provider_uuid ?? 'no parent'}, not under ${parentUuid}`);
      }
      return p;
    };
    const existing = await this.providerByName(name);
    if (existing) return check(existing);
    try {
      // Safe to repeat: a second create of the same name is a 409, answered below.
      const res = await this.http.post<ResourceProvider>('/resource_providers', { name, parent_provider_uuid: parentUuid }, { idempotent: true });
      return res.body;
    } catch (error) {
      if (!isStatus(error, 409)) throw error;
      const made = await this.providerByName(name);
      if (!made) throw error;
      return check(made);
    }
  }

  /** Deletes a provider and its inventory; one already gone is fine. 409 while it has allocations or children. */
  async deleteProvider(uuid: string): Promise<void> {
    try {
      await this.http.delete(`/resource_providers/${uuid}`);
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
  }

  /** Creates a CUSTOM_ class, or does nothing when it exists. */
  async ensureResourceClass(name: string): Promise<void> {
    await this.http.put(`/resource_classes/${name}`, undefined);
  }

  /** Deletes a class; one already gone is fine. 409 while inventory of it exists. */
  async deleteResourceClass(name: string): Promise<void> {
    try {
      await this.http.delete(`/resource_classes/${name}`);
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
  }

  async inventories(uuid: string): Promise<{ generation: number; inventories: Record<string, Inventory> }> {
    const res = await this.http.get<{ resource_provider_generation: number; inventories: Record<string, Inventory> }>(
      `/resource_providers/${uuid}/inventories`);
    return { generation: res.body.resource_provider_generation, inventories: res.body.inventories };
  }

  /** Sets the provider's inventory of one class (creating or replacing it); nothing is written when it is so already. */
  async setInventory(uuid: string, resourceClass: string, inventory: Inventory): Promise<void> {
    await this.withGeneration(uuid, async (generation, current) => {
      const existing = current[resourceClass];
      if (existing && (Object.keys(inventory) as (keyof Inventory)[]).every((k) => existing[k] === inventory[k])) return;
      const body = { resource_provider_generation: generation, ...inventory };
      // PUT on a class replaces an existing record only; a class new to the provider is added with POST (real
      // Placement answers a PUT for it with 400 "No inventory of class ... found"). Both check the generation.
      if (existing) await this.http.put(`/resource_providers/${uuid}/inventories/${resourceClass}`, body);
      else await this.http.post(`/resource_providers/${uuid}/inventories`, { resource_class: resourceClass, ...body });
    });
  }

  /** Removes the provider's inventory of one class, if it has any. */
  async deleteInventory(uuid: string, resourceClass: string): Promise<void> {
    await this.withGeneration(uuid, async (_generation, current) => {
      if (!current[resourceClass]) return;
      try {
        await this.http.delete(`/resource_providers/${uuid}/inventories/${resourceClass}`);
      } catch (error) {
        if (!isStatus(error, 404)) throw error;
      }
    });
  }

  /** Runs `fn` with the provider's current generation, again when someone else changed the provider meanwhile. */
  private async withGeneration(uuid: string, fn: (generation: number, current: Record<string, Inventory>) => Promise<void>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const { generation, inventories } = await this.inventories(uuid);
      try {
        await fn(generation, inventories);
        return;
      } catch (error) {
        const conflict = error instanceof OpenStackConflict && (error.remoteCode === CONCURRENT_UPDATE || /generation/i.test(error.remoteMessage));
        if (!conflict || attempt >= this.maxGenerationRetries) throw error;
      }
    }
  }
}
