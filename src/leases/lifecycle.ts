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

/** Outcome of running an event; `skipped` when the lease was in no state to take it (recorded as DONE). */
export type EventOutcome = 'done' | 'skipped';

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
  async run(event: EventRecord, finish: (tx: Tx) => Promise<boolean>): Promise<EventOutcome> {
    const { repos } = this.deps;
    const lease = await repos.leases.get(event.leaseId);
    if (!lease) return 'skipped';
    const reservations = await repos.reservations.listByLeases([lease.id]);
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
      await db.transaction(async (tx) => { await finish(tx); });
      this.deps.logger.info(`${event.eventType} of lease ${lease.id} skipped: lease is ${lease.status}`);
      return 'skipped';
    }
    if (lease.status !== t.during) {
      const moved = await db.transaction((tx) => repos.leases.update(tx, lease.id, { status: t.during, updatedAt: clock.now() }, t.from));
      if (!moved) return this.transition(event, (await repos.leases.get(lease.id)) ?? lease, reservations, t, finish);
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

  /** The notification payload is the lease as the API shows it, read inside the transaction. */
  private async notify(tx: Tx, lease: LeaseRecord, eventType: string, extra: Record<string, unknown> = {}, priority: Priority = 'INFO'): Promise<void> {
    const { repos } = this.deps;
    const [reservations, events] = await Promise.all([repos.reservations.listByLeases([lease.id], tx), repos.events.listByLeases([lease.id], tx)]);
    const current = (await repos.leases.get(lease.id, tx)) ?? lease;
    const payload = { ...renderLease(current, reservations, events, this.deps.plugins), ...extra };
    await this.deps.notifier.emit(tx, eventType, payload, { leaseId: lease.id, priority });
  }
}
