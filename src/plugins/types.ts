import type { LeaseRecord, ReservationRecord, Tx, Window } from '../db';

/** Reservation parameters as a plugin stores them (JSON-serialisable). */
export type ReservationParams = Record<string, unknown>;

/** What a new reservation's check may need besides its parameters: the project of its lease. */
export interface ValidateContext {
  projectId: string;
}

/**
 * What a plugin's `prepare` learnt from the cloud for one reservation, handed back to its allocation methods.
 * Opaque to the lease service, which only carries it from before the transaction into it.
 */
export type Prepared = unknown;

/** What an event hook gets: the lease and the one reservation of this plugin's type. */
export interface HookArgs {
  lease: LeaseRecord;
  reservation: ReservationRecord;
}

/**
 * A resource type ("physical:host", "virtual:instance", ...). The lease service owns statuses, events and
 * notifications; a plugin owns its parameters and its allocations, and acts when events run.
 *
 * Allocation methods run inside the caller's transaction and must be atomic with it: when they throw,
 * nothing they wrote survives. Event hooks run outside any transaction and must be idempotent, because a
 * failed or interrupted event is retried.
 */
export interface ResourcePlugin {
  readonly resourceType: string;

  /**
   * Whether the plugin's start and end actions call the cloud as the lease's owner, with a token from the owner's
   * Keystone trust (true for virtual:stack and virtual:volume, whose stacks and volumes must be the owner's, in
   * the owner's quota). Keystone mode takes a trust only for a lease holding such a reservation (see
   * leases/owner-trust.ts); the other types act with Climate's own service token, so their leases cost no
   * Keystone call. Absent: false.
   */
  readonly actsAsOwner?: boolean;

  /**
   * Checks and normalises the parameters of a new reservation. Throws InvalidInput naming the field. `context`
   * gives the lease's project (flavor:instance checks the project may use the flavor it names).
   */
  validate(raw: Record<string, unknown>, context?: ValidateContext): Promise<ReservationParams>;

  /**
   * Applies the changes of a PUT to stored parameters and checks the result. `started` tells whether the
   * lease has started (some parameters are then fixed: InvalidState).
   */
  validateUpdate(current: ReservationParams, changes: Record<string, unknown>, started: boolean): Promise<ReservationParams>;

  /**
   * Asks the cloud what `allocate`, `reallocate` and `planAvailability` of this reservation will need from it
   * (flavor:instance: the compute nodes Placement says have its flavor's traits). The lease service calls it
   * before its transaction and passes the answer to those methods as `prepared`, so no row lock waits on a
   * cloud call. An update prepares from the stored parameters, so the answer may depend only on parameters a PUT
   * cannot change. Throws ServiceUnavailable (503) when the cloud does not answer. Absent: nothing to ask.
   */
  prepare?(params: ReservationParams): Promise<Prepared>;

  /** Finds and records resources for a new reservation. Throws NotEnoughResources (409) when short. */
  allocate(tx: Tx, reservation: ReservationRecord, window: Window, prepared?: Prepared): Promise<void>;

  /**
   * Re-checks and re-allocates after the window or the parameters changed, keeping the resources already held
   * where they still fit. `reservation.params` are the new parameters. Resolves true when the lease has started
   * and the resources changed in a way the cloud must follow: the lease service then schedules an
   * `update_lease` event in the same transaction, which runs `onUpdate` once the change is committed.
   */
  reallocate(tx: Tx, reservation: ReservationRecord, window: Window, started: boolean, prepared?: Prepared): Promise<boolean | void>;

  /**
   * Reads what availability questions about these (validated) parameters need, once, and answers them in memory.
   * Absent: the type does not answer availability questions yet (the API says so with a 400).
   */
  planAvailability?(tx: Tx | undefined, params: ReservationParams, query: AvailabilityQuery, prepared?: Prepared): Promise<AvailabilityPlanner>;

  /** Releases everything the reservation holds. */
  release(tx: Tx, reservation: ReservationRecord): Promise<void>;

  /** Fields the API shows for this reservation besides its parameters (e.g. ids of created resources). */
  describe?(reservation: ReservationRecord): Record<string, unknown>;

  /** Extra payload for the before_start_lease notification (e.g. the hosts to power on). */
  headsUp?(reservation: ReservationRecord): Promise<Record<string, unknown>>;

  onStart(args: HookArgs): Promise<void>;
  onEnd(args: HookArgs): Promise<void>;
  /**
   * Brings the cloud in line with the resources of a reservation whose lease is active, after a committed change
   * to them (a raised amount, healing): run by the `update_lease` event that change scheduled in its own
   * transaction, so a crash or a failure between the two is retried like any event. Must be idempotent and do
   * nothing unless the lease is ACTIVE.
   */
  onUpdate?(args: HookArgs): Promise<void>;
  beforeEnd(args: HookArgs): Promise<void>;
  beforeStart(args: HookArgs): Promise<void>;
}

/** A question about time for one reservation: when, within `from`..`to`, could it hold its resources for `durationMs`? */
export interface AvailabilityQuery {
  /** Earliest start, on a minute boundary (the search's step). */
  from: Date;
  /** Latest end. */
  to: Date;
  durationMs: number;
}

/**
 * What the reservations of a lease tried earlier in the same window would hold in it (they share the window, so
 * whatever they hold overlaps it whole): later reservations of the lease must do without it, as in a create.
 */
export interface TrialHolds {
  /** Hosts held whole (physical:host). */
  readonly wholeHosts: Set<number>;
  /** Instance resources held per host (virtual:instance), summed. */
  readonly instanceUse: Map<number, { vcpus: number; memory_mb: number; disk_gb: number }>;
  /** Other resources held, each by a key of its plugin's choosing (e.g. `floatingip:<id>`). */
  readonly others: Set<string>;
  /** Other resources held in quantity, by a key of its plugin's choosing (e.g. `volume-pool:<id>` to GiB). */
  readonly amounts: Map<string, number>;
}

/** What a reservation would get in a window: how many (hosts or instances), and on which hosts (shown to admins). */
export interface SlotPlacement {
  count: number;
  hosts: { id: number; name: string; instances?: number }[];
  /** Floating IP addresses (virtual:floatingip), shown to admins like hosts. */
  floatingips?: string[];
  /** The volume pool (virtual:volume), shown to admins like hosts. */
  pool?: string;
}

/**
 * A reservation's answers to availability questions, from data read once (see ResourcePlugin.planAvailability).
 * `place` applies the plugin's own allocation rules, so a window it accepts is one `allocate` would accept.
 */
export interface AvailabilityPlanner {
  /**
   * Start times (ms, on minute boundaries, ascending) worth trying: the query's first start and every later one at
   * which what this reservation could get changes, where it fits on its own. The earliest start at which a whole
   * lease fits is among the union of its reservations' candidates.
   */
  candidates(): number[];
  /** What it would get in [start, start + duration) besides `holds` (which it adds to); null when it does not fit. */
  place(start: number, holds: TrialHolds): SlotPlacement | null;
}

/** The enabled plugins by resource type; built once at start-up and frozen. */
export class PluginRegistry {
  private readonly byType = new Map<string, ResourcePlugin>();
  private frozen = false;

  register(plugin: ResourcePlugin): this {
    if (this.frozen) throw new Error('plugin registry is frozen');
    if (this.byType.has(plugin.resourceType)) {
      throw new Error(`two plugins for resource type ${plugin.resourceType}`);
    }
    this.byType.set(plugin.resourceType, plugin);
    return this;
  }

  freeze(): this {
    this.frozen = true;
    return this;
  }

  get(resourceType: string): ResourcePlugin | undefined {
    return this.byType.get(resourceType);
  }

  types(): string[] {
    return [...this.byType.keys()];
  }
}
