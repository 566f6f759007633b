import type { HostSlots, TimelineBooking, TimelineHost } from '../../db';
import { blockedStarts, bookingsByHost } from '../availability-sweep';
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
    bookings: readonly TimelineBooking[],
    private readonly params: Pick<InstanceReservationParams, 'amount' | 'affinity'> & Size,
    private readonly query: AvailabilityQuery,
  ) {
    this.byHost = bookingsByHost(bookings);
  }

  /**
   * The first start, and every start at which a booking enters or leaves some host's window (no cleaning time here),
   * where the reservation fits on its own. One sweep: each host's free slots are worked out only at its own edges,
   * and the totals the affinity rule needs (slots, hosts with one, hosts with all) follow the changes.
   */
  candidates(): number[] {
    const lo = this.query.from.getTime();
    const hi = this.query.to.getTime() - this.query.durationMs;
    if (hi < lo) return [];
    const changes: { at: number; hostId: number }[] = [];
    for (const [hostId, list] of this.byHost) {
      for (const b of list) {
        for (const at of blockedStarts(b, this.query.durationMs, 0) ?? []) if (at > lo && at <= hi) changes.push({ at, hostId });
      }
    }
    changes.sort((a, b) => a.at - b.at);
    const current = new Map<number, number>();
    const totals = { slots: 0, hostsWithOne: 0, hostsWithAll: 0 };
    const set = (host: TimelineHost, at: number) => {
      const before = current.get(host.id) ?? 0;
      const after = this.freeSlots(host, at, undefined);
      current.set(host.id, after);
      totals.slots += after - before;
      totals.hostsWithOne += Number(after > 0) - Number(before > 0);
      totals.hostsWithAll += Number(after >= this.params.amount) - Number(before >= this.params.amount);
    };
    const fits = () => (this.params.affinity === true ? totals.hostsWithAll > 0
      : this.params.affinity === false ? totals.hostsWithOne >= this.params.amount : totals.slots >= this.params.amount);
    for (const host of this.hosts) set(host, lo);
    const found = fits() ? [lo] : [];
    const hosts = new Map(this.hosts.map((h) => [h.id, h]));
    let i = 0;
    while (i < changes.length) {
      const at = changes[i].at;
      const touched = new Set<number>();
      while (i < changes.length && changes[i].at === at) touched.add(changes[i++].hostId);
      for (const id of touched) set(hosts.get(id)!, at);
      if (fits()) found.push(at);
    }
    return found;
  }

  place(start: number, holds: TrialHolds): SlotPlacement | null {
    const free: HostSlots[] = [];
    for (const host of this.hosts) {
      if (holds.wholeHosts.has(host.id)) continue;
      const slots = this.freeSlots(host, start, holds.instanceUse.get(host.id));
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

  /** A host's free slots for a window from `start`, besides `held` (this lease's other reservations): none when held whole. */
  private freeSlots(host: TimelineHost, start: number, held: Size | undefined): number {
    const end = start + this.query.durationMs;
    const inWindow = (this.byHost.get(host.id) ?? []).filter((b) => b.start < end && b.end > start);
    if (inWindow.some((b) => b.kind === 'host')) return 0;
    const used = peak(inWindow, start, end);
    return slotsFor({
      vcpus: host.vcpus - used.vcpus - (held?.vcpus ?? 0),
      memory_mb: host.memory_mb - used.memory_mb - (held?.memory_mb ?? 0),
      disk_gb: host.disk_gb - used.disk_gb - (held?.disk_gb ?? 0),
    }, this.params);
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
