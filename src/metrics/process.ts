import type { MetricsRegistry } from './registry';

/**
 * The usual process metrics (the names Prometheus' client libraries use, so existing dashboards work): CPU time,
 * resident memory, start time, and the V8 heap. Read at each scrape.
 */
export function registerProcessMetrics(registry: MetricsRegistry): void {
  const cpu = registry.counter({ name: 'process_cpu_seconds_total', help: 'User and system CPU time spent by the process, in seconds.' });
  const rss = registry.gauge({ name: 'process_resident_memory_bytes', help: 'Resident memory size of the process, in bytes.' });
  const start = registry.gauge({ name: 'process_start_time_seconds', help: 'When the process started, in seconds since the Unix epoch.' });
  const heap = registry.gauge({ name: 'nodejs_heap_used_bytes', help: 'V8 heap in use, in bytes.' });
  const startedAt = Date.now() / 1000 - process.uptime();
  registry.onCollect(() => {
    const usage = process.cpuUsage();
    cpu.setTotal(undefined, (usage.user + usage.system) / 1e6);
    const memory = process.memoryUsage();
    rss.set(undefined, memory.rss);
    heap.set(undefined, memory.heapUsed);
    start.set(undefined, Math.round(startedAt));
  });
}
