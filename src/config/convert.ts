import type { OptionSpec, ValueOf } from './schema';

/** A converted value, or why the text could not be converted (worded to follow `[section] option: `). */
export type Conversion<O extends OptionSpec> = { ok: true; value: ValueOf<O> } | { ok: false; problem: string };

const TRUE_WORDS = ['true', 'yes', 'on', '1'];
const FALSE_WORDS = ['false', 'no', 'off', '0'];

/**
 * Converts the text of one option from a file to its typed value and checks it against the declaration.
 * Returns the problem instead of throwing so the caller, which knows the section, option and line, can word the error.
 */
export function convertValue<O extends OptionSpec>(spec: O, raw: string): Conversion<O> {
  const result = convert(spec, raw.trim());
  return typeof result === 'string' ? { ok: false, problem: result } : { ok: true, value: result.value as ValueOf<O> };
}

function convert(spec: OptionSpec, text: string): { value: unknown } | string {
  const shown = show(spec, text);
  switch (spec.kind) {
    case 'string':
      return { value: text };
    case 'url':
      return convertUrl(spec.schemes, spec.check, text, shown);
    case 'int': {
      if (!/^[+-]?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) return `${shown} is not an integer`;
      return inRange(Number(text), spec.min, spec.max);
    }
    case 'float': {
      const n = Number(text);
      if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text) || !Number.isFinite(n)) return `${shown} is not a number`;
      return inRange(n, spec.min, spec.max);
    }
    case 'bool': {
      const word = text.toLowerCase();
      if (TRUE_WORDS.includes(word)) return { value: true };
      if (FALSE_WORDS.includes(word)) return { value: false };
      return `${shown} is not a boolean (use true/false, yes/no, on/off or 1/0)`;
    }
    case 'list':
      // Newlines count as separators too, so a list may be spread over continuation lines without commas.
      return { value: text.split(/[,\n]/).map((item) => item.trim()).filter((item) => item !== '') };
    case 'enum':
      // Case-sensitive, as in oslo.config: the values are identifiers, not prose.
      return spec.choices.includes(text) ? { value: text } : `${shown} is not one of ${spec.choices.join(', ')}`;
  }
}

function convertUrl(
  schemes: readonly string[] | undefined,
  check: ((value: string) => string | undefined) | undefined,
  text: string,
  shown: string,
): { value: string } | string {
  // Empty means "not set"; whoever needs the option complains when it is missing.
  if (text === '') return { value: text };
  if (check) return check(text) ?? { value: text };
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    return `${shown} is not a URL`;
  }
  const scheme = parsed.protocol.replace(/:$/, '');
  if (schemes && !schemes.includes(scheme)) return `${shown} has scheme "${scheme}", expected one of ${schemes.join(', ')}`;
  return { value: text };
}

function inRange(n: number, min: number | undefined, max: number | undefined): { value: number } | string {
  if (min !== undefined && n < min) return `${n} is less than the minimum ${min}`;
  if (max !== undefined && n > max) return `${n} is greater than the maximum ${max}`;
  return { value: n };
}

/** The value as it may appear in an error message: quoted, or hidden when the option is secret. */
function show(spec: OptionSpec, text: string): string {
  return spec.secret ? 'the value (hidden, secret option)' : JSON.stringify(text);
}
