import { blockedStarts } from '../availability-sweep';
import type { AvailabilityPlanner, AvailabilityQuery, SlotPlacement, TrialHolds } from '../types';

/** A pool as availability searches read it. */
export interface PoolLine {
  id: string;
  name: string;
  capacityGb: number;
}

/** GiB held on a pool from start to end (ms). */
export interface PoolBooking {
  poolId: string;
  start: number;
  end: number;
  gb: number;
}

const key = (id: string) => `volume-pool:${id}`;

/**
 * Availability of volume space, by the rules of VirtualVolumePlugin.allocate: one pool of the type holds all the
 * volumes, the first by name with room; a pool's room is its capacity less the peak of what reservations hold
 * during the window. Candidates come from one sweep, each pool's room worked out at its own edges only.
 */
export class VolumeAvailability implements AvailabilityPlanner {
  private readonly pools: PoolLine[];
  private readonly byPool = new Map<string, PoolBooking[]>();

  private readonly needGb: number;

  constructor(pools: readonly PoolLine[], bookings: readonly PoolBooking[], private readonly size: { amount: number; size_gb: number },
    private readonly query: AvailabilityQuery) {
    this.needGb = size.amount * size.size_gb;
    // The plugin's order: by name, compared as JavaScript does.
    this.pools = [...pools].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const b of bookings) this.byPool.set(b.poolId, [...(this.byPool.get(b.poolId) ?? []), b]);
  }

  candidates(): number[] {
    const lo = this.query.from.getTime();
    const hi = this.query.to.getTime() - this.query.durationMs;
    if (hi < lo) return [];
    const changes: { at: number; pool: PoolLine }[] = [];
    for (const pool of this.pools) {
      for (const b of this.byPool.get(pool.id) ?? []) {
        for (const at of blockedStarts(b, this.query.durationMs, 0) ?? []) if (at > lo && at <= hi) changes.push({ at, pool });
      }
    }
    changes.sort((a, b) => a.at - b.at);
    const roomy = new Set<string>();
    const set = (pool: PoolLine, at: number) => {
      if (this.freeGb(pool, at) >= this.needGb) roomy.add(pool.id);
      else roomy.delete(pool.id);
    };
    for (const pool of this.pools) set(pool, lo);
    const found = roomy.size ? [lo] : [];
    let i = 0;
    while (i < changes.length) {
      const at = changes[i].at;
      while (i < changes.length && changes[i].at === at) set(changes[i++].pool, at);
      if (roomy.size) found.push(at);
    }
    return found;
  }

  place(start: number, holds: TrialHolds): SlotPlacement | null {
    const pool = this.pools.find((p) => this.freeGb(p, start) - (holds.amounts.get(key(p.id)) ?? 0) >= this.needGb);
    if (!pool) return null;
    holds.amounts.set(key(pool.id), (holds.amounts.get(key(pool.id)) ?? 0) + this.needGb);
    return { count: this.size.amount, hosts: [], pool: pool.name };
  }

  /** Capacity less the most held at once during the window from `start` (usage only rises when a booking starts). */
  private freeGb(pool: PoolLine, start: number): number {
    const end = start + this.query.durationMs;
    const inWindow = (this.byPool.get(pool.id) ?? []).filter((b) => b.start < end && b.end > start);
    const points = [start, ...inWindow.map((b) => b.start).filter((s) => s > start)];
    const peak = Math.max(...points.map((p) => inWindow.filter((b) => b.start <= p && b.end > p).reduce((n, b) => n + b.gb, 0)));
    return pool.capacityGb - peak;
  }
}
