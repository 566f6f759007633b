import { NotEnoughResources, systemClock, type Clock } from '../../common';
import type { HostCondition, HostSlots, InstanceAllocationRecord, Repositories, ReservationRecord, Tx, Window } from '../../db';
import { bookingWords, ConflictNamingLeases } from '../conflicts';
import { isFailedStatus } from '../physical-host';
import type { AvailabilityPlanner, AvailabilityQuery, HookArgs, Prepared, ResourcePlugin } from '../types';
import type { InstanceActions } from './actions';
import { InstanceAvailability } from './availability';
import { beyondHeld, lockedPlan, scopedConditions, type HostScope, type InstanceHostScope } from './capacity';
import { parseInstanceParams, updateInstanceParams, type InstanceReservationParams } from './params';
import { describeFree, planExtraSlots, planSlots, slotsByHost } from './slots';

export const VIRTUAL_INSTANCE = 'virtual:instance';

const total = (slots: readonly HostSlots[]) => slots.reduce((n, s) => n + s.slots, 0);

/**
 * Instances of a flavor for the lease window, counted in slots per host. Free slots are computed by one
 * set-based query; the hosts a placement uses are then locked in id order and the query is run again, until
 * every host of the placement is locked and was read after its lock, so two concurrent requests never
 * oversubscribe a host (on SQLite the single writer gives the same guarantee). Host rows are the same locks
 * physical:host takes, so the two types also exclude each other.
 */
export class VirtualInstancePlugin implements ResourcePlugin {
  readonly resourceType = VIRTUAL_INSTANCE;
  /** Does not act as the lease's owner: Nova flavors, aggregates and Placement with Climate's service token. */
  readonly actsAsOwner = false;

  /**
   * `typeName` names the type in refusals: flavor:instance reuses this plugin under its own name, with `scope`
   * (the hosts its flavor's traits allow) limiting the hosts as `resource_properties` does.
   */
  constructor(private readonly repos: Repositories, private readonly actions: InstanceActions, private readonly clock: Clock = systemClock,
    private readonly typeName: string = VIRTUAL_INSTANCE, private readonly scope: InstanceHostScope | null = null) {}

  async validate(raw: Record<string, unknown>): Promise<InstanceReservationParams> {
    return parseInstanceParams(raw);
  }

  async validateUpdate(current: Record<string, unknown>, changes: Record<string, unknown>, started: boolean): Promise<InstanceReservationParams> {
    return updateInstanceParams(current as InstanceReservationParams, changes, started);
  }

  /** The scope's answer (Placement, for a flavor's traits), asked before the lease's transaction; null without a scope. */
  async prepare(params: Record<string, unknown>): Promise<HostScope | null> {
    return this.scope ? this.scope(params as InstanceReservationParams) : null;
  }

  async allocate(tx: Tx, reservation: ReservationRecord, window: Window, prepared?: Prepared): Promise<void> {
    const params = reservation.params as InstanceReservationParams;
    const { conditions, scopeWords } = await scopedConditions(this.repos, tx, params, this.prepared(prepared));
    const plan = await this.place(tx, params, conditions, window, reservation.id, [], scopeWords);
    await this.repos.instanceAllocations.insert(tx, reservation.id, reservation.leaseId, params, plan, window);
  }

  /**
   * Before the start: places the whole amount again, preferring the hosts held. After the start: the hosts held
   * keep their slots for the rest of the (new) window or the update is refused (409 naming what holds them); a raised amount
   * takes more slots from now to the end (on the hosts held first, under the affinity rule) or is refused
   * (NotEnoughResources), and resolves true: the cloud must follow (the `update_lease` event's `onUpdate`).
   */
  async reallocate(tx: Tx, reservation: ReservationRecord, window: Window, started: boolean, prepared?: Prepared): Promise<boolean> {
    const params = reservation.params as InstanceReservationParams;
    const allocations = this.repos.instanceAllocations;
    const held = await allocations.list({ reservationId: reservation.id }, tx);
    const { conditions, scopeWords } = await scopedConditions(this.repos, tx, params, this.prepared(prepared));
    if (!started) {
      const plan = await this.place(tx, params, conditions, window, reservation.id, held.map((a) => a.hostId), scopeWords);
      await allocations.removeReservation(tx, reservation.id);
      await allocations.insert(tx, reservation.id, reservation.leaseId, params, plan, window);
      return false;
    }
    // The flavor, inventory and aggregate exist on these hosts: they must keep their slots for the rest of the window.
    // What is over does not count: slots added after the start are recorded from then on.
    const rest: Window = { start: new Date(Math.max(window.start.getTime(), this.clock.now().getTime())), end: window.end };
    const mine = slotsByHost(held);
    await this.repos.hostAllocations.lockHosts(tx, mine.map((a) => a.hostId));
    const statuses = await this.repos.hosts.statusesOf(tx, mine.map((a) => a.hostId));
    // A host healing found failed is not reservable by anyone: its slots stay the reservation's (missing) whatever the window.
    const checked = mine.filter((a) => !isFailedStatus(statuses.get(a.hostId)));
    const free = await allocations.freeSlots(tx, {
      conditions: [], size: params, window: rest, ignoreReservationId: reservation.id, onlyHostIds: checked.map((a) => a.hostId),
    });
    const short = checked.filter((a) => (free.find((f) => f.hostId === a.hostId)?.slots ?? 0) < a.slots);
    if (short.length) throw await this.cannotKeep(tx, reservation.id, rest, held, short);
    await allocations.moveEnd(tx, reservation.id, window.end);
    const extra = params.amount - total(mine);
    if (extra <= 0) return false;
    const plan = await this.grow(tx, params, conditions, rest, reservation.id, mine, extra, scopeWords);
    await allocations.insert(tx, reservation.id, reservation.leaseId, params, plan, rest);
    return true;
  }

  async planAvailability(tx: Tx | undefined, raw: Record<string, unknown>, query: AvailabilityQuery, prepared?: Prepared): Promise<AvailabilityPlanner> {
    const params = raw as InstanceReservationParams;
    const { conditions } = await scopedConditions(this.repos, tx, params, this.prepared(prepared));
    const { hosts, bookings } = await this.repos.hostTimeline.read(tx, conditions, { start: query.from, end: query.to });
    return new InstanceAvailability(hosts, bookings, params, query);
  }

  async release(tx: Tx, reservation: ReservationRecord): Promise<void> {
    await this.repos.instanceAllocations.removeReservation(tx, reservation.id);
  }

  describe(reservation: ReservationRecord): Record<string, unknown> {
    const p = reservation.params;
    return { flavor_id: p.flavor_id ?? null, server_group_id: p.server_group_id ?? null, aggregate_id: p.aggregate_id ?? null };
  }

  async headsUp(reservation: ReservationRecord): Promise<Record<string, unknown>> {
    const held = slotsByHost(await this.repos.instanceAllocations.list({ reservationId: reservation.id }));
    const hosts = await Promise.all(held.map(async (a) => ({ a, h: await this.repos.hosts.get(a.hostId) })));
    return { hosts: hosts.map(({ a, h }) => ({ id: String(a.hostId), hypervisor_hostname: h?.hypervisorHostname ?? null, slots: a.slots })) };
  }

  async onStart(args: HookArgs): Promise<void> {
    await this.actions.onStart({ ...args, allocations: await this.repos.instanceAllocations.list({ reservationId: args.reservation.id }) });
  }

  async onEnd(args: HookArgs): Promise<void> {
    await this.actions.onEnd({ ...args, allocations: await this.repos.instanceAllocations.list({ reservationId: args.reservation.id }) });
  }

  /** Makes the cloud follow the slots of an active reservation (raised amount, healing); nothing otherwise. */
  async onUpdate(args: HookArgs): Promise<void> {
    if (args.lease.status !== 'ACTIVE' || args.reservation.status !== 'active') return;
    await this.actions.onUpdate({ ...args, allocations: await this.repos.instanceAllocations.list({ reservationId: args.reservation.id }) });
  }

  async beforeEnd(): Promise<void> {}

  async beforeStart(): Promise<void> {}

  /**
   * The refusal of a new window in which hosts of a started reservation would not keep their slots: each host by
   * name, with the leases holding it from when (or that it no longer has the room).
   */
  private async cannotKeep(tx: Tx, reservationId: string, rest: Window, held: readonly InstanceAllocationRecord[],
    short: readonly HostSlots[]): Promise<ConflictNamingLeases> {
    const ids = short.map((a) => a.hostId);
    const bookings = await this.repos.hostAllocations.bookings(tx, ids, rest, reservationId);
    const hosts = await Promise.all(ids.map((id) => this.repos.hosts.get(id, tx)));
    const why = short.map((a, i) => {
      const label = hosts[i]?.hypervisorHostname ?? String(a.hostId);
      const onHost = bookings.filter((b) => b.hostId === a.hostId);
      return onHost.length ? bookingWords(label, onHost) : () => `host ${label} no longer has room for its ${a.slots} instance slot(s)`;
    });
    const oldEnd = new Date(Math.max(...held.map((a) => a.endDate.getTime())));
    const what = rest.end > oldEnd ? `extend the lease to ${rest.end.toISOString()}` : `move the lease to ${rest.start.toISOString()} - ${rest.end.toISOString()}`;
    return new ConflictNamingLeases('slots_taken', (name) => `Cannot ${what}: ${why.map((w) => w(name)).join('; ')}. `
      + `A started ${this.typeName} reservation keeps the instance slots it holds`);
  }

  /**
   * A placement of `params.amount` instances, preferring `preferred` hosts (those already held), with every
   * host of it locked and its slots read after the lock. Throws NotEnoughResources when they do not fit.
   */
  /**
   * The scope's answer `prepare` gave. With a scope, a caller that did not prepare is a bug: asking here would
   * hold the transaction's row locks during a cloud call.
   */
  private prepared(prepared: Prepared): HostScope | null {
    if (!this.scope) return null;
    if (prepared === undefined) throw new Error(`${this.typeName}: allocation without prepare() (the host scope is asked before the transaction)`);
    return prepared as HostScope | null;
  }

  private async place(tx: Tx, params: InstanceReservationParams, conditions: HostCondition[], window: Window,
    reservationId: string, preferred: number[], scopeWords: string): Promise<HostSlots[]> {
    const rank = (id: number) => (preferred.includes(id) ? 0 : 1);
    const read = async () => (await this.repos.instanceAllocations.freeSlots(tx, {
      conditions, size: params, window, ignoreReservationId: reservationId,
    })).sort((a, b) => rank(a.hostId) - rank(b.hostId) || a.hostId - b.hostId);
    const { planned, candidates } = await lockedPlan(this.repos, tx, read,
      (c) => planSlots(c, params.amount, params.affinity), (p) => (p ?? []).map((s) => s.hostId));
    if (!planned) throw await this.notEnough(tx, params, conditions, window, candidates, scopeWords);
    return planned;
  }

  /** `extra` more slots for a started reservation holding `held`, in `window` (the rest of the lease), locked like `place`. */
  private async grow(tx: Tx, params: InstanceReservationParams, conditions: HostCondition[], window: Window,
    reservationId: string, held: HostSlots[], extra: number, scopeWords: string): Promise<HostSlots[]> {
    const read = async () => beyondHeld(await this.repos.instanceAllocations.freeSlots(tx, {
      conditions, size: params, window, ignoreReservationId: reservationId,
    }), held);
    const { planned, candidates } = await lockedPlan(this.repos, tx, read,
      (c) => planExtraSlots(c, held, extra, params.affinity), (p) => (p ?? []).map((s) => s.hostId));
    if (planned) return planned;
    const holds = (id: number) => held.some((h) => h.hostId === id);
    const spread = (params.affinity === true ? ' on the host it holds' : params.affinity === false ? ' on hosts it does not hold yet' : '')
      + (scopeWords ? ` (hosts ${scopeWords} only)` : '');
    // What the message counts follows the rule: the held host for affinity, the others for anti-affinity.
    const usable = params.affinity === null ? candidates : candidates.filter((c) => holds(c.hostId) === (params.affinity === true));
    throw new NotEnoughResources(
      `Not enough capacity to raise ${this.typeName} reservation ${reservationId} from ${total(held)} to ${params.amount} instance(s) `
      + `of ${params.vcpus} vCPU, ${params.memory_mb} MB RAM, ${params.disk_gb} GB disk: ${extra} more needed${spread} from `
      + `${window.start.toISOString()} to ${window.end.toISOString()}; ${describeFree(usable, params.affinity)} beyond what it holds`);
  }

  private async notEnough(tx: Tx, params: InstanceReservationParams, conditions: HostCondition[], window: Window,
    candidates: HostSlots[], scopeWords: string): Promise<NotEnoughResources> {
    const matching = await this.repos.instanceAllocations.countMatching(tx, conditions);
    const spread = params.affinity === true ? ' on one host' : params.affinity === false ? ' on distinct hosts' : '';
    const filter = (params.resource_properties ? ` matching ${params.resource_properties}` : '') + (scopeWords ? ` ${scopeWords}` : '');
    return new NotEnoughResources(
      `Not enough capacity for ${this.typeName}: asked for ${params.amount} instance(s) of ${params.vcpus} vCPU, `
      + `${params.memory_mb} MB RAM, ${params.disk_gb} GB disk${spread} from ${window.start.toISOString()} to ${window.end.toISOString()}; `
      + `${matching} reservable host(s)${filter}, ${describeFree(candidates, params.affinity)} then`);
  }
}
