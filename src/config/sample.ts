import { listOptions, type OptionSpec } from './schema';

/** Where the generated sample lives in the repository, relative to its root. */
export const SAMPLE_PATH = 'etc/climate/climate.conf.sample';

const WIDTH = 79;

const HEADER = [
  '# Sample configuration file for Climate, the OpenStack reservation service.',
  '#',
  '# Generated from src/config/schema.ts by tools/gen-config-sample.ts; change the',
  '# schema and regenerate rather than editing this file.',
  '#',
  '# Every option is listed commented out, set to its default. Lines starting',
  '# with "#" or ";" are comments; a line starting with whitespace continues the',
  '# value above it. Sections Climate does not know are ignored, so this file can',
  '# be shared with other services.',
];

/**
 * The whole schema as an INI file: each section, each option commented out (`#port = 1234`) under its help text,
 * type and constraints. Deterministic, so the committed sample can be compared with it.
 */
export function renderSample(): string {
  const lines = [...HEADER];
  let section: string | undefined;
  for (const { section: name, name: option, spec } of listOptions()) {
    if (name !== section) {
      lines.push('', '', `[${name}]`);
      section = name;
    }
    lines.push('', ...wrap(spec.help), `# ${describeType(spec)}`, `#${option} =${renderDefault(spec)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** e.g. "Type: integer, from 1 to 65535" or "Type: one of noauth, keystone". */
function describeType(spec: OptionSpec): string {
  const secret = spec.secret ? ', secret' : '';
  switch (spec.kind) {
    case 'string':
      return `Type: string${secret}`;
    case 'url':
      return `Type: URL${spec.schemes ? ` (${spec.schemes.join(', ')})` : ''}${secret}`;
    case 'int':
      return `Type: integer${range(spec.min, spec.max)}`;
    case 'float':
      return `Type: number${range(spec.min, spec.max)}`;
    case 'bool':
      return 'Type: boolean (true/false, yes/no, on/off, 1/0)';
    case 'list':
      return 'Type: comma-separated list';
    case 'enum':
      return `Type: one of ${spec.choices.join(', ')}`;
  }
}

function range(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return `, from ${min} to ${max}`;
  if (min !== undefined) return `, at least ${min}`;
  if (max !== undefined) return `, at most ${max}`;
  return '';
}

/** The text after "=": a leading space unless the default is empty, so no line ends in whitespace. */
function renderDefault(spec: OptionSpec): string {
  const text = Array.isArray(spec.default) ? spec.default.join(',') : String(spec.default);
  return text === '' ? '' : ` ${text}`;
}

/** Help text as "# " comment lines no wider than WIDTH. */
function wrap(text: string): string[] {
  const out: string[] = [];
  let current = '#';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (current !== '#' && current.length + 1 + word.length > WIDTH) {
      out.push(current);
      current = '#';
    }
    current += ` ${word}`;
  }
  out.push(current);
  return out;
}
