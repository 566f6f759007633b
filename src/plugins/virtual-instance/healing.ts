import type { HostSlots, Repositories, ReservationRecord, Tx, Window } from '../../db';
import type { Replacement } from '../physical-host';
import { beyondHeld, lockedPlan, scopedConditions, type HostScope, type InstanceHostScope } from './capacity';
import type { Affinity, InstanceReservationParams } from './params';
import { planExtraSlots, slotsByHost } from './slots';

/** Where the slots of failed hosts go: the failed hosts emptied, and the slots added per host. */
interface Moves {
  removed: number[];
  moves: HostSlots[];
}

/**
 * Moves the slots of failed hosts, lowest id first, each host's slots all together or not at all (a host whose
 * slots fit nowhere stays held, its slots missing): under the affinity rule, counting what the reservation
 * already holds on healthy hosts (`held`) and what earlier moves added.
 */
export function planMoves(candidates: readonly HostSlots[], held: readonly HostSlots[], lost: readonly HostSlots[], affinity: Affinity): Moves {
  const free = new Map(candidates.map((c) => [c.hostId, c.slots]));
  const holding = [...held];
  const out: Moves = { removed: [], moves: [] };
  for (const { hostId, slots } of lost) {
    const available = [...free].filter(([, n]) => n > 0).map(([id, n]) => ({ hostId: id, slots: n }));
    const plan = planExtraSlots(available, slotsByHost(holding), slots, affinity);
    if (!plan) continue;
    out.removed.push(hostId);
    for (const p of plan) {
      free.set(p.hostId, (free.get(p.hostId) ?? 0) - p.slots);
      holding.push(p);
      out.moves.push(p);
    }
  }
  return out;
}

/**
 * Host healing for virtual:instance reservations: moves the slots a reservation holds on failed hosts to hosts
 * with room, inside the caller's transaction. Same discipline as allocation: one set-based query for free
 * slots (reservable hosts matching the reservation's filter, over `window`), the hosts a plan uses locked in id
 * order and read again. The reservation's own rows do not count as taken on the hosts it keeps (its slots there
 * are its own), and the moved slots are recorded for `window` (from now on for an active reservation).
 */
export class InstanceSlotReplacer {
  /** `scope`: the hosts a reservation may use besides its filter (a flavor's traits), the same as at allocation. */
  constructor(private readonly repos: Repositories, private readonly scope: InstanceHostScope | null = null) {}

  /** The scope's answer for the reservation (Placement, for a flavor's traits): asked before healing's transaction. */
  async prepare(reservation: ReservationRecord): Promise<HostScope | null> {
    return this.scope ? this.scope(reservation.params as InstanceReservationParams) : null;
  }

  /** `prepared`: what `prepare` answered for the reservation (needed with a scope: no cloud call under the locks). */
  async replace(tx: Tx, reservation: ReservationRecord, failed: readonly number[], window: Window, prepared?: HostScope | null): Promise<Replacement> {
    if (!failed.length) return { removed: [], added: [] };
    if (this.scope && prepared === undefined) throw new Error('InstanceSlotReplacer.replace without prepare() (the host scope is asked before the transaction)');
    const params = reservation.params as InstanceReservationParams;
    const allocations = this.repos.instanceAllocations;
    const mine = slotsByHost(await allocations.list({ reservationId: reservation.id }, tx));
    const failing = new Set(failed);
    const healthy = mine.filter((m) => !failing.has(m.hostId));
    const lost = mine.filter((m) => failing.has(m.hostId));
    const { conditions } = await scopedConditions(this.repos, tx, params, this.scope ? prepared ?? null : null);
    const read = async () => beyondHeld(await allocations.freeSlots(tx, {
      conditions, size: params, window, ignoreReservationId: reservation.id,
    }), healthy);
    const { planned } = await lockedPlan(this.repos, tx, read, (candidates) => planMoves(candidates, healthy, lost, params.affinity),
      (p) => p.moves.map((m) => m.hostId));
    if (!planned.removed.length) return { removed: [], added: [] };
    await allocations.removeHosts(tx, reservation.id, planned.removed);
    const added = slotsByHost(planned.moves);
    await allocations.insert(tx, reservation.id, reservation.leaseId, params, added, window);
    return { removed: planned.removed, added: added.map((a) => a.hostId) };
  }
}
