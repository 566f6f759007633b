import { type Clock } from '../../common';
import type { Repositories } from '../../db';
import { compileHostQueryFilters } from './query-filters';

export interface CapacityQuery {
  start: Date;
  end: Date;
  stepSeconds: number;
  /** Filters in the language of a physical:host reservation; empty or absent: every host. */
  hypervisorProperties?: string;
  resourceProperties?: string;
}

/** Host counts over one step [start, end). */
export interface CapacityStep {
  start: Date;
  end: Date;
  /** Hosts meeting the filters. */
  total: number;
  /** Of those, reservable ones. */
  reservable: number;
  /** Held by a physical:host reservation at some time in the step. */
  allocated: number;
  /** Holding instance slots (virtual:instance, virtual:stack) at some time in the step. */
  withInstances: number;
  /**
   * Reservable and free for the whole step as a physical:host reservation of the step would need them: no
   * allocation of either kind within the cleaning time of the step. What is neither allocated, with instances
   * nor free is being cleaned or not reservable.
   */
  free: number;
}

/** Step indexes [first, last] an interval touches, or null when it misses the range. */
type Span = [number, number];

/**
 * Adds, for each step, how many distinct hosts have a span covering it: a host's spans are merged first, so a
 * host counts once per step however many of its allocations overlap the step.
 */
function sweep(byHost: Map<number, Span[]>, steps: number): number[] {
  const delta = new Array<number>(steps + 1).fill(0);
  for (const spans of byHost.values()) {
    spans.sort((a, b) => a[0] - b[0]);
    let [first, last] = spans[0];
    for (const [f, l] of spans.slice(1)) {
      if (f <= last + 1) { last = Math.max(last, l); continue; }
      delta[first] += 1; delta[last + 1] -= 1;
      [first, last] = [f, l];
    }
    delta[first] += 1; delta[last + 1] -= 1;
  }
  const counts = new Array<number>(steps);
  let running = 0;
  for (let i = 0; i < steps; i += 1) { running += delta[i]; counts[i] = running; }
  return counts;
}

/**
 * How full the hosts are over time (GET /v1/os-hosts/capacity): for each step of a range, hosts in total,
 * reservable, allocated to host reservations, holding instance slots, and free. Two indexed reads (the hosts
 * meeting the filters, their allocations in the range widened by the cleaning time) and a sweep over the
 * allocations' boundaries in memory: the cost follows the allocations in the range, not the number of steps.
 */
export class HostCapacity {
  constructor(
    private readonly repos: Repositories,
    private readonly clock: Clock,
    private readonly options: { cleaningTimeMinutes: number },
  ) {}

  /** The time `now` means in a query. */
  now(): Date {
    return this.clock.now();
  }

  async over(q: CapacityQuery, stepCount: number): Promise<CapacityStep[]> {
    const conditions = await compileHostQueryFilters(this.repos, q);
    const cleaning = this.options.cleaningTimeMinutes * 60_000;
    const start = q.start.getTime();
    const end = q.end.getTime();
    const stepMs = q.stepSeconds * 1000;
    const { hosts, bookings } = await this.repos.hostTimeline.read(undefined, conditions,
      { start: new Date(start - cleaning), end: new Date(end + cleaning) }, { includeUnreservable: true });
    const reservable = new Set(hosts.filter((h) => h.reservable).map((h) => h.id));

    const span = (from: number, to: number): Span | null => {
      if (to <= start || from >= end) return null;
      const first = Math.max(0, Math.floor((from - start) / stepMs));
      const last = Math.min(stepCount - 1, Math.ceil((to - start) / stepMs) - 1);
      return first <= last ? [first, last] : null;
    };
    const add = (map: Map<number, Span[]>, hostId: number, s: Span | null) => {
      if (!s) return;
      const list = map.get(hostId);
      if (list) list.push(s); else map.set(hostId, [s]);
    };
    const allocated = new Map<number, Span[]>();
    const withInstances = new Map<number, Span[]>();
    // A step is free on a host when no allocation comes within the cleaning time of it, as a create checks.
    const blocked = new Map<number, Span[]>();
    for (const { hostId, kind, start: from, end: to } of bookings) {
      add(kind === 'host' ? allocated : withInstances, hostId, span(from, to));
      if (reservable.has(hostId)) add(blocked, hostId, span(from - cleaning, to + cleaning));
    }
    const [allocatedCounts, instanceCounts, blockedCounts] = [allocated, withInstances, blocked].map((m) => sweep(m, stepCount));
    return Array.from({ length: stepCount }, (_, i) => ({
      start: new Date(start + i * stepMs),
      end: new Date(Math.min(end, start + (i + 1) * stepMs)),
      total: hosts.length,
      reservable: reservable.size,
      allocated: allocatedCounts[i],
      withInstances: instanceCounts[i],
      free: reservable.size - blockedCounts[i],
    }));
  }
}
