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

/** What the candidates could give under the affinity rule (for the 409 message). */
export function describeFree(candidates: readonly HostSlots[], affinity: Affinity): string {
  const usable = candidates.filter((c) => c.slots > 0);
  const total = usable.reduce((n, c) => n + c.slots, 0);
  const most = usable.reduce((n, c) => Math.max(n, c.slots), 0);
  if (affinity === true) return `at most ${most} instance(s) fit on a single host (${total} free slot(s) in all)`;
  if (affinity === false) return `${usable.length} host(s) have a free slot (${total} free slot(s) in all)`;
  return `${total} free slot(s) on ${usable.length} host(s)`;
}
