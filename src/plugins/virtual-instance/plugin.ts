import { InvalidState, NotEnoughResources } from '../../common';
import type { HostCondition, HostSlots, Repositories, ReservationRecord, Tx, Window } from '../../db';
import { compileFilterSql, parseFilter, validateKeys } from '../filter';
import type { HookArgs, ResourcePlugin } from '../types';
import type { InstanceActions } from './actions';
import { parseInstanceParams, updateInstanceParams, type InstanceReservationParams } from './params';
import { describeFree, planSlots } from './slots';

export const VIRTUAL_INSTANCE = 'virtual:instance';

/**
 * Instances of a flavor for the lease window, counted in slots per host. Free slots are computed by one
 * set-based query; the hosts a placement uses are then locked in id order and the query is run again, until
 * every host of the placement is locked and was read after its lock, so two concurrent requests never
 * oversubscribe a host (on SQLite the single writer gives the same guarantee). Host rows are the same locks
 * physical:host takes, so the two types also exclude each other.
 */
export class VirtualInstancePlugin implements ResourcePlugin {
  readonly resourceType = VIRTUAL_INSTANCE;

  constructor(private readonly repos: Repositories, private readonly actions: InstanceActions) {}

  async validate(raw: Record<string, unknown>): Promise<InstanceReservationParams> {
    return parseInstanceParams(raw);
  }

  async validateUpdate(current: Record<string, unknown>, changes: Record<string, unknown>, started: boolean): Promise<InstanceReservationParams> {
    return updateInstanceParams(current as InstanceReservationParams, changes, started);
  }

  async allocate(tx: Tx, reservation: ReservationRecord, window: Window): Promise<void> {
    const params = reservation.params as InstanceReservationParams;
    const conditions = await this.conditions(tx, params);
    const plan = await this.place(tx, params, conditions, window, reservation.id, []);
    await this.repos.instanceAllocations.insert(tx, reservation.id, reservation.leaseId, params, plan, window);
  }

  async reallocate(tx: Tx, reservation: ReservationRecord, window: Window, started: boolean): Promise<void> {
    const params = reservation.params as InstanceReservationParams;
    const allocations = this.repos.instanceAllocations;
    const held = await allocations.list({ reservationId: reservation.id }, tx);
    const conditions = await this.conditions(tx, params);
    if (started) {
      // The flavor, inventory and aggregate exist on these hosts: they must keep their slots in the new window.
      await this.repos.hostAllocations.lockHosts(tx, held.map((a) => a.hostId));
      const free = await allocations.freeSlots(tx, {
        conditions: [], size: params, window, ignoreReservationId: reservation.id, onlyHostIds: held.map((a) => a.hostId),
      });
      const short = held.filter((a) => (free.find((f) => f.hostId === a.hostId)?.slots ?? 0) < a.slots);
      if (short.length) {
        throw new InvalidState(`Cannot move a started virtual:instance reservation to ${window.start.toISOString()} - `
          + `${window.end.toISOString()}: host(s) ${short.map((a) => a.hostId).join(', ')} would not keep their instance slots`);
      }
      await allocations.moveReservation(tx, reservation.id, window);
      return;
    }
    const plan = await this.place(tx, params, conditions, window, reservation.id, held.map((a) => a.hostId));
    await allocations.removeReservation(tx, reservation.id);
    await allocations.insert(tx, reservation.id, reservation.leaseId, params, plan, window);
  }

  async release(tx: Tx, reservation: ReservationRecord): Promise<void> {
    await this.repos.instanceAllocations.removeReservation(tx, reservation.id);
  }

  describe(reservation: ReservationRecord): Record<string, unknown> {
    const p = reservation.params;
    return { flavor_id: p.flavor_id ?? null, server_group_id: p.server_group_id ?? null, aggregate_id: p.aggregate_id ?? null };
  }

  async headsUp(reservation: ReservationRecord): Promise<Record<string, unknown>> {
    const held = await this.repos.instanceAllocations.list({ reservationId: reservation.id });
    const hosts = await Promise.all(held.map(async (a) => ({ a, h: await this.repos.hosts.get(a.hostId) })));
    return { hosts: hosts.map(({ a, h }) => ({ id: String(a.hostId), hypervisor_hostname: h?.hypervisorHostname ?? null, slots: a.slots })) };
  }

  async onStart(args: HookArgs): Promise<void> {
    await this.actions.onStart({ ...args, allocations: await this.repos.instanceAllocations.list({ reservationId: args.reservation.id }) });
  }

  async onEnd(args: HookArgs): Promise<void> {
    await this.actions.onEnd({ ...args, allocations: await this.repos.instanceAllocations.list({ reservationId: args.reservation.id }) });
  }

  async beforeEnd(): Promise<void> {}

  async beforeStart(): Promise<void> {}

  private async conditions(tx: Tx, params: InstanceReservationParams): Promise<HostCondition[]> {
    const expr = parseFilter(params.resource_properties, 'resource_properties');
    if (!expr) return [];
    validateKeys(expr, 'resource_properties', await this.repos.hosts.propertyNames(tx));
    return [compileFilterSql(expr, 'h')];
  }

  /**
   * A placement of `params.amount` instances, preferring `preferred` hosts (those already held), with every
   * host of it locked and its slots read after the lock. Throws NotEnoughResources when they do not fit.
   */
  private async place(tx: Tx, params: InstanceReservationParams, conditions: HostCondition[], window: Window,
    reservationId: string, preferred: number[]): Promise<HostSlots[]> {
    const locked = new Set<number>();
    const rank = (id: number) => (preferred.includes(id) ? 0 : 1);
    for (;;) {
      const candidates = (await this.repos.instanceAllocations.freeSlots(tx, {
        conditions, size: params, window, ignoreReservationId: reservationId,
      })).sort((a, b) => rank(a.hostId) - rank(b.hostId) || a.hostId - b.hostId);
      const plan = planSlots(candidates, params.amount, params.affinity);
      if (!plan) throw await this.notEnough(tx, params, conditions, window, candidates);
      const toLock = plan.map((p) => p.hostId).filter((id) => !locked.has(id));
      if (!toLock.length || this.repos.db.dialect === 'sqlite') return plan;
      for (const id of await this.repos.hostAllocations.lockHosts(tx, toLock)) locked.add(id);
    }
  }

  private async notEnough(tx: Tx, params: InstanceReservationParams, conditions: HostCondition[], window: Window,
    candidates: HostSlots[]): Promise<NotEnoughResources> {
    const matching = await this.repos.instanceAllocations.countMatching(tx, conditions);
    const spread = params.affinity === true ? ' on one host' : params.affinity === false ? ' on distinct hosts' : '';
    const filter = params.resource_properties ? ` matching ${params.resource_properties}` : '';
    return new NotEnoughResources(
      `Not enough capacity for virtual:instance: asked for ${params.amount} instance(s) of ${params.vcpus} vCPU, `
      + `${params.memory_mb} MB RAM, ${params.disk_gb} GB disk${spread} from ${window.start.toISOString()} to ${window.end.toISOString()}; `
      + `${matching} reservable host(s)${filter}, ${describeFree(candidates, params.affinity)} then`);
  }
}
