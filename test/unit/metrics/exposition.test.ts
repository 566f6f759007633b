import {
  escapeHelp, escapeLabelValue, formatValue, isLabelName, isMetricName, MetricsRegistry, renderExposition,
} from '../../../src/metrics';
import { parseExposition, sampleValue } from '../../support/prometheus';

describe('text exposition format', () => {
  it('escapes label values: backslash, double quote and line feed, nothing else', () => {
    expect(escapeLabelValue('a\\b"c\nd\te')).toBe('a\\\\b\\"c\\nd\te');
  });

  it('escapes HELP text: backslash and line feed, not quotes', () => {
    expect(escapeHelp('say "hi"\\ then\nstop')).toBe('say "hi"\\\\ then\\nstop');
  });

  it('spells infinities and NaN as Prometheus reads them', () => {
    expect([Infinity, -Infinity, NaN, 0, 1.5, 42, 1e21].map(formatValue)).toEqual(['+Inf', '-Inf', 'NaN', '0', '1.5', '42', '1e+21']);
  });

  it('accepts only valid metric and label names', () => {
    expect(['a', 'a_b:c', '_x', 'climate_http_requests_total'].every(isMetricName)).toBe(true);
    expect(['', '1a', 'a-b', 'a b', 'é'].some(isMetricName)).toBe(false);
    expect(['status', '_x', 'le'].every(isLabelName)).toBe(true);
    expect(['__name__', 'a:b', '1x', ''].some(isLabelName)).toBe(false);
  });

  it('writes HELP then TYPE then the samples of each family, and a final line feed', () => {
    const text = renderExposition([
      { name: 'a_total', help: 'A.', type: 'counter', samples: [{ name: 'a_total', labels: [['x', 'y']], value: 3 }] },
      { name: 'b', help: 'B.', type: 'gauge', samples: [{ name: 'b', labels: [], value: 0.25 }] },
    ]);
    expect(text).toBe('# HELP a_total A.\n# TYPE a_total counter\na_total{x="y"} 3\n# HELP b B.\n# TYPE b gauge\nb 0.25\n');
    expect(renderExposition([])).toBe('');
  });

  it('round-trips awkward label values and help text through a strict parser', async () => {
    const registry = new MetricsRegistry();
    const weird = 'back\\slash "quoted"\nnew line {braces}, comma=equals';
    const gauge = registry.gauge({ name: 'weird', help: 'Help with \\ and\na line feed.', labelNames: ['v', 'w'] });
    gauge.set({ v: weird, w: '' }, -2.5);
    gauge.set({ v: 'plain', w: 'x' }, Infinity);
    const families = parseExposition(await registry.expose());
    expect(families.get('weird')?.help).toBe('Help with \\ and\na line feed.');
    expect(sampleValue(families, 'weird', { v: weird, w: '' })).toBe(-2.5);
    expect(sampleValue(families, 'weird', { v: 'plain' })).toBe(Infinity);
  });

  it('has a parser that rejects what scrapers reject', () => {
    expect(() => parseExposition('x 1\n')).toThrow(/before any HELP/);
    expect(() => parseExposition('# HELP x X.\n# TYPE x gauge\nx{a="\\t"} 1\n')).toThrow(/invalid escape/);
    expect(() => parseExposition('# HELP x X.\n# TYPE x gauge\nx 1\nx 2\n')).toThrow(/repeated/);
    expect(() => parseExposition('# HELP x X.\n# TYPE x gauge\nx one\n')).toThrow(/invalid value/);
    expect(() => parseExposition('# HELP x X.\n# TYPE x gauge\nx 1')).toThrow(/line feed/);
    expect(() => parseExposition('# HELP h H.\n# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'))
      .toThrow(/cumulative/);
  });
});
