import type { HostSlots, TimelineBooking, TimelineHost } from '../../db';
import { blockedStarts, bookingsByHost, startsWithin } from '../availability-sweep';
import type { AvailabilityPlanner, AvailabilityQuery, SlotPlacement, TrialHolds } from '../types';
import type { InstanceReservationParams } from './params';
import { planSlots, slotsFor } from './slots';

type Size = Pick<InstanceReservationParams, 'vcpus' | 'memory_mb' | 'disk_gb'>;

/**
 * Availability of instance slots, by the rules of VirtualInstancePlugin.allocate (InstanceAllocationRepository
 * .freeSlots, then planSlots): a host held whole in the window has none; otherwise its free slots are its capacity
 * less the peak of what instance reservations hold during the window, per dimension, divided by the flavor's size.
 */
export class InstanceAvailability implements AvailabilityPlanner {
  private readonly byHost: Map<number, TimelineBooking[]>;

  constructor(
    private readonly hosts: readonly TimelineHost[],
    private readonly bookings: readonly TimelineBooking[],
    private readonly params: Pick<InstanceReservationParams, 'amount' | 'affinity'> & Size,
    private readonly query: AvailabilityQuery,
  ) {
    this.byHost = bookingsByHost(bookings);
  }

  /** The first start, and every start at which a booking enters or leaves the window (no cleaning time here). */
  candidates(): number[] {
    const lo = this.query.from.getTime();
    const hi = this.query.to.getTime() - this.query.durationMs;
    const edges: number[] = [];
    for (const b of this.bookings) {
      const range = blockedStarts(b, this.query.durationMs, 0);
      if (range) edges.push(...range);
    }
    return startsWithin(edges, lo, hi);
  }

  place(start: number, holds: TrialHolds): SlotPlacement | null {
    const end = start + this.query.durationMs;
    const free: HostSlots[] = [];
    for (const host of this.hosts) {
      if (holds.wholeHosts.has(host.id)) continue;
      const inWindow = (this.byHost.get(host.id) ?? []).filter((b) => b.start < end && b.end > start);
      if (inWindow.some((b) => b.kind === 'host')) continue;
      const used = peak(inWindow.filter((b) => b.kind === 'instance'), start, end);
      const held = holds.instanceUse.get(host.id);
      const slots = slotsFor({
        vcpus: host.vcpus - used.vcpus - (held?.vcpus ?? 0),
        memory_mb: host.memory_mb - used.memory_mb - (held?.memory_mb ?? 0),
        disk_gb: host.disk_gb - used.disk_gb - (held?.disk_gb ?? 0),
      }, this.params);
      if (slots > 0) free.push({ hostId: host.id, slots });
    }
    const plan = planSlots(free, this.params.amount, this.params.affinity);
    if (!plan) return null;
    const names = new Map(this.hosts.map((h) => [h.id, h.name]));
    for (const p of plan) {
      const held = holds.instanceUse.get(p.hostId) ?? { vcpus: 0, memory_mb: 0, disk_gb: 0 };
      holds.instanceUse.set(p.hostId, {
        vcpus: held.vcpus + p.slots * this.params.vcpus,
        memory_mb: held.memory_mb + p.slots * this.params.memory_mb,
        disk_gb: held.disk_gb + p.slots * this.params.disk_gb,
      });
    }
    return { count: this.params.amount, hosts: plan.map((p) => ({ id: p.hostId, name: names.get(p.hostId) ?? String(p.hostId), instances: p.slots })) };
  }
}

/** The most held at once during [start, end), per dimension: usage only rises when a booking starts. */
function peak(bookings: readonly TimelineBooking[], start: number, end: number): Size {
  const points = [start, ...bookings.map((b) => b.start).filter((s) => s > start && s < end)];
  const result = { vcpus: 0, memory_mb: 0, disk_gb: 0 };
  for (const p of points) {
    const at = bookings.filter((b) => b.start <= p && b.end > p);
    result.vcpus = Math.max(result.vcpus, at.reduce((n, b) => n + b.vcpus, 0));
    result.memory_mb = Math.max(result.memory_mb, at.reduce((n, b) => n + b.memory_mb, 0));
    result.disk_gb = Math.max(result.disk_gb, at.reduce((n, b) => n + b.disk_gb, 0));
  }
  return result;
}
