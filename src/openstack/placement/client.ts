import { isStatus, OpenStackConflict, type ServiceClient } from '../http';

/** Placement microversion Climate speaks: PUT /resource_classes/{name} (1.7), `name` filter on providers. */
export const PLACEMENT_MICROVERSION = '1.7';

export interface ResourceProvider {
  uuid: string;
  name: string;
  generation: number;
}

export interface Inventory {
  total: number;
  reserved?: number;
  min_unit?: number;
  max_unit?: number;
  step_size?: number;
  allocation_ratio?: number;
}

/**
 * The parts of Placement Climate uses: providers by name, custom resource classes and one provider's inventory
 * of a class. Inventory writes carry the provider generation and are retried on a generation conflict.
 */
export class PlacementClient {
  constructor(readonly http: ServiceClient, private readonly maxGenerationRetries = 5) {}

  /** The provider named like the compute node (its hypervisor hostname), or null. */
  async providerByName(name: string): Promise<ResourceProvider | null> {
    const res = await this.http.get<{ resource_providers: ResourceProvider[] }>('/resource_providers', { query: { name } });
    return res.body.resource_providers[0] ?? null;
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

  /** Sets the provider's inventory of one class (creating or replacing it). */
  async setInventory(uuid: string, resourceClass: string, inventory: Inventory): Promise<void> {
    await this.withGeneration(uuid, async (generation, current) => {
      const existing = current[resourceClass];
      if (existing && existing.total === inventory.total) return;
      await this.http.put(`/resource_providers/${uuid}/inventories/${resourceClass}`, { resource_provider_generation: generation, ...inventory });
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
        const conflict = error instanceof OpenStackConflict && (error.remoteCode === 'placement.concurrent_update' || /generation/i.test(error.remoteMessage));
        if (!conflict || attempt >= this.maxGenerationRetries) throw error;
      }
    }
  }
}
