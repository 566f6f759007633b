import { BEFORE_END_LEASE, BEFORE_START_LEASE, END_LEASE, START_LEASE, UPDATE_LEASE } from '../leases';
import type { MetricsRegistry } from '../metrics';
import type { EventRunObserver } from './event-runner';

/** Label values of event_type: Climate's own events; users' custom events count as "custom" (their names are free text). */
const KNOWN_EVENTS = new Set([START_LEASE, END_LEASE, BEFORE_END_LEASE, BEFORE_START_LEASE, UPDATE_LEASE]);

/** From a second to a day: events run late by the poll interval at best, by hours when no manager ran. */
const LATENESS_BUCKETS = [0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 86_400];

/**
 * This manager's event runs as Prometheus metrics: runs by outcome (done, retry, error) and, for the runs that
 * completed, how long after their due time they did. Counted by the process that ran them: sum() over managers.
 */
export function eventRunMetrics(registry: MetricsRegistry): EventRunObserver {
  const runs = registry.counter({
    name: 'climate_manager_event_runs_total',
    help: 'Lease event runs by this manager, by outcome: done, retry (failed, will be tried again), error (failed, given up).',
    labelNames: ['event_type', 'outcome'],
  });
  const lateness = registry.histogram({
    name: 'climate_manager_event_lateness_seconds',
    help: 'Time from a lease event\'s due time to its completion by this manager, in seconds.',
    labelNames: ['event_type'],
    buckets: LATENESS_BUCKETS,
  });
  const label = (eventType: string) => (KNOWN_EVENTS.has(eventType) ? eventType : 'custom');
  return {
    done(eventType, latenessSeconds) {
      runs.inc({ event_type: label(eventType), outcome: 'done' });
      lateness.observe({ event_type: label(eventType) }, latenessSeconds);
    },
    retried(eventType) { runs.inc({ event_type: label(eventType), outcome: 'retry' }); },
    failed(eventType) { runs.inc({ event_type: label(eventType), outcome: 'error' }); },
  };
}
