import { InvalidState, NotEnoughResources, type Clock } from '../../common';
import type { Repositories, ReservationRecord, Tx, Window } from '../../db';
import { ConflictNamingLeases } from '../conflicts';
import { lifecycleActionsOf } from '../lifecycle-actions';
import type { AvailabilityPlanner, AvailabilityQuery, HookArgs, ReservationParams, ResourcePlugin } from '../types';
import { VirtualInstancePlugin, type InstanceActions } from '../virtual-instance';
import type { StackActions } from './actions';
import { parseStackParams, updateStackParams, type StackReservationParams } from './params';
import type { FlavorLookup } from './template';

export const VIRTUAL_STACK = 'virtual:stack';

export interface VirtualStackDeps {
  /** What the slots' start and end make in Nova and Placement (the virtual:instance actions). */
  instanceActions: InstanceActions;
  /** What the start and end do with the stack (HeatStackActions, or nothing with [compute] driver = none). */
  stackActions: StackActions;
  /** Looks the template's flavors up (Nova); null without a compute service, when sizes must be given. */
  flavors: FlavorLookup | null;
  clock?: Clock;
}

/**
 * A Heat stack for the lease window. Its capacity is instance slots, as virtual:instance holds them: at
 * creation the template's servers are counted (OS::Nova::Server, ResourceGroup `count`, AutoScalingGroup
 * `max_size`, nested groups multiplied) and sized, and that many slots of that size are reserved by the
 * virtual:instance machinery this plugin delegates to (same free-slot query, host locks and allocation rows,
 * so instance and stack reservations share hosts without double booking).
 *
 * Size: every slot of a reservation has one size. When the request gives `vcpus`, `memory_mb` and
 * `disk_gb`, that is it; otherwise the flavors the template's servers name (by name, id, or a parameter whose
 * value or default is one) are looked up in Nova and the largest in each dimension is taken, so any server
 * of the stack fits a slot (a template mixing small and large flavors reserves large slots for all). A create
 * looks the flavors up before the lease's transaction; a PUT that changes what sizes the stack does so inside
 * it (the plugin interface has no earlier step), holding the lease's row lock for those Nova calls.
 *
 * Events: the start first makes what a virtual:instance start makes (with [compute] driver = nova: a flavor
 * of the slot size pinned to the reserved hosts, a server group for affinity, an aggregate, Placement
 * inventory), then creates the stack with `StackActions`, passing that flavor and the reservation id to the
 * template (see HeatStackActions). The end deletes the stack first (its servers go with it), then what the
 * instance start made. With driver = none both do nothing: a capacity calendar.
 */
export class VirtualStackPlugin implements ResourcePlugin {
  readonly resourceType = VIRTUAL_STACK;
  /** Acts as the lease's owner: the stack is made in the owner's project with the owner's trust-scoped token (heat.ts). */
  readonly actsAsOwner = true;
  private readonly slots: VirtualInstancePlugin;

  private readonly stacks: StackActions;
  private readonly flavors: FlavorLookup | null;

  constructor(repos: Repositories, deps: VirtualStackDeps) {
    this.slots = new VirtualInstancePlugin(repos, deps.instanceActions, deps.clock);
    this.stacks = deps.stackActions;
    this.flavors = deps.flavors;
  }

  async validate(raw: Record<string, unknown>): Promise<StackReservationParams> {
    return parseStackParams(raw, this.flavors);
  }

  async validateUpdate(current: Record<string, unknown>, changes: Record<string, unknown>, started: boolean): Promise<StackReservationParams> {
    return updateStackParams(current as StackReservationParams, changes, started, this.flavors);
  }

  async allocate(tx: Tx, reservation: ReservationRecord, window: Window): Promise<void> {
    await this.explained(reservation, () => this.slots.allocate(tx, reservation, window));
  }

  /** As virtual:instance; once started the server count is fixed, so only the window moves. */
  async reallocate(tx: Tx, reservation: ReservationRecord, window: Window, started: boolean): Promise<boolean | void> {
    return this.explained(reservation, () => this.slots.reallocate(tx, reservation, window, started));
  }

  async release(tx: Tx, reservation: ReservationRecord): Promise<void> {
    await this.slots.release(tx, reservation);
  }

  /** The stack's servers as instance slots (its parameters hold the sizing the template gave), as allocation does. */
  planAvailability(tx: Tx | undefined, params: ReservationParams, query: AvailabilityQuery): Promise<AvailabilityPlanner> {
    return this.slots.planAvailability(tx, params, query);
  }

  describe(reservation: ReservationRecord): Record<string, unknown> {
    const p = reservation.params as Partial<StackReservationParams>;
    return {
      ...this.slots.describe(reservation),
      stack_id: p.stack_id ?? null, stack_status: p.stack_status ?? null, stack_status_reason: p.stack_status_reason ?? null,
      ...lifecycleActionsOf(reservation.params),
    };
  }

  async headsUp(reservation: ReservationRecord): Promise<Record<string, unknown>> {
    return this.slots.headsUp(reservation);
  }

  async onStart(args: HookArgs): Promise<void> {
    await this.slots.onStart(args);
    await this.stacks.onStart(args);
  }

  async onEnd(args: HookArgs): Promise<void> {
    await this.stacks.onEnd(args);
    await this.slots.onEnd(args);
  }

  /** The slots changed while active (healing): the reservation's flavor inventory and aggregate follow; the stack is unchanged. */
  async onUpdate(args: HookArgs): Promise<void> {
    await this.slots.onUpdate?.(args);
  }

  async beforeEnd(): Promise<void> {}

  async beforeStart(): Promise<void> {}

  /** The slot machinery's refusals, said in terms of the stack. */
  private async explained<T>(reservation: ReservationRecord, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      const p = reservation.params as StackReservationParams;
      const what = `stack "${p.stack_name}" (${p.amount} server(s) of ${p.vcpus} vCPU, ${p.memory_mb} MB RAM, ${p.disk_gb} GB disk)`;
      if (error instanceof NotEnoughResources) {
        const detail = error.message.replace(/^Not enough capacity for virtual:instance: /, '');
        throw new NotEnoughResources(`Not enough capacity for virtual:stack ${what}: ${detail}`);
      }
      if (error instanceof InvalidState) throw new InvalidState(`virtual:stack ${what}: ${error.message}`);
      if (error instanceof ConflictNamingLeases) throw error.prefixed(`virtual:stack ${what}: `);
      throw error;
    }
  }
}
