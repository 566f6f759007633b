import type { TimelineBooking, TimelineHost } from '../../db';
import { blockedStarts, bookingsByHost, sweepStarts } from '../availability-sweep';
import type { AvailabilityPlanner, AvailabilityQuery, SlotPlacement, TrialHolds } from '../types';
import type { HostReservationParams } from './params';

/**
 * Availability of whole hosts, by the rules of PhysicalHostPlugin.allocate: a reservable host matching the
 * filters is free for a window when nothing holds it (whole, or instance slots on it) within the window widened
 * by the cleaning time; the lowest ids up to `max` are taken, and at least `min` must be free.
 *
 * Candidates come from one sweep: every booking rules out a range of starts for its host, and the number of
 * hosts with no range in force changes only at the ends of those ranges.
 */
export class HostAvailability implements AvailabilityPlanner {
  private readonly byHost: Map<number, TimelineBooking[]>;

  constructor(
    private readonly hosts: readonly TimelineHost[],
    bookings: readonly TimelineBooking[],
    private readonly params: Pick<HostReservationParams, 'min' | 'max'>,
    private readonly query: AvailabilityQuery,
    private readonly cleaningMs: number,
  ) {
    this.byHost = bookingsByHost(bookings);
  }

  candidates(): number[] {
    const lo = this.query.from.getTime();
    const hi = this.query.to.getTime() - this.query.durationMs;
    if (hi < lo || this.hosts.length < this.params.min) return [];
    const changes: { at: number; hostId: number; delta: 1 | -1 }[] = [];
    for (const [hostId, list] of this.byHost) {
      for (const b of list) {
        const range = blockedStarts(b, this.query.durationMs, this.cleaningMs);
        if (range) changes.push({ at: range[0], hostId, delta: 1 }, { at: range[1], hostId, delta: -1 });
      }
    }
    changes.sort((a, b) => a.at - b.at);
    const inForce = new Map<number, number>();
    let blockedHosts = 0;
    const apply = (c: { hostId: number; delta: 1 | -1 }) => {
      const before = inForce.get(c.hostId) ?? 0;
      inForce.set(c.hostId, before + c.delta);
      if (before === 0 && c.delta === 1) blockedHosts += 1;
      if (before === 1 && c.delta === -1) blockedHosts -= 1;
    };
    const fits = () => this.hosts.length - blockedHosts >= this.params.min;
    return sweepStarts(changes, lo, hi, apply, fits);
  }

  place(start: number, holds: TrialHolds): SlotPlacement | null {
    const from = start - this.cleaningMs;
    const to = start + this.query.durationMs + this.cleaningMs;
    const chosen: TimelineHost[] = [];
    for (const host of this.hosts) {
      if (chosen.length >= this.params.max) break;
      if (holds.wholeHosts.has(host.id) || holds.instanceUse.has(host.id)) continue;
      if ((this.byHost.get(host.id) ?? []).some((b) => b.start < to && b.end > from)) continue;
      chosen.push(host);
    }
    if (chosen.length < this.params.min) return null;
    for (const host of chosen) holds.wholeHosts.add(host.id);
    return { count: chosen.length, hosts: chosen.map((h) => ({ id: h.id, name: h.name })) };
  }
}
