import type { Clock, Logger } from '../common';
import type { EventBacklog, EventCompletion, HostCount, HostsAllocated, LeaseStatus, OutboxBacklog } from '../db';
import type { MetricsRegistry } from './registry';

/** Where the service gauges come from (OpsRepository); read at every scrape. */
export interface ServiceStatsSource {
  leaseCountsByStatus(): Promise<Map<string, number>>;
  eventBacklog(now: Date, overdueBefore: Date): Promise<EventBacklog>;
  hostCounts(): Promise<HostCount[]>;
  hostsAllocated(now: Date): Promise<HostsAllocated>;
  recentCompletions(dueSince: Date, doneSince: Date, now: Date): Promise<EventCompletion[]>;
  outboxBacklog(): Promise<OutboxBacklog>;
}

export interface ServiceMetricsOptions {
  /** A scrape whose queries take longer reports climate_database_up 0 and no database gauges. Default 5 s. */
  timeoutMs?: number;
  /** Events completed this recently count in the lateness gauges. Default 10 minutes. */
  recentWindowMs?: number;
  /** Only events due this recently are looked at for lateness (keeps the read on an index). Default 24 h. */
  lookbackMs?: number;
  /** A due event not run this long after its time counts as overdue (a running manager starts it at once). Default 60 s. */
  overdueAfterMs?: number;
  /** Told why a scrape could not read the database (once per failure streak). */
  logger?: Logger;
}

/** Every lease status, so each has a series (0 when no lease has it) and dashboards need no absent() tricks. */
const LEASE_STATUSES: Record<LeaseStatus, true> = {
  PENDING: true, CREATING: true, STARTING: true, ACTIVE: true, UPDATING: true, TERMINATING: true, TERMINATED: true,
  DELETING: true, ERROR: true,
};

/** Host health statuses (hosts.status; "ok": none recorded), each with a series for dashboards. */
const HOST_STATUSES = ['ok', 'down', 'disabled', 'missing'];

/**
 * Gauges read from the database at scrape time: hosts by health and reservable flag and the hosts held now, leases
 * by status, the lease events that are due and not run (those overdue, and how late the recent ones ran), and the
 * notification outbox backlog. They describe the whole deployment, so every
 * API process reports the same values: aggregate them with max(), not sum().
 */
export function registerServiceMetrics(registry: MetricsRegistry, source: ServiceStatsSource, clock: Clock, options: ServiceMetricsOptions = {}): void {
  const timeoutMs = options.timeoutMs ?? 5000;
  const recentWindowMs = options.recentWindowMs ?? 10 * 60_000;
  const lookbackMs = options.lookbackMs ?? 24 * 3600_000;
  const overdueAfterMs = options.overdueAfterMs ?? 60_000;
  const recentMinutes = Math.round(recentWindowMs / 60_000);

  const up = registry.gauge({ name: 'climate_database_up', help: 'Whether the database answered the queries of this scrape (1) or not (0).' });
  const leases = registry.gauge({ name: 'climate_leases', help: 'Leases by status.', labelNames: ['status'] });
  const due = registry.gauge({
    name: 'climate_events_due',
    help: 'Lease events whose time has come and that have not run (UNDONE), including those waiting for a retry or for an earlier event of their lease.',
  });
  const oldestDue = registry.gauge({
    name: 'climate_events_due_oldest_seconds',
    help: 'How long ago the oldest due and not yet run lease event was due, in seconds; 0 when none.',
  });
  const overdue = registry.gauge({
    name: 'climate_events_overdue',
    help: `Lease events due more than ${overdueAfterMs / 1000} seconds ago and not run: no manager is running them.`,
  });
  const hosts = registry.gauge({
    name: 'climate_hosts',
    help: 'Registered hosts by health status (ok: no failure recorded; down, disabled, missing: as Nova reports) and whether they can be reserved.',
    labelNames: ['status', 'reservable'],
  });
  const allocated = registry.gauge({
    name: 'climate_hosts_allocated',
    help: 'Hosts held by a lease right now: whole hosts (physical:host) or instance slots on them (virtual:instance).',
    labelNames: ['resource_type'],
  });
  const inProgress = registry.gauge({ name: 'climate_events_in_progress', help: 'Lease events a manager is running now.' });
  const failed = registry.gauge({ name: 'climate_events_failed', help: 'Lease events given up after their retries (status ERROR).' });
  const recentDone = registry.gauge({
    name: 'climate_events_recent_done',
    help: `Lease events that completed in the last ${recentMinutes} minutes.`,
  });
  const recentLateness = registry.gauge({
    name: 'climate_events_recent_lateness_max_seconds',
    help: `Largest delay between due time and completion among lease events that completed in the last ${recentMinutes} minutes, in seconds; 0 when none.`,
  });
  const unsent = registry.gauge({ name: 'climate_notifications_unsent', help: 'Notifications written and not yet accepted by the message broker.' });
  const oldestUnsent = registry.gauge({
    name: 'climate_notifications_unsent_oldest_seconds',
    help: 'Age of the oldest unsent notification, in seconds; 0 when none.',
  });
  const fromDatabase = [leases, due, overdue, hosts, allocated, oldestDue, inProgress, failed, recentDone, recentLateness, unsent, oldestUnsent];
  let failing = false;

  const ageSeconds = (now: Date, then: Date | null) => (then ? Math.max(0, (now.getTime() - then.getTime()) / 1000) : 0);

  registry.onCollect(async () => {
    const now = clock.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const [byStatus, events, completions, outbox, hostCounts, held] = await Promise.race([
        Promise.all([
          source.leaseCountsByStatus(),
          source.eventBacklog(now, new Date(now.getTime() - overdueAfterMs)),
          source.recentCompletions(new Date(now.getTime() - lookbackMs), new Date(now.getTime() - recentWindowMs), now),
          source.outboxBacklog(),
          source.hostCounts(),
          source.hostsAllocated(now),
        ]),
        timeout,
      ]);
      leases.reset();
      for (const status of Object.keys(LEASE_STATUSES)) leases.set({ status }, 0);
      for (const [status, n] of byStatus) leases.set({ status }, n);
      hosts.reset();
      for (const status of HOST_STATUSES) for (const reservable of ['true', 'false']) hosts.set({ status, reservable }, 0);
      for (const h of hostCounts) hosts.inc({ status: h.status ?? 'ok', reservable: String(h.reservable) }, h.count);
      allocated.set({ resource_type: 'physical:host' }, held.whole);
      allocated.set({ resource_type: 'virtual:instance' }, held.slots);
      due.set(undefined, events.due);
      overdue.set(undefined, events.overdue);
      oldestDue.set(undefined, ageSeconds(now, events.oldestDueAt));
      inProgress.set(undefined, events.inProgress);
      failed.set(undefined, events.failed);
      recentDone.set(undefined, completions.length);
      recentLateness.set(undefined, completions.reduce((max, c) => Math.max(max, (c.doneAt.getTime() - c.dueAt.getTime()) / 1000), 0));
      unsent.set(undefined, outbox.unsent);
      oldestUnsent.set(undefined, ageSeconds(now, outbox.oldestCreatedAt));
      up.set(undefined, 1);
      if (failing) options.logger?.info('metrics: the database answers again');
      failing = false;
    } catch (error) {
      // Values that can no longer be read are dropped rather than repeated: a stale gauge looks healthy.
      for (const gauge of fromDatabase) gauge.reset();
      up.set(undefined, 0);
      if (!failing) options.logger?.error('metrics: cannot read the database', { error: String(error) });
      failing = true;
    } finally {
      clearTimeout(timer);
    }
  });
}
