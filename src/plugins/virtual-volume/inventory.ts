import { renderTimestamp } from '../../common';
import { randomUUID } from 'node:crypto';
import { Conflict, InvalidInput, NotFound, type Clock } from '../../common';
import { isUniqueViolation, type Database, type Repositories, type VolumePoolRecord } from '../../db';

const MAX = 2_147_483_647;
/** The far end of "now or later" when checking what a pool holds. */
const FOREVER = new Date('9999-12-31T00:00:00Z');

function render(p: VolumePoolRecord): Record<string, unknown> {
  return {
    id: p.id, name: p.name, capacity_gb: p.capacityGb, volume_type: p.volumeType, created_at: renderTimestamp(p.createdAt), updated_at: renderTimestamp(p.updatedAt),
  };
}

function capacity(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX) {
    throw new InvalidInput(`Invalid input for field/attribute capacity_gb. Value: ${JSON.stringify(value)}. Must be an integer from 1 to ${MAX}`);
  }
  return value;
}

/**
 * Volume pools admins register for virtual:volume reservations. Capacity changes and deletion lock the pool
 * row (as reservations do) and are refused with 409 when reservations running now or later would no longer fit.
 */
export class VolumePoolInventory {
  constructor(private readonly db: Database, private readonly repos: Repositories, private readonly clock: Clock) {}

  async list(): Promise<Record<string, unknown>[]> {
    return (await this.repos.volumePools.list()).map(render);
  }

  async get(id: string): Promise<Record<string, unknown>> {
    const pool = await this.repos.volumePools.get(id);
    if (!pool) throw new NotFound('volume_pool', id);
    return render(pool);
  }

  async create(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const { name, volume_type: type } = body;
    if (typeof name !== 'string' || !name.trim()) throw new InvalidInput('Missing parameter name');
    if (name.length > 255) throw new InvalidInput('Invalid input for field/attribute name: at most 255 characters');
    if (type !== undefined && type !== null && (typeof type !== 'string' || type.length > 255)) {
      throw new InvalidInput(`Invalid input for field/attribute volume_type. Value: ${JSON.stringify(type)}. Must be a string of at most 255 characters`);
    }
    const record: VolumePoolRecord = {
      id: randomUUID(), name: name.trim(), capacityGb: capacity(body.capacity_gb),
      volumeType: typeof type === 'string' && type.trim() ? type.trim() : null, createdAt: this.clock.now(), updatedAt: null,
    };
    const exists = () => new Conflict('volume_pool_exists', `Volume pool ${record.name} is already registered`);
    try {
      await this.db.transaction(async (tx) => {
        if (await this.repos.volumePools.findByName(record.name, tx)) throw exists();
        await this.repos.volumePools.insert(tx, record);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw exists();
      throw error;
    }
    return render(record);
  }

  /** Changes the capacity; 409 when reservations from now on would hold more than the new capacity at some time. */
  async update(id: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const unknown = Object.keys(body).filter((k) => k !== 'capacity_gb');
    if (unknown.length) throw new InvalidInput(`Invalid input for field/attribute ${unknown[0]}: only capacity_gb can be changed`);
    const gb = capacity(body.capacity_gb);
    return this.db.transaction(async (tx) => {
      const pools = this.repos.volumePools;
      if (!(await pools.get(id, tx))) throw new NotFound('volume_pool', id);
      await pools.lockPools(tx, [id]);
      const now = this.clock.now();
      const [free] = await pools.free(tx, { window: { start: now, end: FOREVER }, onlyPoolIds: [id] });
      const peak = free.capacityGb - free.freeGb;
      if (peak > gb) {
        throw new Conflict('volume_pool_in_use',
          `Cannot set the capacity of volume pool ${id} to ${gb} GiB: reservations hold up to ${peak} GiB of it from now on`);
      }
      await pools.updateCapacity(tx, id, gb, now);
      return render((await pools.get(id, tx))!);
    });
  }

  async delete(id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const pools = this.repos.volumePools;
      if (!(await pools.get(id, tx))) throw new NotFound('volume_pool', id);
      await pools.lockPools(tx, [id]);
      const n = await pools.inUse(tx, id, this.clock.now());
      if (n) throw new Conflict('volume_pool_in_use', `Volume pool ${id} is used by ${n} reservation(s) running now or later`);
      // Allocations of reservations that ended keep no claim on the pool.
      await pools.removeEnded(tx, id);
      await pools.delete(tx, id);
    });
  }
}
