import type { HostCondition, HostSlots, Repositories, Tx } from '../../db';
import { compileFilterSql, parseFilter, validateKeys } from '../filter';
import type { InstanceReservationParams } from './params';

/** The host condition of a reservation's `resource_properties`; an unknown `$key` is a 400 naming it. */
export async function instanceConditions(repos: Repositories, tx: Tx | undefined, params: Pick<InstanceReservationParams, 'resource_properties'>): Promise<HostCondition[]> {
  const expr = parseFilter(params.resource_properties, 'resource_properties');
  if (!expr) return [];
  validateKeys(expr, 'resource_properties', await repos.hosts.propertyNames(tx));
  return [compileFilterSql(expr, 'h')];
}

/**
 * A further limit on the hosts a reservation may use, asked of the cloud outside the database (flavor:instance
 * asks Placement which compute nodes have the flavor's required traits): a condition on hosts `h`, and the words
 * naming it in a refusal. Null: no limit for this reservation.
 */
export type InstanceHostScope = (params: InstanceReservationParams) => Promise<HostScope | null>;

/** A scope's answer for one reservation. */
export interface HostScope {
  condition: HostCondition;
  words: string;
}

/** The reservation's `resource_properties` condition and the scope's, with the scope's words ('' without one). */
export async function scopedConditions(repos: Repositories, tx: Tx | undefined, params: InstanceReservationParams,
  scope: HostScope | null): Promise<{ conditions: HostCondition[]; scopeWords: string }> {
  const conditions = await instanceConditions(repos, tx, params);
  return scope ? { conditions: [...conditions, scope.condition], scopeWords: scope.words } : { conditions, scopeWords: '' };
}

/**
 * Plans over free slots with the hosts of the plan locked: the candidates are read (one set-based query), a plan
 * is made, the plan's hosts are locked in id order and everything is read and planned again, until every host
 * of the plan is locked and was read after its lock. Host rows are the locks every allocation takes, so two
 * transactions never fill the same slots; on SQLite the single writer gives the same guarantee at once.
 */
export async function lockedPlan<T>(repos: Repositories, tx: Tx, read: () => Promise<HostSlots[]>,
  plan: (candidates: HostSlots[]) => T, hostsOf: (planned: T) => number[]): Promise<{ planned: T; candidates: HostSlots[] }> {
  const locked = new Set<number>();
  for (;;) {
    const candidates = await read();
    const planned = plan(candidates);
    const toLock = hostsOf(planned).filter((id) => !locked.has(id));
    if (!toLock.length || repos.db.dialect === 'sqlite') return { planned, candidates };
    for (const id of await repos.hostAllocations.lockHosts(tx, toLock)) locked.add(id);
  }
}

/** Free slots beyond what the reservation itself holds on each host (`free` ignores the reservation's own rows). */
export function beyondHeld(free: readonly HostSlots[], held: readonly HostSlots[]): HostSlots[] {
  return free.map((f) => ({ hostId: f.hostId, slots: f.slots - (held.find((h) => h.hostId === f.hostId)?.slots ?? 0) }))
    .filter((f) => f.slots > 0);
}
