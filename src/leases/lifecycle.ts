import type { LeaseTrusts } from '../auth/trusts';
import type { UsageEnforcement } from '../enforcement';
import type { EventRecord, LeaseRecord, LeaseStatus, ReservationRecord, ReservationStatus, Tx } from '../db';
import type { Logger } from '../common';
import type { Priority } from '../notifications';
import { actsOn, type ResourcePlugin } from '../plugins';
import { BEFORE_END_LEASE, BEFORE_START_LEASE, END_LEASE, START_LEASE, UPDATE_LEASE } from './event-plan';
import type { LeaseDomainDeps } from './deps';
import { renderLease } from './view';

export interface LifecycleDeps extends LeaseDomainDeps {
  /** Withdraws a lease's Keystone trust once the lease has ended (keystone mode). */
  trusts?: Pick<LeaseTrusts, 'release'>;
  /** Queues the enforcement service's on-end with the end (sent later by the manager; never blocks the end). */
  enforcement?: Pick<UsageEnforcement, 'queueOnEnd'>;
}

/** How an event changes the lease: the transitional status while plugins act, and where it ends. */
interface Transition {
  from: readonly LeaseStatus[];
  during: LeaseStatus;
  to: LeaseStatus;
  reservations: ReservationStatus;
  hook: 'onStart' | 'onEnd';
}

const TRANSITIONS: Record<string, Transition> = {
  // STARTING/TERMINATING are accepted as "from" so that an event retried after a crash mid-way resumes.
  [START_LEASE]: { from: ['PENDING', 'STARTING'], during: 'STARTING', to: 'ACTIVE', reservations: 'active', hook: 'onStart' },
  [END_LEASE]: { from: ['ACTIVE', 'TERMINATING', 'PENDING', 'ERROR'], during: 'TERMINATING', to: 'TERMINATED', reservations: 'deleted', hook: 'onEnd' },
};

/**
 * Says that a reservation's start or end action was not run because its `on_start` / `on_end` is `none`
 * (virtual reservations whose owner orchestrates the resources): capacity and notifications only.
 */
export function logSkippedAction(logger: Logger, hook: 'onStart' | 'onEnd', lease: LeaseRecord, reservation: ReservationRecord): void {
  const what = hook === 'onStart'
    ? 'on_start = none: nothing created, the capacity is held for the owner'
    : 'on_end = none: the resources it made are left in place';
  logger.info(`reservation ${reservation.id} (${reservation.resourceType}) of lease ${lease.id}: ${what}`,
    { lease_id: lease.id, reservation_id: reservation.id });
}

/**
 * Outcome of running an event; `skipped` when the lease was in no state to take it (recorded as DONE); `stale`
 * when the lease given to `run` had changed since it was read and nothing was written (read it again, and check
 * the event is still due, before running it again).
 */
export type EventOutcome = 'done' | 'skipped' | 'stale';

/** A lease and its reservations as read for an event (`lease` null: deleted). */
export interface LoadedLease {
  lease: LeaseRecord | null;
  reservations: ReservationRecord[];
}

/** Thrown inside a transaction to roll it back: the lease's status was not what the event expected. */
class LeaseChanged extends Error {}

/**
 * What each lease event does: status changes (compare-and-set), the plugins' hooks, and the notification,
 * which commits with the final status change. Hooks run outside transactions and are idempotent, so an
 * event interrupted anywhere can be run again from the start.
 */
export class LeaseLifecycle {
  constructor(private readonly deps: LifecycleDeps) {}

  /**
   * Runs one claimed event. `finish` marks the event done inside the final transaction (so the event's
   * status, the lease's and the notification commit together). Throws when a hook fails.
   */
  async run(event: EventRecord, finish: (tx: Tx) => Promise<boolean>, loaded?: LoadedLease): Promise<EventOutcome> {
    if (loaded) return this.runLoaded(event, finish, loaded);
    // Read now: a lease changed between this read and the transaction is read again.
    for (;;) {
      const outcome = await this.runLoaded(event, finish, await this.load(event.leaseId));
      if (outcome !== 'stale') return outcome;
    }
  }

  private async runLoaded(event: EventRecord, finish: (tx: Tx) => Promise<boolean>, loaded: LoadedLease): Promise<EventOutcome> {
    const { lease, reservations } = loaded;
    if (!lease) {
      await this.deleted(event, finish);
      return 'skipped';
    }
    // hasOwn: a user event may be named "constructor".
    const transition = Object.hasOwn(TRANSITIONS, event.eventType) ? TRANSITIONS[event.eventType] : undefined;
    if (transition) {
      const outcome = await this.transition(event, lease, reservations, transition, finish);
      if (event.eventType === END_LEASE && outcome === 'done' && lease.trustId) await this.deps.trusts?.release(lease.trustId);
      return outcome;
    }

    if (event.eventType === BEFORE_END_LEASE) await this.hooks('beforeEnd', lease, reservations);
    if (event.eventType === BEFORE_START_LEASE) await this.hooks('beforeStart', lease, reservations);
    // A change committed to an active lease's resources (a raised amount, healing): the cloud follows it now.
    if (event.eventType === UPDATE_LEASE) await this.hooks('onUpdate', lease, reservations);
    const extra = event.eventType === BEFORE_START_LEASE ? await this.headsUp(lease, reservations) : {};
    await this.deps.db.transaction(async (tx) => {
      if (!(await finish(tx))) return;
      await this.notify(tx, lease, `lease.event.${event.eventType}`, extra);
    });
    return 'done';
  }

  /**
   * The lease and its reservations an event works on: read when the event is claimed, which may be a little
   * before it is due (the runner claims ahead). What the final transaction writes is conditional (the lease's
   * status compare-and-set, the event's claim and due time in `finish`), so a lease changed in between is not
   * overwritten with what was read here.
   */
  async load(leaseId: string): Promise<LoadedLease> {
    const lease = await this.deps.repos.leases.get(leaseId);
    return { lease, reservations: lease ? await this.deps.repos.reservations.listByLeases([lease.id]) : [] };
  }

  /** `load` for several leases with two statements; a lease not there maps to `{ lease: null }`. */
  async loadMany(leaseIds: readonly string[]): Promise<Map<string, LoadedLease>> {
    const ids = [...new Set(leaseIds)];
    const leases = await this.deps.repos.leases.getMany(ids);
    const reservations = await this.deps.repos.reservations.listByLeases(leases.map((l) => l.id));
    const loaded = new Map<string, LoadedLease>(ids.map((id) => [id, { lease: null, reservations: [] }]));
    for (const lease of leases) loaded.set(lease.id, { lease, reservations: [] });
    for (const r of reservations) loaded.get(r.leaseId)?.reservations.push(r);
    return loaded;
  }

  /** Puts the lease in ERROR with a reason, and says so (lease.error). */
  async fail(leaseId: string, reason: string, finish: (tx: Tx) => Promise<boolean>): Promise<void> {
    const now = this.deps.clock.now();
    await this.deps.db.transaction(async (tx) => {
      if (!(await finish(tx))) return;
      const lease = await this.deps.repos.leases.get(leaseId, tx);
      if (!lease) return;
      await this.deps.repos.leases.update(tx, leaseId, { status: 'ERROR', statusReason: reason, updatedAt: now });
      await this.deps.repos.reservations.setStatusForLease(tx, leaseId, 'error', now);
      await this.notify(tx, { ...lease, status: 'ERROR', statusReason: reason, updatedAt: now }, 'lease.error', {}, 'ERROR');
    });
  }

  private async transition(event: EventRecord, lease: LeaseRecord, reservations: ReservationRecord[], t: Transition,
    finish: (tx: Tx) => Promise<boolean>): Promise<EventOutcome> {
    const { repos, db, clock } = this.deps;
    if (!t.from.includes(lease.status)) {
      try {
        await db.transaction(async (tx) => {
          // A lease repaired or updated since it was read may take the event after all.
          const current = await repos.leases.get(lease.id, tx);
          if (current && current.updatedAt?.getTime() !== lease.updatedAt?.getTime()) throw new LeaseChanged();
          await finish(tx);
        });
      } catch (error) {
        if (error instanceof LeaseChanged) return 'stale';
        throw error;
      }
      this.deps.logger.info(`${event.eventType} of lease ${lease.id} skipped: lease is ${lease.status}`);
      return 'skipped';
    }
    if (!this.acts(t.hook, reservations)) return this.transitionAtOnce(event, lease, reservations, t, finish);
    if (lease.status !== t.during) {
      const moved = await db.transaction((tx) =>
        repos.leases.update(tx, lease.id, { status: t.during, updatedAt: clock.now() }, t.from, lease.updatedAt));
      if (!moved) return 'stale';
    }
    // Read before the hooks release anything: whoever powered hosts on at the heads-up powers them off now.
    const extra = event.eventType === END_LEASE ? { resources: await this.resources(reservations) } : {};
    // For the log line: the hosts a lease gives back, or got (read after the start hooks, which may replace a host).
    const released = event.eventType === END_LEASE ? await repos.hosts.namesHeldByLease(lease.id) : null;
    await this.hooks(t.hook, lease, reservations);
    const hosts = released ?? await repos.hosts.namesHeldByLease(lease.id);
    const now = clock.now();
    await db.transaction(async (tx) => {
      if (!(await finish(tx))) return;
      await repos.leases.update(tx, lease.id, { status: t.to, statusReason: null, updatedAt: now }, [t.during]);
      if (event.eventType === END_LEASE) {
        const ended = reservations.map((r) => ({ ...r, status: t.reservations }));
        await this.deps.enforcement?.queueOnEnd(tx, { ...lease, status: t.to }, ended, now);
      }
      await repos.reservations.setStatusForLease(tx, lease.id, t.reservations, now);
      await this.notify(tx, { ...lease, status: t.to, statusReason: null, updatedAt: now }, `lease.event.${event.eventType}`, extra);
    });
    this.deps.logger.info(`lease ${lease.id} is ${t.to} (${event.eventType})${hosts.length ? `, hosts: ${hosts.join(', ')}` : ''}`,
      { lease_id: lease.id, ...(hosts.length ? { hosts } : {}) });
    return 'done';
  }

  /**
   * Whether any reservation's plugin has work to do for `hook`. An unknown resource type counts as work: the
   * hooks then fail on it, as they always did.
   */
  private acts(hook: 'onStart' | 'onEnd', reservations: ReservationRecord[]): boolean {
    return reservations.some((r) => {
      if (r.status === 'deleted') return false;
      const plugin = this.deps.plugins.get(r.resourceType);
      return !plugin || (typeof plugin[hook] === 'function' && actsOn(hook, r.params));
    });
  }

  /**
   * A start or end no plugin acts on (no reservations, or all `on_start = none`): the transitional status
   * (STARTING/TERMINATING) would be visible only between two commits with nothing happening in between, so the
   * lease goes straight to its new status, in one transaction with the event's outcome and the notification.
   */
  private async transitionAtOnce(event: EventRecord, lease: LeaseRecord, reservations: ReservationRecord[], t: Transition,
    finish: (tx: Tx) => Promise<boolean>): Promise<EventOutcome> {
    const { repos, db, clock } = this.deps;
    const extra = event.eventType === END_LEASE ? { resources: await this.resources(reservations) } : {};
    const released = event.eventType === END_LEASE ? await repos.hosts.namesHeldByLease(lease.id) : null;
    await this.hooks(t.hook, lease, reservations); // logs the reservations whose action is `none`
    const hosts = released ?? (reservations.length ? await repos.hosts.namesHeldByLease(lease.id) : []);
    const now = clock.now();
    try {
      await db.transaction(async (tx) => {
        if (!(await finish(tx))) return;
        if (!(await repos.leases.update(tx, lease.id, { status: t.to, statusReason: null, updatedAt: now }, t.from, lease.updatedAt))) {
          // Changed since it was read (updated, stopped, deleted): the event's outcome is undone, and the caller looks again.
          throw new LeaseChanged();
        }
        if (event.eventType === END_LEASE) {
          const ended = reservations.map((r) => ({ ...r, status: t.reservations }));
          await this.deps.enforcement?.queueOnEnd(tx, { ...lease, status: t.to }, ended, now);
        }
        if (reservations.length) await repos.reservations.setStatusForLease(tx, lease.id, t.reservations, now);
        // Every change to a lease sets its updated_at: unchanged since read, the row is what was read plus this change.
        const current = { ...lease, status: t.to, statusReason: null, updatedAt: now };
        await this.notify(tx, current, `lease.event.${event.eventType}`, extra, 'INFO', true);
      });
    } catch (error) {
      if (error instanceof LeaseChanged) return 'stale';
      throw error;
    }
    this.deps.logger.info(`lease ${lease.id} is ${t.to} (${event.eventType})${hosts.length ? `, hosts: ${hosts.join(', ')}` : ''}`,
      { lease_id: lease.id, ...(hosts.length ? { hosts } : {}) });
    return 'done';
  }

  /** The lease went away while its event ran: the event is done (it has nothing left to act on). */
  private async deleted(event: EventRecord, finish: (tx: Tx) => Promise<boolean>): Promise<EventOutcome> {
    await this.deps.db.transaction(async (tx) => { await finish(tx); });
    this.deps.logger.info(`${event.eventType} of lease ${event.leaseId} skipped: lease deleted`);
    return 'skipped';
  }

  private async hooks(hook: 'onStart' | 'onEnd' | 'beforeEnd' | 'beforeStart' | 'onUpdate', lease: LeaseRecord, reservations: ReservationRecord[]): Promise<void> {
    for (const reservation of reservations) {
      if (reservation.status === 'deleted') continue;
      const plugin: ResourcePlugin | undefined = this.deps.plugins.get(reservation.resourceType);
      if (!plugin) throw new Error(`no plugin enabled for resource type ${reservation.resourceType}`);
      if ((hook === 'onStart' || hook === 'onEnd') && !actsOn(hook, reservation.params)) {
        logSkippedAction(this.deps.logger, hook, lease, reservation);
        continue;
      }
      await plugin[hook]?.({ lease, reservation });
    }
  }

  /** What a provisioner needs from the heads-up: seconds to go, and each reservation's resources. */
  private async headsUp(lease: LeaseRecord, reservations: ReservationRecord[]): Promise<Record<string, unknown>> {
    const seconds = Math.max(0, Math.round((lease.startDate.getTime() - this.deps.clock.now().getTime()) / 1000));
    return { seconds_until_start: seconds, resources: await this.resources(reservations) };
  }

  /** Each reservation's resources as its plugin describes them (e.g. hosts with their capabilities). */
  private async resources(reservations: ReservationRecord[]): Promise<Record<string, unknown>[]> {
    const resources = [];
    for (const r of reservations) {
      const plugin = this.deps.plugins.get(r.resourceType);
      resources.push({ reservation_id: r.id, resource_type: r.resourceType, ...(await plugin?.headsUp?.(r)) });
    }
    return resources;
  }

  /**
   * The notification payload is the lease as the API shows it, read inside the transaction (`leaseIsCurrent`:
   * the caller knows the lease row as it is now, only reservations and events are read).
   */
  private async notify(tx: Tx, lease: LeaseRecord, eventType: string, extra: Record<string, unknown> = {}, priority: Priority = 'INFO',
    leaseIsCurrent = false): Promise<void> {
    const { repos } = this.deps;
    const [reservations, events] = await Promise.all([repos.reservations.listByLeases([lease.id], tx), repos.events.listByLeases([lease.id], tx)]);
    const current = leaseIsCurrent ? lease : (await repos.leases.get(lease.id, tx)) ?? lease;
    const payload = { ...renderLease(current, reservations, events, this.deps.plugins), ...extra };
    await this.deps.notifier.emit(tx, eventType, payload, { leaseId: lease.id, priority });
  }
}
