import type { Clock, Logger } from '../common';
import type { Database, HostRecord, Repositories, ReservationRecord, Tx, Window } from '../db';
import { renderLease, scheduleLeaseUpdate } from '../leases';
import type { Notifier } from '../notifications';
import type { NovaClient, NovaHypervisor, NovaService } from '../openstack';
import type { PluginRegistry, Prepared } from '../plugins';
import {
  FAILED_HOST_STATUSES, isFailedStatus, PHYSICAL_HOST, serviceHostOf, type HostFailure, type HostReplacer,
  type Replacement, type ReservationAggregateSync,
} from '../plugins/physical-host';
import { FLAVOR_INSTANCE } from '../plugins/flavor-instance';
import { VIRTUAL_INSTANCE, type HostScope, type InstanceSlotReplacer } from '../plugins/virtual-instance';

/** What Nova says is wrong with a registered host, or null when its compute service is up and enabled. */
export function hostFailure(host: Pick<HostRecord, 'hypervisorHostname' | 'serviceName'>, services: readonly NovaService[],
  hypervisors: readonly NovaHypervisor[]): HostFailure | null {
  const service = services.find((s) => s.host === serviceHostOf(host));
  const hypervisor = hypervisors.find((h) => h.hypervisor_hostname === host.hypervisorHostname);
  if (!service || !hypervisor) return 'missing';
  if (service.state === 'down' || service.forced_down) return 'down';
  if (service.status === 'disabled') return 'disabled';
  return null;
}

/** What one run of host healing did. */
export interface HealingReport {
  /** Hosts found failed (newly, or failing differently) and marked not reservable. */
  failed: { hostId: number; status: HostFailure }[];
  /** Failed hosts found up and enabled again, reservable again. */
  recovered: number[];
  /** Reservations announced degraded (reservation.degraded). */
  degraded: string[];
  /** Reservations announced healed (reservation.healed). */
  healed: string[];
  /** Failed hosts replaced in reservations. */
  replaced: { reservationId: string; removed: number[]; added: number[] }[];
  /** Active reservations whose aggregate changed in Nova. */
  synced: string[];
}

export interface HostHealerDeps {
  db: Database;
  repos: Repositories;
  nova: NovaClient;
  replacer: HostReplacer;
  aggregates: ReservationAggregateSync;
  /** Moves the slots of virtual:instance reservations off failed hosts; null when that type is not enabled. */
  instances?: InstanceSlotReplacer | null;
  /** Called after a run scheduled `update_lease` events, so an in-process event runner looks at once. */
  onEventsChanged?: () => void;
  notifier: Notifier;
  plugins: PluginRegistry;
  clock: Clock;
  logger: Logger;
}

/**
 * Host healing (compute driver nova). Each run reads the compute services and hypervisors from Nova and:
 * - marks a registered host whose compute service is down or disabled, or whose hypervisor or service is gone,
 *   not reservable (its status says why), and one found up and enabled again reservable;
 * - for every pending or active reservation (window not over) holding a failed host: tries to replace it with a
 *   free host matching the reservation's filters (a pending one in a PENDING lease; an active one in an ACTIVE
 *   lease, whose aggregate then gets the new host), sets missing_resources while a failed host is still held and
 *   resources_changed once a host was replaced, and keeps the lease's degraded flag equal to "some reservation
 *   misses resources" (both flags are cleared again when the hosts are back);
 * - virtual:instance reservations likewise, counted in slots: the slots a reservation holds on a failed host move
 *   together to hosts with room under its affinity rule and filter; for an active one the transaction also
 *   schedules the lease's `update_lease` event, through which the cloud follows (new hosts join its aggregate
 *   and get inventory, its instances on the failed host are deleted and that host leaves), retried like any event;
 *   it schedules it too when an active one is healed by its hosts coming back (one gone from Nova was left out);
 * - announces reservation.degraded (WARN) and reservation.healed (INFO) in the transaction of the change.
 * A run changes only what differs from what the database records, so running it again changes nothing more.
 */
export class HostHealer {
  constructor(private readonly deps: HostHealerDeps) {}

  async runOnce(): Promise<HealingReport> {
    const { db, repos, nova, clock, logger } = this.deps;
    const report: HealingReport = { failed: [], recovered: [], degraded: [], healed: [], replaced: [], synced: [] };
    const [services, hypervisors, hosts] = await Promise.all([nova.listComputeServices(), nova.listHypervisors(), repos.hosts.list()]);
    if (hosts.length && !services.length && !hypervisors.length) {
      // Nova shows no compute at all: more likely a broken view of it than every host gone at once.
      logger.warning('host healing: Nova lists no compute services nor hypervisors; nothing marked this time');
      return report;
    }

    // 1. Host state.
    const now = clock.now();
    const changes = hosts.flatMap((h) => {
      const failure = hostFailure(h, services, hypervisors);
      const recorded = isFailedStatus(h.status) ? h.status : null;
      return failure === recorded ? [] : [{ host: h, failure, recorded }];
    });
    // Compare-and-set on the status read: with several managers, one of them records (and reports) each change.
    const applied = changes.length ? await db.transaction(async (tx) => {
      const done: typeof changes = [];
      for (const change of changes) {
        const { host, failure } = change;
        if (await repos.hosts.setHealth(tx, host.id, { reservable: failure === null, status: failure }, now, host.status)) done.push(change);
      }
      return done;
    }) : [];
    const newlyFailed = new Set<number>();
    for (const { host, failure, recorded } of applied) {
      if (failure) {
        if (!recorded) newlyFailed.add(host.id);
        report.failed.push({ hostId: host.id, status: failure });
        logger.warning(`host healing: host ${host.id} (${host.hypervisorHostname}) is ${failure} in Nova; not reservable`);
      } else {
        report.recovered.push(host.id);
        logger.info(`host healing: host ${host.id} (${host.hypervisorHostname}) is up and enabled again; reservable`);
      }
    }

    // 2. Reservations holding failed hosts, or flagged as missing some: whole hosts, then instance slots.
    const kinds = [this.hostKind(), ...(this.deps.instances ? [this.instanceKind(this.deps.instances)] : [])];
    let scheduled = false;
    for (const kind of kinds) {
      for (const target of await kind.targets(now)) {
        try {
          if (await this.heal(kind, target.reservationId, target.leaseId, newlyFailed, report)) scheduled = true;
        } catch (error) {
          logger.error(`host healing: reservation ${target.reservationId} could not be healed; next run tries again`,
            { lease_id: target.leaseId, error: String(error) });
        }
      }
    }
    if (scheduled) this.deps.onEventsChanged?.();

    // 3. Active reservations that had hosts replaced: their aggregate follows their allocations.
    const active = (await repos.reservations.listWithLeaseStatus(PHYSICAL_HOST, { leaseStatuses: ['ACTIVE'] }))
      .filter((r) => r.status === 'active' && r.resourcesChanged);
    if (active.length) {
      const registered = await repos.hosts.list();
      const byId = new Map(registered.map((h) => [h.id, h]));
      for (const r of active) {
        try {
          const allocated = (await repos.hostAllocations.list({ reservationId: r.id }))
            .map((a) => byId.get(a.hostId)).filter((h): h is HostRecord => !!h);
          const done = await this.deps.aggregates.sync(r.id, allocated, registered);
          if (done.joined.length || done.left.length) {
            report.synced.push(r.id);
            logger.info(`host healing: aggregate of reservation ${r.id}: joined ${done.joined.join(', ') || '-'}, `
              + `left ${done.left.join(', ') || '-'}`, { lease_id: r.leaseId });
          }
        } catch (error) {
          logger.error(`host healing: aggregate of reservation ${r.id} could not be updated; next run tries again`,
            { lease_id: r.leaseId, error: String(error) });
        }
      }
    }
    return report;
  }

  /** physical:host reservations: whole hosts replaced; an active one's aggregate follows in step 3. */
  private hostKind(): HealingKind {
    const { repos, replacer } = this.deps;
    return {
      targets: (now) => repos.hostAllocations.reservationsToHeal(now, FAILED_HOST_STATUSES),
      allocations: (tx, reservationId) => repos.hostAllocations.list({ reservationId }, tx),
      prepare: async () => undefined,
      replace: (tx, reservation, failed, window) => replacer.replace(tx, reservation, failed, window),
      scheduleUpdate: false,
    };
  }

  /** virtual:instance reservations: slots moved; an active one's cloud follows through `update_lease`. */
  private instanceKind(instances: InstanceSlotReplacer): HealingKind {
    const { repos } = this.deps;
    return {
      // virtual:stack reservations hold slots too, but their stack is Heat's: they are not moved here.
      // flavor:instance reservations are instance slots of a flavor read at create: moved alike.
      targets: (now) => repos.instanceAllocations.reservationsToHeal(now, FAILED_HOST_STATUSES, [VIRTUAL_INSTANCE, FLAVOR_INSTANCE]),
      allocations: (tx, reservationId) => repos.instanceAllocations.list({ reservationId }, tx),
      // The hosts a flavor's traits allow, from Placement before the transaction (from its stored parameters).
      prepare: async (reservationId) => {
        const reservation = await repos.reservations.get(reservationId);
        return reservation ? instances.prepare(reservation) : undefined;
      },
      replace: (tx, reservation, failed, window, prepared) => instances.replace(tx, reservation, failed, window, prepared as HostScope | null | undefined),
      scheduleUpdate: true,
    };
  }

  /**
   * One reservation, in one transaction under its lease's row lock (as lease updates and events take it).
   * Resolves true when it scheduled an `update_lease` event.
   */
  private async heal(kind: HealingKind, reservationId: string, leaseId: string, newlyFailed: ReadonlySet<number>,
    report: HealingReport): Promise<boolean> {
    const { db, repos, notifier, plugins, clock } = this.deps;
    const now = clock.now();
    const prepared = await kind.prepare(reservationId);
    const outcome = await db.transaction(async (tx) => {
      const lease = await repos.leases.getForUpdate(tx, leaseId);
      const reservation = await repos.reservations.get(reservationId, tx);
      if (!lease || !reservation || (reservation.status !== 'pending' && reservation.status !== 'active')) return null;
      const allocations = (await kind.allocations(tx, reservationId)).filter((a) => a.endDate > now);
      if (!allocations.length) return null;
      const hostIds = [...new Set(allocations.map((a) => a.hostId))];
      const statuses = await repos.hosts.statusesOf(tx, hostIds);
      const failed = hostIds.filter((id) => isFailedStatus(statuses.get(id)));

      let replacement = { removed: [] as number[], added: [] as number[] };
      const replaceable = (reservation.status === 'pending' && lease.status === 'PENDING')
        || (reservation.status === 'active' && lease.status === 'ACTIVE');
      if (failed.length && replaceable) {
        const startDate = new Date(Math.min(...allocations.map((a) => a.startDate.getTime())));
        const endDate = new Date(Math.max(...allocations.map((a) => a.endDate.getTime())));
        // An active reservation needs its new host from now on only.
        const start = reservation.status === 'active' && startDate < now ? now : startDate;
        replacement = await kind.replace(tx, reservation, failed, { start, end: endDate }, prepared);
        // The failed hosts' usage ends now, the replacements' starts (the usage ledger keeps the past).
        if (replacement.added.length) await repos.usage.recordLease(tx, leaseId, now);
      }
      const missing = failed.filter((id) => !replacement.removed.includes(id));
      const missingNow = missing.length > 0;
      const noticed = failed.length > 0 && (!reservation.missingResources || failed.some((id) => newlyFailed.has(id)));
      const healed = !missingNow && (reservation.missingResources || noticed);
      const added = replacement.added;
      if (!noticed && !healed && !added.length && missingNow === reservation.missingResources) return null;

      await repos.reservations.setFlags(tx, reservationId,
        { missingResources: missingNow, ...(added.length ? { resourcesChanged: true } : {}) }, now);
      // The cloud follows an active reservation's new slots once this commits (the event is retried until it does);
      // also when its hosts came back, since one gone from Nova was left out of the cloud meanwhile.
      const update = (added.length || healed) && kind.scheduleUpdate && reservation.status === 'active' && lease.status === 'ACTIVE'
        ? await scheduleLeaseUpdate(repos, tx, leaseId, now) : null;
      const reservations = await repos.reservations.listByLeases([leaseId], tx);
      const degraded = reservations.some((r) => r.missingResources);
      if (degraded !== lease.degraded) await repos.leases.update(tx, leaseId, { degraded, updatedAt: now });
      const events = await repos.events.listByLeases([leaseId], tx);
      const view = renderLease((await repos.leases.get(leaseId, tx)) ?? lease, reservations, events, plugins);
      const ids = (list: number[]) => list.map(String);
      const announced = { degraded: false, healed: false };
      if (noticed || (missingNow && added.length)) {
        await notifier.emit(tx, 'reservation.degraded', {
          ...view, reservation_id: reservationId, missing_host_ids: ids(noticed ? failed : missing), replacement_host_ids: ids(added),
        }, { leaseId, priority: 'WARN' });
        announced.degraded = true;
      }
      if (healed) {
        await notifier.emit(tx, 'reservation.healed', { ...view, reservation_id: reservationId, replacement_host_ids: ids(added) },
          { leaseId, priority: 'INFO' });
        announced.healed = true;
      }
      return { ...announced, replacement, scheduled: update !== null };
    });
    if (!outcome) return false;
    if (outcome.degraded) report.degraded.push(reservationId);
    if (outcome.healed) report.healed.push(reservationId);
    if (outcome.replacement.added.length) {
      report.replaced.push({ reservationId, ...outcome.replacement });
      this.deps.logger.warning(`host healing: reservation ${reservationId}: host(s) ${outcome.replacement.removed.join(', ')} `
        + `replaced by ${outcome.replacement.added.join(', ')}`, { lease_id: leaseId });
    }
    return outcome.scheduled;
  }
}

/** How healing treats the reservations of one resource type that hold hosts. */
interface HealingKind {
  /** Pending or active reservations holding a failed host, or flagged missing_resources. */
  targets(now: Date): Promise<{ reservationId: string; leaseId: string }[]>;
  /** The reservation's allocations (one or more per host), each with its window. */
  allocations(tx: Tx, reservationId: string): Promise<{ hostId: number; startDate: Date; endDate: Date }[]>;
  /** What `replace` needs from the cloud for the reservation, asked before the transaction (see ResourcePlugin.prepare). */
  prepare(reservationId: string): Promise<Prepared>;
  /** Puts other hosts in place of failed ones, as far as free capacity allows (inside `tx`). */
  replace(tx: Tx, reservation: ReservationRecord, failed: number[], window: Window, prepared: Prepared): Promise<Replacement>;
  /** Whether an active reservation's replacement reaches the cloud through the lease's `update_lease` event. */
  scheduleUpdate: boolean;
}
