import { InvalidInput, systemClock, type Clock } from '../../common';
import type { Repositories, ReservationRecord, Tx, Window } from '../../db';
import type { AvailabilityPlanner, AvailabilityQuery, HookArgs, Prepared, ReservationParams, ResourcePlugin, ValidateContext } from '../types';
import { VirtualInstancePlugin, type InstanceActions } from '../virtual-instance';
import { traitHostScope, type TraitProviderNames } from './traits';
import { parseFlavorParams, updateFlavorParams, type FlavorInstanceParams, type ProjectFlavorLookup } from './params';

export const FLAVOR_INSTANCE = 'flavor:instance';

/**
 * Blazar's flavor:instance: instances of an existing Nova flavor that the lease's project can see. The flavor is
 * looked up when the reservation is made and gives the slot size; from then on the reservation is a
 * virtual:instance one in all but name: the same slots per host (one set-based query, hosts locked), and at
 * start the same private flavor (a copy of the one asked for, with its extra specs), server group, aggregate
 * and Placement inventory on child providers, all removed at end. So this plugin only checks the parameters
 * and hands everything else to the instance slot code.
 */
export class FlavorInstancePlugin implements ResourcePlugin {
  readonly resourceType = FLAVOR_INSTANCE;
  /** Does not act as the lease's owner: Nova flavors, aggregates and Placement with Climate's service token. */
  readonly actsAsOwner = false;
  private readonly slots: VirtualInstancePlugin;

  /**
   * `flavors` is null without a compute service: every create is then refused (there is no flavor to read).
   * `traitHosts` (Placement) gives the compute nodes a flavor's `trait:*` specs allow; only they are used.
   */
  constructor(repos: Repositories, actions: InstanceActions, private readonly flavors: ProjectFlavorLookup | null, clock: Clock = systemClock,
    traitHosts: TraitProviderNames | null = null) {
    this.slots = new VirtualInstancePlugin(repos, actions, clock, FLAVOR_INSTANCE, traitHosts ? traitHostScope(traitHosts) : null);
  }

  async validate(raw: Record<string, unknown>, context?: ValidateContext): Promise<FlavorInstanceParams> {
    if (!context?.projectId) throw new InvalidInput('A flavor:instance reservation needs the project of its lease');
    return parseFlavorParams(raw, context.projectId, this.flavors);
  }

  async validateUpdate(current: ReservationParams, changes: Record<string, unknown>, started: boolean): Promise<FlavorInstanceParams> {
    return updateFlavorParams(current as FlavorInstanceParams, changes, started);
  }

  /** Placement's compute nodes with the flavor's traits (none asked for a flavor without trait specs). */
  prepare(params: ReservationParams): Promise<Prepared> {
    return this.slots.prepare(params);
  }

  allocate(tx: Tx, reservation: ReservationRecord, window: Window, prepared?: Prepared): Promise<void> {
    return this.slots.allocate(tx, reservation, window, prepared);
  }

  reallocate(tx: Tx, reservation: ReservationRecord, window: Window, started: boolean, prepared?: Prepared): Promise<boolean> {
    return this.slots.reallocate(tx, reservation, window, started, prepared);
  }

  release(tx: Tx, reservation: ReservationRecord): Promise<void> {
    return this.slots.release(tx, reservation);
  }

  /** The same question as for instance slots of the flavor's size: the parameters are stored in that shape. */
  planAvailability(tx: Tx | undefined, params: ReservationParams, query: AvailabilityQuery, prepared?: Prepared): Promise<AvailabilityPlanner> {
    return this.slots.planAvailability(tx, params, query, prepared);
  }

  describe(reservation: ReservationRecord): Record<string, unknown> {
    return this.slots.describe(reservation);
  }

  headsUp(reservation: ReservationRecord): Promise<Record<string, unknown>> {
    return this.slots.headsUp(reservation);
  }

  onStart(args: HookArgs): Promise<void> {
    return this.slots.onStart(args);
  }

  onEnd(args: HookArgs): Promise<void> {
    return this.slots.onEnd(args);
  }

  onUpdate(args: HookArgs): Promise<void> {
    return this.slots.onUpdate(args);
  }

  async beforeEnd(): Promise<void> {}

  async beforeStart(): Promise<void> {}
}
