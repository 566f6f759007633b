/**
 * Turns an Ajv error into the 400 message clients see. The wording follows the messages OpenStack clients and
 * Blazar's API tests already know ("Missing parameter end_date", "Invalid input for field/attribute end_date.
 * Value: 5. 5 is not of type 'string'"), with values shown the way Python prints them, because that is what the
 * users of these clients are used to reading.
 */
import type { ErrorObject } from 'ajv/dist/2020';

/** Where the validated value came from; only used to word "unknown attribute" messages. */
export type InputLocation = 'request body' | 'query string';

/** Error values are echoed back; a long one is clipped so a 400 never carries a huge body. */
const MAX_VALUE_CHARS = 256;

/**
 * The message for the first error of a failed validation (`allErrors` is off, so Ajv stops at the first failing
 * keyword; several errors only come from the branches of an anyOf/oneOf).
 */
export function formatValidationError(errors: readonly ErrorObject[], root: unknown, location: InputLocation): string {
  const err = errors[0];
  const custom = err.parentSchema?.['x-error-message'];
  if (typeof custom === 'string') return custom;

  const at = renderPath(err.instancePath, root);
  switch (err.keyword) {
    case 'required':
      return `Missing parameter ${joinPath(at, String(err.params.missingProperty))}`;
    case 'additionalProperties':
    case 'unevaluatedProperties':
      return `Unknown attribute ${joinPath(at, String(err.params.additionalProperty ?? err.params.unevaluatedProperty))} in the ${location}`;
    default: {
      const subject = at === '' ? `the ${location}` : `field/attribute ${at}`;
      return `Invalid input for ${subject}. Value: ${clip(pyStr(err.data))}. ${describe(err, errors)}`;
    }
  }
}

/** The jsonschema-style sentence for one failed keyword. */
function describe(err: ErrorObject, all: readonly ErrorObject[]): string {
  const value = clip(pyRepr(err.data));
  const p = err.params;
  switch (err.keyword) {
    case 'type':
      return `${value} is not of type ${typesOf(err, all).map((t) => `'${t}'`).join(', ')}`;
    case 'enum':
      return `${value} is not one of ${pyRepr(p.allowedValues)}`;
    case 'const':
      return `${pyRepr(p.allowedValue)} was expected`;
    case 'minLength':
    case 'minItems':
    case 'minProperties':
      return `${value} is too short`;
    case 'maxLength':
    case 'maxItems':
    case 'maxProperties':
      return `${value} is too long`;
    case 'minimum':
      return `${value} is less than the minimum of ${p.limit}`;
    case 'maximum':
      return `${value} is greater than the maximum of ${p.limit}`;
    case 'exclusiveMinimum':
      return `${value} is less than or equal to the minimum of ${p.limit}`;
    case 'exclusiveMaximum':
      return `${value} is greater than or equal to the maximum of ${p.limit}`;
    case 'multipleOf':
      return `${value} is not a multiple of ${p.multipleOf}`;
    case 'pattern':
      return `${value} does not match ${pyRepr(p.pattern)}`;
    case 'format':
      return `${value} is not a ${pyRepr(p.format)}`;
    case 'uniqueItems':
      return `${value} has non-unique elements`;
    case 'anyOf':
    case 'oneOf':
      return `${value} is not valid under any of the given schemas`;
    default:
      return err.message ?? `${value} is not valid`;
  }
}

/**
 * The expected types. A nullable field written as `anyOf: [{$ref: X}, {type: 'null'}]` fails with one type
 * error per branch; naming all of them ("'string', 'null'") tells the user null was allowed too.
 */
function typesOf(err: ErrorObject, all: readonly ErrorObject[]): string[] {
  const own = (e: ErrorObject): string[] => (Array.isArray(e.params.type) ? e.params.type.map(String) : String(e.params.type).split(','));
  const last = all[all.length - 1];
  const branches = all.slice(0, -1);
  const sameField = branches.every((e) => e.keyword === 'type' && e.instancePath === err.instancePath);
  if (all.length > 1 && (last.keyword === 'anyOf' || last.keyword === 'oneOf') && sameField) {
    return [...new Set(branches.flatMap(own))];
  }
  return own(err);
}

/** `/reservations/0/resource_type` -> `reservations[0].resource_type` (indexes only where the data is an array). */
export function renderPath(pointer: string, root: unknown): string {
  if (pointer === '') return '';
  let rendered = '';
  let node: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      rendered += `[${key}]`;
      node = node[Number(key)];
    } else {
      rendered = joinPath(rendered, key);
      node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined;
    }
  }
  return rendered;
}

function joinPath(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

function clip(text: string): string {
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}...` : text;
}

/** Python's `str()` of a JSON value: strings bare, everything else as `repr()`. */
export function pyStr(value: unknown): string {
  return typeof value === 'string' ? value : pyRepr(value);
}

/** Python's `repr()` of a JSON value: 'text', None, True, [1, 2], {'k': 'v'}. */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return quote(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    return `{${entries.map(([k, v]) => `${quote(k)}: ${pyRepr(v)}`).join(', ')}}`;
  }
  return String(value);
}

/** Python picks double quotes only when that avoids escaping a single quote. */
function quote(text: string): string {
  const q = text.includes("'") && !text.includes('"') ? '"' : "'";
  const escaped = text
    .replace(/\\/g, '\\\\')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t')
    .split(q)
    .join(`\\${q}`);
  return `${q}${escaped}${q}`;
}
