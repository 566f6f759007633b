/**
 * The typed syntax tree of a host property filter.
 *
 * Every node remembers `path`, the index chain of its array inside the document the user sent, so that
 * errors found after parsing (unknown keys, type mismatches) can still point at the exact element.
 */

/** Comparison operators after normalisation: `=` is stored as `==` because the two mean the same. */
export type ComparisonOp = '==' | '!=' | '>=' | '<=' | '>' | '<';

/** A value in the literal position. Heat sends typed JSON, so numbers and booleans are kept as sent. */
export type FilterLiteral = string | number | boolean;

/** Index chain of an element in the filter document; `[2, 1]` is the second element of the third. */
export type FilterPath = readonly number[];

/** `[op, "$key", value]`: one property compared with one literal. */
export interface CompareExpr {
  readonly kind: 'compare';
  readonly op: ComparisonOp;
  /** Property name without the leading `$`. */
  readonly key: string;
  readonly value: FilterLiteral;
  readonly path: FilterPath;
}

/** `["in", "$key", v1, v2, ...]`: the property equals (`==`) at least one of the values. */
export interface InExpr {
  readonly kind: 'in';
  /** Property name without the leading `$`. */
  readonly key: string;
  readonly values: readonly FilterLiteral[];
  readonly path: FilterPath;
}

/** `["and", e1, e2, ...]`: every operand matches. */
export interface AndExpr {
  readonly kind: 'and';
  readonly operands: readonly FilterExpr[];
  readonly path: FilterPath;
}

/** `["or", e1, e2, ...]`: at least one operand matches. */
export interface OrExpr {
  readonly kind: 'or';
  readonly operands: readonly FilterExpr[];
  readonly path: FilterPath;
}

/** `["not", e]`: the operand does not match (a host lacking a property therefore matches). */
export interface NotExpr {
  readonly kind: 'not';
  readonly operand: FilterExpr;
  readonly path: FilterPath;
}

/** Any filter expression. */
export type FilterExpr = CompareExpr | InExpr | AndExpr | OrExpr | NotExpr;

/** An expression that tests one property, as opposed to one that combines other expressions. */
export type AtomExpr = CompareExpr | InExpr;

/** Renders a path the way error messages show it: `[1][0]`. */
export function formatPath(path: FilterPath): string {
  return path.length === 0 ? 'the top level' : path.map((i) => `[${i}]`).join('');
}

/** Visits every atom of `expr` in document order. */
export function forEachAtom(expr: FilterExpr, visit: (atom: AtomExpr) => void): void {
  switch (expr.kind) {
    case 'compare':
    case 'in':
      visit(expr);
      return;
    case 'and':
    case 'or':
      for (const operand of expr.operands) forEachAtom(operand, visit);
      return;
    case 'not':
      forEachAtom(expr.operand, visit);
      return;
  }
}

/** The literals an atom compares against, each with the index it had inside the atom's array. */
export function atomValues(atom: AtomExpr): Array<{ value: FilterLiteral; index: number }> {
  return atom.kind === 'compare'
    ? [{ value: atom.value, index: 2 }]
    : atom.values.map((value, i) => ({ value, index: 2 + i }));
}
