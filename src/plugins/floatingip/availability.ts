import type { FreeFloatingIp } from '../../db';
import { blockedStarts, sweepStarts } from '../availability-sweep';
import type { AvailabilityPlanner, AvailabilityQuery, SlotPlacement, TrialHolds } from '../types';

/** An allocation of a floating IP, in ms. */
export interface IpBooking {
  id: string;
  start: number;
  end: number;
}

const key = (id: string) => `floatingip:${id}`;

/**
 * Availability of floating IPs, by the rules of FloatingIpPlugin.allocate: every required address must be free in
 * the window, and the rest of `amount` comes from the network's other free reservable IPs, lowest id first (no
 * cleaning time). Candidates come from one sweep over the allocations' edges, as for whole hosts.
 */
export class FloatingIpAvailability implements AvailabilityPlanner {
  private readonly byIp = new Map<string, IpBooking[]>();
  private readonly required: Set<string>;

  constructor(
    private readonly ips: readonly FreeFloatingIp[],
    bookings: readonly IpBooking[],
    required: readonly FreeFloatingIp[],
    private readonly amount: number,
    private readonly query: AvailabilityQuery,
  ) {
    for (const b of bookings) this.byIp.set(b.id, [...(this.byIp.get(b.id) ?? []), b]);
    this.required = new Set(required.map((ip) => ip.id));
  }

  candidates(): number[] {
    const lo = this.query.from.getTime();
    const hi = this.query.to.getTime() - this.query.durationMs;
    if (hi < lo) return [];
    const changes: { at: number; id: string; delta: 1 | -1 }[] = [];
    for (const [id, list] of this.byIp) {
      for (const b of list) {
        const range = blockedStarts(b, this.query.durationMs, 0);
        if (range) changes.push({ at: range[0], id, delta: 1 }, { at: range[1], id, delta: -1 });
      }
    }
    changes.sort((a, b) => a.at - b.at);
    const inForce = new Map<string, number>();
    const blocked = { required: 0, others: 0 };
    const apply = (c: { id: string; delta: 1 | -1 }) => {
      const before = inForce.get(c.id) ?? 0;
      inForce.set(c.id, before + c.delta);
      const kind = this.required.has(c.id) ? 'required' : 'others';
      if (before === 0 && c.delta === 1) blocked[kind] += 1;
      if (before === 1 && c.delta === -1) blocked[kind] -= 1;
    };
    const others = this.ips.length - this.required.size;
    const fits = () => blocked.required === 0 && others - blocked.others >= this.amount - this.required.size;
    return sweepStarts(changes, lo, hi, apply, fits);
  }

  place(start: number, holds: TrialHolds): SlotPlacement | null {
    const end = start + this.query.durationMs;
    const free = (ip: FreeFloatingIp) => !holds.others.has(key(ip.id))
      && !(this.byIp.get(ip.id) ?? []).some((b) => b.start < end && b.end > start);
    const required = this.ips.filter((ip) => this.required.has(ip.id));
    if (!required.every(free)) return null;
    const extra = this.ips.filter((ip) => !this.required.has(ip.id) && free(ip)).slice(0, this.amount - required.length);
    if (required.length + extra.length < this.amount) return null;
    const chosen = [...required, ...extra];
    for (const ip of chosen) holds.others.add(key(ip.id));
    return { count: this.amount, hosts: [], floatingips: chosen.map((ip) => ip.address) };
  }
}
