/**
 * Parser for the filter language: turns the JSON a client sent into a typed `FilterExpr`, or rejects it
 * with a message that names the field and the position of the offending element.
 */
import type { ComparisonOp, FilterExpr, FilterLiteral, FilterPath } from './ast';
import { formatPath } from './ast';
import type { InvalidInput } from '../../common/errors';
import { describeValue, filterError } from './errors';
import { isOrdering } from './literals';

/** Longest accepted filter document, in characters of JSON. Filters are stored with the lease, so bound them. */
export const MAX_FILTER_LENGTH = 65536;
/** Deepest accepted nesting of arrays; also keeps the recursive parser and compilers far from stack limits. */
export const MAX_FILTER_DEPTH = 32;
/**
 * Most literals accepted in one filter. Each becomes up to three SQL parameters, and SQLite by default
 * refuses statements with more than 32766; this keeps a filter well inside every supported database.
 */
export const MAX_FILTER_VALUES = 1000;

const COMPARISON_OPS: ReadonlyMap<string, ComparisonOp> = new Map<string, ComparisonOp>([
  ['==', '=='],
  ['=', '=='],
  ['!=', '!='],
  ['>=', '>='],
  ['<=', '<='],
  ['>', '>'],
  ['<', '<'],
]);
const ALLOWED_OPERATORS = '==, =, !=, >=, <=, >, <, and, or, not, in';
const EXAMPLE = '[">=", "$vcpus", "2"]';

/**
 * Parses a filter sent as `hypervisor_properties` or `resource_properties`.
 *
 * `text` is normally a JSON string; an already-parsed array is accepted too because Heat sends one.
 * `""`, `"[]"`, `"null"`, `[]`, null and undefined mean "no constraint" and give null.
 *
 * @param field request field name, used as the prefix of every error message.
 * @throws InvalidInput when the filter is malformed; the message shows where.
 */
export function parseFilter(text: unknown, field: string): FilterExpr | null {
  if (text === null || text === undefined) return null;
  let document: unknown;
  if (typeof text === 'string') {
    checkLength(field, text.length);
    if (text.trim() === '') return null;
    try {
      document = JSON.parse(text);
    } catch (err) {
      throw filterError(field, `not valid JSON (${err instanceof Error ? err.message : String(err)})`, err);
    }
  } else if (Array.isArray(text)) {
    let serialized: string;
    try {
      serialized = JSON.stringify(text);
    } catch (err) {
      // Cycles or absurd nesting: nothing a JSON client could have sent.
      throw filterError(field, 'not representable as JSON', err);
    }
    checkLength(field, serialized.length);
    document = text;
  } else {
    throw filterError(field, `expected a JSON string or array, got ${describeValue(text)}`);
  }
  if (document === null || (Array.isArray(document) && document.length === 0)) return null;
  if (!Array.isArray(document)) {
    throw filterError(field, `expected a JSON array such as ${EXAMPLE}, got ${describeValue(document)}`);
  }
  return new Parser(field).expression(document, [], 1);
}

function checkLength(field: string, length: number): void {
  if (length > MAX_FILTER_LENGTH) {
    throw filterError(field, `longer than ${MAX_FILTER_LENGTH} characters (${length})`);
  }
}

/** Holds the per-document state (field name for messages, literal count for the limit). */
class Parser {
  private values = 0;

  constructor(private readonly field: string) {}

  expression(node: unknown, path: FilterPath, depth: number): FilterExpr {
    if (!Array.isArray(node)) {
      throw this.error(`expected an expression (an array such as ${EXAMPLE}) at ${formatPath(path)}, got ${describeValue(node)}`);
    }
    if (depth > MAX_FILTER_DEPTH) {
      throw this.error(`nested deeper than ${MAX_FILTER_DEPTH} levels at ${formatPath(path)}`);
    }
    if (node.length === 0) {
      throw this.error(`expected an expression at ${formatPath(path)}, got an empty array`);
    }
    const operator: unknown = node[0];
    const opPath = formatPath([...path, 0]);
    switch (operator) {
      case 'and':
      case 'or': {
        if (node.length < 2) throw this.error(`"${operator}" at ${opPath} needs at least one expression`);
        const operands = node.slice(1).map((child, i) => this.expression(child, [...path, i + 1], depth + 1));
        return { kind: operator, operands, path };
      }
      case 'not':
        if (node.length !== 2) {
          throw this.error(`"not" at ${opPath} takes exactly one expression, got ${node.length - 1}`);
        }
        return { kind: 'not', operand: this.expression(node[1], [...path, 1], depth + 1), path };
      case 'in': {
        if (node.length < 3) {
          throw this.error(`"in" at ${opPath} takes a key and at least one value (["in", "$key", v1, ...]), got ${node.length - 1} argument(s)`);
        }
        const key = this.key(node, path);
        const values = node.slice(2).map((v, i) => this.literal(v, [...path, i + 2]));
        return { kind: 'in', key, values, path };
      }
    }
    const op = typeof operator === 'string' ? COMPARISON_OPS.get(operator) : undefined;
    if (op === undefined) {
      throw this.error(`expected an operator at position ${opPath}, got ${describeValue(operator)}; allowed: ${ALLOWED_OPERATORS}`);
    }
    if (node.length !== 3) {
      throw this.error(`"${String(operator)}" at ${opPath} takes a key and a value ([op, "$key", value]), got ${node.length - 1} argument(s)`);
    }
    const key = this.key(node, path);
    const value = this.literal(node[2], [...path, 2]);
    if (typeof value === 'boolean' && isOrdering(op)) {
      throw this.error(`"${op}" at ${opPath} cannot order booleans (value at ${formatPath([...path, 2])} is ${value}); use == or !=`);
    }
    return { kind: 'compare', op, key, value, path };
  }

  /** Reads the `"$key"` in position 1 and returns it without the `$`. */
  private key(node: readonly unknown[], path: FilterPath): string {
    const raw = node[1];
    const where = formatPath([...path, 1]);
    if (typeof raw === 'string' && raw.startsWith('$')) {
      if (raw.length === 1) throw this.error(`key at ${where} must name a property after "$"`);
      return raw.slice(1);
    }
    const swapped = node.slice(2).some((v) => typeof v === 'string' && v.startsWith('$') && v.length > 1);
    const hint = swapped ? `; the key comes before the value, as in ${EXAMPLE}` : '';
    const shape = typeof raw === 'string' ? 'start with "$"' : 'be a string starting with "$"';
    throw this.error(`key at ${where} must ${shape}, got ${describeValue(raw)}${hint}`);
  }

  private literal(raw: unknown, path: FilterPath): FilterLiteral {
    this.values += 1;
    if (this.values > MAX_FILTER_VALUES) {
      throw this.error(`more than ${MAX_FILTER_VALUES} values (at ${formatPath(path)})`);
    }
    if (typeof raw === 'string' || typeof raw === 'boolean') return raw;
    // Non-finite numbers cannot come from JSON text, only from a pre-parsed array built in code.
    if (typeof raw === 'number' && Number.isFinite(raw)) return raw;
    throw this.error(`value at ${formatPath(path)} must be a string, number or boolean, got ${describeValue(raw)}`);
  }

  private error(detail: string): InvalidInput {
    return filterError(this.field, detail);
  }
}
