import {
  isLabelName, isMetricName, renderExposition, type FamilySnapshot, type MetricType, type Sample,
} from './exposition';

/** Label values by label name; exactly the label names the metric was declared with. */
export type Labels = Readonly<Record<string, string>>;

export interface MetricOptions {
  /** `[a-zA-Z_:][a-zA-Z0-9_:]*`; counters end in `_total`, units are spelled out (`_seconds`, `_bytes`). */
  name: string;
  /** One sentence saying what is counted or measured. */
  help: string;
  /** Names of the labels every sample carries. Keep their values few: each combination is a series. */
  labelNames?: readonly string[];
}

export interface HistogramOptions extends MetricOptions {
  /** Upper bounds of the buckets, increasing; `+Inf` is added. Default: DEFAULT_BUCKETS. */
  buckets?: readonly number[];
}

/** Seconds from 5 ms to 10 s: the latencies of an HTTP API. */
export const DEFAULT_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Something the registry writes out at each scrape. */
interface Family {
  readonly name: string;
  readonly type: MetricType;
  readonly labelNames: readonly string[];
  snapshot(): FamilySnapshot;
}

/** What counters, gauges and histograms share: the declaration and one series per label combination. */
abstract class Metric<S> implements Family {
  abstract readonly type: MetricType;
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  protected readonly series = new Map<string, { values: readonly string[]; state: S }>();

  constructor(options: MetricOptions) {
    if (!isMetricName(options.name)) throw new Error(`invalid metric name "${options.name}"`);
    const labelNames = options.labelNames ?? [];
    for (const label of labelNames) {
      if (!isLabelName(label)) throw new Error(`metric ${options.name}: invalid label name "${label}"`);
    }
    if (new Set(labelNames).size !== labelNames.length) throw new Error(`metric ${options.name}: a label name is repeated`);
    this.name = options.name;
    this.help = options.help;
    this.labelNames = [...labelNames];
  }

  /** Forgets every series (a gauge read from the database drops the series it can no longer vouch for). */
  reset(): void {
    this.series.clear();
  }

  protected abstract initial(): S;

  /** The series of these labels, created on first use; labels must be exactly the declared ones. */
  protected seriesOf(labels: Labels | undefined): S {
    const given = labels ?? {};
    const values = this.labelNames.map((label) => {
      const value = given[label];
      if (typeof value !== 'string') throw new Error(`metric ${this.name}: label "${label}" is missing`);
      return value;
    });
    if (Object.keys(given).length !== this.labelNames.length) {
      throw new Error(`metric ${this.name}: labels must be exactly ${this.labelNames.join(', ') || '(none)'}`);
    }
    const key = JSON.stringify(values);
    let entry = this.series.get(key);
    if (!entry) {
      entry = { values, state: this.initial() };
      this.series.set(key, entry);
    }
    return entry.state;
  }

  protected pairs(values: readonly string[]): [string, string][] {
    return this.labelNames.map((label, i) => [label, values[i]]);
  }

  abstract snapshot(): FamilySnapshot;
}

/** A value that only goes up (restarts reset it; Prometheus' rate() copes). */
export class Counter extends Metric<{ value: number }> {
  readonly type = 'counter';

  protected initial() { return { value: 0 }; }

  inc(labels?: Labels, by = 1): void {
    if (!(by >= 0)) throw new Error(`counter ${this.name}: cannot increase by ${by}`);
    this.seriesOf(labels).value += by;
  }

  /** For a total kept elsewhere that only grows (the process' CPU time): the counter takes its value. */
  setTotal(labels: Labels | undefined, total: number): void {
    this.seriesOf(labels).value = total;
  }

  /** The current value (tests). */
  get(labels?: Labels): number {
    return this.seriesOf(labels).value;
  }

  snapshot(): FamilySnapshot {
    const samples = [...this.series.values()].map(({ values, state }) => ({ name: this.name, labels: this.pairs(values), value: state.value }));
    return { name: this.name, help: this.help, type: this.type, samples };
  }
}

/** A value that goes up and down, usually set at scrape time. */
export class Gauge extends Metric<{ value: number }> {
  readonly type = 'gauge';

  protected initial() { return { value: 0 }; }

  set(labels: Labels | undefined, value: number): void {
    this.seriesOf(labels).value = value;
  }

  inc(labels?: Labels, by = 1): void {
    this.seriesOf(labels).value += by;
  }

  dec(labels?: Labels, by = 1): void {
    this.seriesOf(labels).value -= by;
  }

  get(labels?: Labels): number {
    return this.seriesOf(labels).value;
  }

  snapshot(): FamilySnapshot {
    const samples = [...this.series.values()].map(({ values, state }) => ({ name: this.name, labels: this.pairs(values), value: state.value }));
    return { name: this.name, help: this.help, type: this.type, samples };
  }
}

/** Observations counted into buckets (cumulative `le` buckets, `_sum`, `_count`), e.g. request latencies. */
export class Histogram extends Metric<{ counts: number[]; sum: number; count: number }> {
  readonly type = 'histogram';
  readonly buckets: readonly number[];

  constructor(options: HistogramOptions) {
    super(options);
    if (this.labelNames.includes('le')) throw new Error(`histogram ${options.name}: "le" is reserved for buckets`);
    const buckets = [...(options.buckets ?? DEFAULT_BUCKETS)].filter((b) => b !== Infinity);
    if (!buckets.length || buckets.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= buckets[i - 1]))) {
      throw new Error(`histogram ${options.name}: buckets must be finite and increasing`);
    }
    this.buckets = buckets;
  }

  protected initial() { return { counts: new Array<number>(this.buckets.length).fill(0), sum: 0, count: 0 }; }

  observe(labels: Labels | undefined, value: number): void {
    const state = this.seriesOf(labels);
    const bucket = this.buckets.findIndex((bound) => value <= bound);
    if (bucket >= 0) state.counts[bucket]++;
    state.sum += value;
    state.count++;
  }

  /** Observations of these labels so far (tests). */
  count(labels?: Labels): number {
    return this.seriesOf(labels).count;
  }

  snapshot(): FamilySnapshot {
    const samples: Sample[] = [];
    for (const { values, state } of this.series.values()) {
      const labels = this.pairs(values);
      let cumulative = 0;
      this.buckets.forEach((bound, i) => {
        cumulative += state.counts[i];
        samples.push({ name: `${this.name}_bucket`, labels: [...labels, ['le', String(bound)]], value: cumulative });
      });
      samples.push({ name: `${this.name}_bucket`, labels: [...labels, ['le', '+Inf']], value: state.count });
      samples.push({ name: `${this.name}_sum`, labels, value: state.sum });
      samples.push({ name: `${this.name}_count`, labels, value: state.count });
    }
    return { name: this.name, help: this.help, type: this.type, samples };
  }
}

/** Run before each scrape is written, to set gauges from their source (a database query, the process). */
export type Collector = () => void | Promise<void>;

/**
 * The metrics of one process, created by whoever builds the process and passed to what records them: there is no
 * global registry. Declaring a metric twice with the same name, type and labels returns the first one (an app
 * built twice over one registry shares its metrics); any other clash is an error.
 */
export class MetricsRegistry {
  private readonly families = new Map<string, Family>();
  private readonly collectors: Collector[] = [];

  counter(options: MetricOptions): Counter {
    return this.declare(options, 'counter', () => new Counter(options));
  }

  gauge(options: MetricOptions): Gauge {
    return this.declare(options, 'gauge', () => new Gauge(options));
  }

  histogram(options: HistogramOptions): Histogram {
    return this.declare(options, 'histogram', () => new Histogram(options));
  }

  /** Adds a function run at every scrape, before the values are read. An error in it fails the scrape. */
  onCollect(collector: Collector): void {
    this.collectors.push(collector);
  }

  /** Runs the collectors, then returns every family in the order declared. */
  async collect(): Promise<FamilySnapshot[]> {
    await Promise.all(this.collectors.map((collect) => collect()));
    return [...this.families.values()].map((family) => family.snapshot());
  }

  /** The text exposition (format 0.0.4) of every family. */
  async expose(): Promise<string> {
    return renderExposition(await this.collect());
  }

  private declare<M extends Family>(options: MetricOptions, type: MetricType, create: () => M): M {
    const existing = this.families.get(options.name);
    if (existing) {
      const sameLabels = existing.labelNames.join(',') === (options.labelNames ?? []).join(',');
      if (existing.type !== type || !sameLabels) {
        throw new Error(`metric ${options.name} is already declared as a ${existing.type} with labels (${existing.labelNames.join(', ')})`);
      }
      return existing as M;
    }
    const metric = create();
    this.families.set(options.name, metric);
    return metric;
  }
}
