import { MetricsRegistry, registerProcessMetrics } from '../../../src/metrics';
import { parseExposition, sampleValue } from '../../support/prometheus';

describe('MetricsRegistry', () => {
  it('counts per label combination', async () => {
    const registry = new MetricsRegistry();
    const counter = registry.counter({ name: 'jobs_total', help: 'Jobs.', labelNames: ['kind'] });
    counter.inc({ kind: 'a' });
    counter.inc({ kind: 'a' }, 2);
    counter.inc({ kind: 'b' });
    const families = parseExposition(await registry.expose());
    expect(families.get('jobs_total')).toMatchObject({ type: 'counter', help: 'Jobs.' });
    expect(sampleValue(families, 'jobs_total', { kind: 'a' })).toBe(3);
    expect(sampleValue(families, 'jobs_total', { kind: 'b' })).toBe(1);
    expect(() => counter.inc({ kind: 'a' }, -1)).toThrow(/cannot increase/);
  });

  it('requires exactly the declared labels', () => {
    const registry = new MetricsRegistry();
    const gauge = registry.gauge({ name: 'g', help: 'G.', labelNames: ['a'] });
    expect(() => gauge.set({}, 1)).toThrow(/label "a" is missing/);
    expect(() => gauge.set({ a: 'x', b: 'y' }, 1)).toThrow(/exactly a/);
    expect(() => registry.gauge({ name: 'bad-name', help: '' })).toThrow(/invalid metric name/);
    expect(() => registry.gauge({ name: 'g2', help: '', labelNames: ['__x'] })).toThrow(/invalid label name/);
    expect(() => registry.histogram({ name: 'h', help: '', labelNames: ['le'] })).toThrow(/reserved/);
    expect(() => registry.histogram({ name: 'h2', help: '', buckets: [1, 1] })).toThrow(/increasing/);
  });

  it('returns the same metric for the same declaration and refuses a clashing one', () => {
    const registry = new MetricsRegistry();
    const a = registry.counter({ name: 'x_total', help: 'X.', labelNames: ['l'] });
    expect(registry.counter({ name: 'x_total', help: 'X.', labelNames: ['l'] })).toBe(a);
    expect(() => registry.gauge({ name: 'x_total', help: 'X.', labelNames: ['l'] })).toThrow(/already declared as a counter/);
    expect(() => registry.counter({ name: 'x_total', help: 'X.', labelNames: ['m'] })).toThrow(/already declared/);
  });

  it('keeps registries apart: nothing is global', async () => {
    const one = new MetricsRegistry();
    const two = new MetricsRegistry();
    one.counter({ name: 'only_in_one_total', help: 'One.' }).inc();
    expect(await two.expose()).toBe('');
    expect(await one.expose()).toContain('only_in_one_total 1');
  });

  it('writes histograms as cumulative buckets with +Inf, _sum and _count', async () => {
    const registry = new MetricsRegistry();
    const histogram = registry.histogram({ name: 'lat_seconds', help: 'Latency.', labelNames: ['op'], buckets: [0.1, 1] });
    for (const v of [0.05, 0.1, 0.5, 3]) histogram.observe({ op: 'x' }, v);
    const text = await registry.expose();
    expect(text).toContain([
      'lat_seconds_bucket{op="x",le="0.1"} 2',
      'lat_seconds_bucket{op="x",le="1"} 3',
      'lat_seconds_bucket{op="x",le="+Inf"} 4',
      'lat_seconds_sum{op="x"} 3.65',
      'lat_seconds_count{op="x"} 4',
    ].join('\n'));
    expect(parseExposition(text).get('lat_seconds')?.type).toBe('histogram');
  });

  it('runs collectors at each scrape, and a gauge reset drops its series', async () => {
    const registry = new MetricsRegistry();
    const gauge = registry.gauge({ name: 'items', help: 'Items.', labelNames: ['kind'] });
    let calls = 0;
    registry.onCollect(() => {
      calls++;
      gauge.reset();
      if (calls === 1) gauge.set({ kind: 'old' }, 1);
      gauge.set({ kind: 'new' }, calls);
    });
    await registry.expose();
    const families = parseExposition(await registry.expose());
    expect(calls).toBe(2);
    expect(sampleValue(families, 'items', { kind: 'new' })).toBe(2);
    expect(sampleValue(families, 'items', { kind: 'old' })).toBeUndefined();
  });

  it('fails the scrape when a collector fails', async () => {
    const registry = new MetricsRegistry();
    registry.onCollect(async () => { throw new Error('boom'); });
    await expect(registry.expose()).rejects.toThrow('boom');
  });

  it('has the usual process metrics', async () => {
    const registry = new MetricsRegistry();
    registerProcessMetrics(registry);
    const families = parseExposition(await registry.expose());
    expect(families.get('process_cpu_seconds_total')?.type).toBe('counter');
    expect(sampleValue(families, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(sampleValue(families, 'process_resident_memory_bytes')).toBeGreaterThan(1e6);
    const start = sampleValue(families, 'process_start_time_seconds') ?? 0;
    expect(Math.abs(start - (Date.now() / 1000 - process.uptime()))).toBeLessThan(5);
  });
});
