/**
 * Prometheus metrics without a client library: a registry passed to what records into it (no global one), the
 * text exposition format 0.0.4, the usual process metrics, and Climate's gauges read from the database at scrape
 * time. The API serves the registry at /metrics.
 */
export {
  MetricsRegistry, Counter, Gauge, Histogram, DEFAULT_BUCKETS,
  type Labels, type MetricOptions, type HistogramOptions, type Collector,
} from './registry';
export {
  EXPOSITION_CONTENT_TYPE, renderExposition, escapeHelp, escapeLabelValue, formatValue, isMetricName, isLabelName,
  type FamilySnapshot, type MetricType, type Sample,
} from './exposition';
export { registerProcessMetrics } from './process';
export { registerServiceMetrics, type ServiceStatsSource, type ServiceMetricsOptions } from './service';
export { createServiceRegistry } from './setup';
export { serveMetrics } from './server';
