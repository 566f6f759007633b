import type { Clock, Logger } from '../common';
import { registerProcessMetrics } from './process';
import { MetricsRegistry } from './registry';
import { registerServiceMetrics, type ServiceStatsSource } from './service';

/** The registry of a Climate process: process metrics and the service gauges (the API adds its request metrics). */
export function createServiceRegistry(stats: ServiceStatsSource, clock: Clock, logger?: Logger): MetricsRegistry {
  const registry = new MetricsRegistry();
  registerProcessMetrics(registry);
  registerServiceMetrics(registry, stats, clock, { logger });
  return registry;
}
