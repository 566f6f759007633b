import type { HostSlots } from '../../db';
import type { Affinity } from './params';

/** Free slots of one host for a flavor: the least of capacity / size over the dimensions the flavor uses. */
export function slotsFor(capacity: { vcpus: number; memory_mb: number; disk_gb: number }, size: { vcpus: number; memory_mb: number; disk_gb: number }): number {
  const dims = (['vcpus', 'memory_mb', 'disk_gb'] as const).filter((d) => size[d] > 0);
  if (!dims.length) return 0;
  return Math.max(0, Math.min(...dims.map((d) => Math.floor(capacity[d] / size[d]))));
}

/**
 * Places `amount` instances on hosts given in order of preference with their free slots: affinity true puts
 * them all on the first host that has room for all; false puts one on each of the first `amount` hosts; null
 * fills hosts in order. Null when they do not fit.
 */
export function planSlots(candidates: readonly HostSlots[], amount: number, affinity: Affinity): HostSlots[] | null {
  const usable = candidates.filter((c) => c.slots > 0);
  if (affinity === true) {
    const host = usable.find((c) => c.slots >= amount);
    return host ? [{ hostId: host.hostId, slots: amount }] : null;
  }
  if (affinity === false) {
    return usable.length >= amount ? usable.slice(0, amount).map((c) => ({ hostId: c.hostId, slots: 1 })) : null;
  }
  const plan: HostSlots[] = [];
  let left = amount;
  for (const c of usable) {
    if (left <= 0) break;
    const take = Math.min(c.slots, left);
    plan.push({ hostId: c.hostId, slots: take });
    left -= take;
  }
  return left > 0 ? null : plan;
}

/** Slots per host, summed over a reservation's rows (a host may have several), lowest host id first. */
export function slotsByHost(rows: readonly HostSlots[]): HostSlots[] {
  const sums = new Map<number, number>();
  for (const r of rows) sums.set(r.hostId, (sums.get(r.hostId) ?? 0) + r.slots);
  return [...sums].sort(([a], [b]) => a - b).map(([hostId, slots]) => ({ hostId, slots }));
}

/**
 * Where `extra` more instances go when a reservation already holding `held` slots grows (or takes back the
 * slots of a failed host), given the other candidates' free slots beyond what the reservation holds on them:
 * affinity true only on the one host it holds; false one on each of `extra` hosts it does not hold yet; null
 * on the hosts it holds first, then on others in order. Null when they do not fit.
 */
export function planExtraSlots(candidates: readonly HostSlots[], held: readonly HostSlots[], extra: number, affinity: Affinity): HostSlots[] | null {
  if (extra <= 0) return [];
  const holds = (id: number) => held.some((h) => h.hostId === id && h.slots > 0);
  if (affinity === true) {
    const own = held.filter((h) => h.slots > 0);
    // All instances share one host: the reservation grows there, or on one host that takes them all when it holds none.
    const pool = own.length ? candidates.filter((c) => holds(c.hostId)) : candidates;
    return planSlots(pool, extra, true);
  }
  if (affinity === false) return planSlots(candidates.filter((c) => !holds(c.hostId)), extra, false);
  const ordered = [...candidates].sort((a, b) => Number(holds(b.hostId)) - Number(holds(a.hostId)));
  return planSlots(ordered, extra, null);
}

/** What the candidates could give under the affinity rule (for the 409 message). */
export function describeFree(candidates: readonly HostSlots[], affinity: Affinity): string {
  const usable = candidates.filter((c) => c.slots > 0);
  const total = usable.reduce((n, c) => n + c.slots, 0);
  const most = usable.reduce((n, c) => Math.max(n, c.slots), 0);
  if (affinity === true) return `at most ${most} instance(s) fit on a single host (${total} free slot(s) in all)`;
  if (affinity === false) return `${usable.length} host(s) have a free slot (${total} free slot(s) in all)`;
  return `${total} free slot(s) on ${usable.length} host(s)`;
}
