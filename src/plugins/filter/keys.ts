/**
 * Checks on the properties a filter names. Kept apart from parsing because the set of known extra
 * capabilities lives in the database and changes over time, while parsing is pure.
 */
import type { AtomExpr, FilterExpr } from './ast';
import { atomValues, forEachAtom, formatPath } from './ast';
import { hostColumnKind } from './columns';
import { filterError, describeValue } from './errors';
import { isOrdering, literalBoolean, literalNumber } from './literals';

/** Distinct property names (without `$`) the filter refers to, in order of first appearance. */
export function referencedKeys(expr: FilterExpr | null): string[] {
  const keys = new Set<string>();
  if (expr !== null) forEachAtom(expr, (atom) => keys.add(atom.key));
  return [...keys];
}

/**
 * Rejects a filter that names an unknown property or compares a typed host column with a value of the
 * wrong type (such a comparison could never match, which is almost certainly a mistake).
 *
 * @param knownExtraKeys names (without `$`) of the extra capabilities that exist for this resource type.
 * @throws InvalidInput naming the field, the property and its position.
 */
export function validateKeys(expr: FilterExpr | null, field: string, knownExtraKeys: ReadonlySet<string>): void {
  if (expr === null) return;
  forEachAtom(expr, (atom) => validateAtom(atom, field, knownExtraKeys));
}

function validateAtom(atom: AtomExpr, field: string, knownExtraKeys: ReadonlySet<string>): void {
  const kind = hostColumnKind(atom.key);
  if (kind === undefined) {
    if (!knownExtraKeys.has(atom.key)) {
      throw filterError(field, `unknown property $${atom.key} at ${formatPath([...atom.path, 1])}`);
    }
    return;
  }
  if (kind === 'text') return;
  if (kind === 'boolean' && atom.kind === 'compare' && isOrdering(atom.op)) {
    throw filterError(
      field,
      `$${atom.key} is a boolean property; "${atom.op}" at ${formatPath([...atom.path, 0])} cannot order it (use ==, != or in)`,
    );
  }
  for (const { value, index } of atomValues(atom)) {
    const where = formatPath([...atom.path, index]);
    if (kind === 'integer' && literalNumber(value) === null) {
      throw filterError(field, `$${atom.key} is a numeric property, but the value at ${where} is ${describeValue(value)}, not a number`);
    }
    if (kind === 'boolean' && literalBoolean(value) === null) {
      throw filterError(field, `$${atom.key} is a boolean property, but the value at ${where} is ${describeValue(value)}; use true or false`);
    }
  }
}
