/**
 * Value conversions shared by the SQL compiler and the JS evaluator. Both sides must classify values
 * identically, so every "is this a number / a boolean / which text" decision lives here.
 */
import type { ComparisonOp, FilterLiteral } from './ast';

/**
 * Plain decimal notation only. `Number()` alone would also accept "", " 4", "0x10" and "Infinity", which
 * would make "numeric" depend on JS quirks that nobody writing capability values expects.
 */
const NUMBER_SYNTAX = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * The number a text stands for, or null when it is not a finite decimal number ("16", "-0.5", "1e3" are;
 * " 4", "0x10", "1e400", "abc" are not).
 *
 * This defines `host_extra_capabilities.capability_number`: whoever writes a capability must store
 * `capabilityNumber(capability_value)` there, otherwise SQL filtering and `evaluateFilter` disagree.
 */
export function capabilityNumber(text: string): number | null {
  if (!NUMBER_SYNTAX.test(text)) return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

/** The number a literal stands for: numbers as such, numeric strings parsed, booleans never. */
export function literalNumber(literal: FilterLiteral): number | null {
  if (typeof literal === 'number') return Number.isFinite(literal) ? literal : null;
  if (typeof literal === 'string') return capabilityNumber(literal);
  return null;
}

/** The text a literal is compared as when a text comparison happens (a string keeps its exact spelling). */
export function literalText(literal: FilterLiteral): string {
  return typeof literal === 'string' ? literal : String(literal);
}

/** The boolean a literal stands for: true/false, or the strings "true"/"false" in any letter case. */
export function literalBoolean(literal: FilterLiteral): boolean | null {
  if (typeof literal === 'boolean') return literal;
  if (typeof literal !== 'string') return null;
  const lower = asciiLower(literal);
  return lower === 'true' ? true : lower === 'false' ? false : null;
}

/**
 * Lower-cases A-Z only. SQLite's LOWER() does exactly this; PostgreSQL and MySQL also fold non-ASCII
 * letters, but no non-ASCII letter folds to one of the letters of "true"/"false", the only texts we
 * compare lowered values with, so all of them agree with this function where it matters.
 */
export function asciiLower(text: string): string {
  return text.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

/**
 * Orders texts by their UTF-8 bytes, which is how SQLite (BINARY), PostgreSQL (COLLATE "C") and MySQL
 * (utf8mb4_bin) order them. JS `<` compares UTF-16 code units, which differs above U+FFFF.
 */
export function compareText(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Orders two finite numbers. */
export function compareNumbers(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Whether an ordering result (negative, zero, positive) satisfies `op`. */
export function satisfies(op: ComparisonOp, order: number): boolean {
  switch (op) {
    case '==':
      return order === 0;
    case '!=':
      return order !== 0;
    case '>=':
      return order >= 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '<':
      return order < 0;
  }
}

/** Operators that order values, which booleans do not support. */
export function isOrdering(op: ComparisonOp): boolean {
  return op !== '==' && op !== '!=';
}
