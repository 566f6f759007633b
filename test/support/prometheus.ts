/**
 * A strict reader of Prometheus' text exposition format 0.0.4, written from the format's description for the
 * tests: it throws on anything a scraper would reject or that the format leaves undefined (a sample before its
 * TYPE, an unknown escape, a repeated series, histogram buckets that are not cumulative).
 */

export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedFamily {
  name: string;
  help: string;
  type: string;
  samples: ParsedSample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*';

function unescape(text: string, allowQuote: boolean, where: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== '\\') { out += c; continue; }
    const next = text[++i];
    if (next === '\\') out += '\\';
    else if (next === 'n') out += '\n';
    else if (next === '"' && allowQuote) out += '"';
    else throw new Error(`${where}: invalid escape \\${next ?? ''}`);
  }
  return out;
}

function parseValue(text: string, where: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`${where}: invalid value "${text}"`);
  return Number(text);
}

/** `{a="x",b="y\"z"}` from position 0 of `text`: the labels and where the block ends. */
function parseLabels(text: string, where: string): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = 1;
  const labelName = new RegExp(`^${LABEL}`);
  while (text[i] !== '}') {
    const name = labelName.exec(text.slice(i))?.[0];
    if (!name) throw new Error(`${where}: bad label name at "${text.slice(i)}"`);
    i += name.length;
    if (text.slice(i, i + 2) !== '="') throw new Error(`${where}: expected =" after label ${name}`);
    i += 2;
    let raw = '';
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') { raw += text.slice(i, i + 2); i += 2; } else { raw += text[i]; i++; }
    }
    if (text[i] !== '"') throw new Error(`${where}: unterminated value of label ${name}`);
    i++;
    if (Object.hasOwn(labels, name)) throw new Error(`${where}: label ${name} repeated`);
    labels[name] = unescape(raw, true, where);
    if (text[i] === ',') i++;
    else if (text[i] !== '}') throw new Error(`${where}: expected , or } after label ${name}`);
  }
  return { labels, end: i + 1 };
}

export function parseExposition(body: string): Map<string, ParsedFamily> {
  if (body !== '' && !body.endsWith('\n')) throw new Error('exposition must end with a line feed');
  const families = new Map<string, ParsedFamily>();
  const seen = new Set<string>();
  let current: ParsedFamily | null = null;
  const lines = body.split('\n').slice(0, -1);
  lines.forEach((line, index) => {
    const where = `line ${index + 1}`;
    if (line === '') return;
    const help = new RegExp(`^# HELP (${NAME}) (.*)$`).exec(line);
    if (help) {
      const [, name, text] = help;
      if (families.has(name)) throw new Error(`${where}: second HELP for ${name}`);
      current = { name, help: unescape(text, false, where), type: 'untyped', samples: [] };
      families.set(name, current);
      return;
    }
    const type = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`).exec(line);
    if (type) {
      const [, name, kind] = type;
      if (!current || current.name !== name || current.samples.length) throw new Error(`${where}: TYPE ${name} out of place`);
      current.type = kind;
      return;
    }
    if (line.startsWith('#')) throw new Error(`${where}: unexpected comment "${line}"`);
    const name = new RegExp(`^${NAME}`).exec(line)?.[0];
    if (!name) throw new Error(`${where}: bad sample "${line}"`);
    let rest = line.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) {
      const parsed = parseLabels(rest, where);
      labels = parsed.labels;
      rest = rest.slice(parsed.end);
    }
    const parts = rest.split(' ');
    if (parts.length !== 2 || parts[0] !== '') throw new Error(`${where}: expected one space then the value in "${line}"`);
    const value = parseValue(parts[1], where);
    const family: ParsedFamily | null = current;
    if (!family) throw new Error(`${where}: sample before any HELP/TYPE`);
    const allowed = family.type === 'histogram' ? [`${family.name}_bucket`, `${family.name}_sum`, `${family.name}_count`] : [family.name];
    if (!allowed.includes(name)) throw new Error(`${where}: sample ${name} outside its family (current: ${family.name})`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`${where}: series repeated: ${line}`);
    seen.add(key);
    family.samples.push({ name, labels, value });
  });
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family);
  return families;
}

/** Buckets per series are cumulative, end with le="+Inf", and that bucket equals _count. */
function checkHistogram(family: ParsedFamily): void {
  const bySeries = new Map<string, ParsedSample[]>();
  for (const sample of family.samples) {
    const key = JSON.stringify(Object.entries(sample.labels).filter(([name]) => name !== 'le').sort());
    bySeries.set(key, [...(bySeries.get(key) ?? []), sample]);
  }
  for (const [key, samples] of bySeries) {
    const buckets = samples.filter((s) => s.name.endsWith('_bucket'));
    const count = samples.find((s) => s.name.endsWith('_count'));
    const sum = samples.find((s) => s.name.endsWith('_sum'));
    if (!count || !sum || !buckets.length) throw new Error(`${family.name} ${key}: _bucket, _sum and _count required`);
    for (let i = 1; i < buckets.length; i++) {
      if (parseValue(buckets[i].labels.le, family.name) <= parseValue(buckets[i - 1].labels.le, family.name)) {
        throw new Error(`${family.name} ${key}: le not increasing`);
      }
      if (buckets[i].value < buckets[i - 1].value) throw new Error(`${family.name} ${key}: buckets not cumulative`);
    }
    const last = buckets[buckets.length - 1];
    if (last.labels.le !== '+Inf' || last.value !== count.value) throw new Error(`${family.name} ${key}: +Inf bucket must equal _count`);
  }
}

/** The value of the sample `name` whose labels include `labels`; undefined if none, an error if several. */
export function sampleValue(families: Map<string, ParsedFamily>, name: string, labels: Record<string, string> = {}): number | undefined {
  const matches = [...families.values()].flatMap((f) => f.samples)
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (matches.length > 1) throw new Error(`${matches.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return matches[0]?.value;
}
