/**
 * The Prometheus text exposition format, version 0.0.4: what `GET /metrics` returns and what every Prometheus
 * server (and most other scrapers) read. One family is `# HELP`, `# TYPE`, then one line per sample:
 * `name{label="value",...} number`.
 */

/** The Content-Type of a text exposition. */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type MetricType = 'counter' | 'gauge' | 'histogram';

/** One line of a family: a sample name (the family's, or with `_bucket`, `_sum`, `_count`), labels, value. */
export interface Sample {
  name: string;
  labels: readonly (readonly [string, string])[];
  value: number;
}

/** A metric family as written: its help, type and samples in order. */
export interface FamilySnapshot {
  name: string;
  help: string;
  type: MetricType;
  samples: readonly Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Whether `name` may name a metric. */
export function isMetricName(name: string): boolean {
  return METRIC_NAME.test(name);
}

/** Whether `name` may name a label (names starting with `__` are reserved to Prometheus). */
export function isLabelName(name: string): boolean {
  return LABEL_NAME.test(name) && !name.startsWith('__');
}

/** HELP text: backslash and line feed are escaped. */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Label values: backslash, double quote and line feed are escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Numbers as Prometheus (Go's ParseFloat) reads them: `+Inf`, `-Inf` and `NaN` spelled its way. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function sampleLine(sample: Sample): string {
  const labels = sample.labels.length
    ? `{${sample.labels.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(',')}}`
    : '';
  return `${sample.name}${labels} ${formatValue(sample.value)}`;
}

/** The exposition of some families, each with its HELP and TYPE lines; ends with a line feed. */
export function renderExposition(families: readonly FamilySnapshot[]): string {
  const lines: string[] = [];
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`);
    lines.push(`# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) lines.push(sampleLine(sample));
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}
