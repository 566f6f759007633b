/**
 * Decides, once, what an atom (`compare` or `in`) actually tests. `sql.ts` renders a plan to SQL and
 * `evaluate.ts` runs the same plan in JS; keeping every semantic choice here is what makes the two agree.
 *
 * Rules:
 *  - A host lacking the property (NULL column, absent capability) matches no test, whatever the operator.
 *  - Integer host column: numeric comparison; a literal that is not a number can never match.
 *  - Text host column: text comparison (UTF-8 byte order); a boolean literal matches "true"/"false" in any case.
 *  - Boolean host column (`reservable`): ==/!= against true/false (or "true"/"false" in any case).
 *  - Extra capability: numeric literal -> numeric comparison when the capability is a number, else text
 *    comparison with the literal's text; other strings -> text comparison; booleans -> case-insensitive
 *    "true"/"false".
 *  - `in` is the OR of `==` tests.
 */
import type { AtomExpr, ComparisonOp, FilterLiteral } from './ast';
import { atomValues } from './ast';
import type { HostColumnKind } from './columns';
import { hostColumnKind } from './columns';
import { isOrdering, literalBoolean, literalNumber, literalText } from './literals';

/** One comparison applied to a property value that exists. */
export type ValueTest =
  /** Numeric comparison with `n` (an integer when the target is an integer column). */
  | { readonly kind: 'number'; readonly op: ComparisonOp; readonly n: number }
  /** Text comparison with `text`. */
  | { readonly kind: 'text'; readonly op: ComparisonOp; readonly text: string }
  /** Compare the ASCII-lowercased value with "true"/"false". */
  | { readonly kind: 'lowercase'; readonly op: '==' | '!='; readonly text: 'true' | 'false' }
  /** Extra capabilities: numeric with `n` when the value is a number, otherwise text with `text`. */
  | { readonly kind: 'numberOrText'; readonly op: ComparisonOp; readonly n: number; readonly text: string }
  /** Boolean column compared with a boolean. */
  | { readonly kind: 'boolean'; readonly op: '==' | '!='; readonly value: boolean }
  /** Matches any existing value (e.g. `$vcpus != 2.5`). */
  | { readonly kind: 'present' };

/** What an atom reads. */
export type AtomTarget =
  | { readonly kind: 'column'; readonly column: string; readonly type: HostColumnKind }
  | { readonly kind: 'extra'; readonly name: string };

/** An atom matches when its target exists and at least one test matches; no tests means it never matches. */
export interface AtomPlan {
  readonly target: AtomTarget;
  readonly tests: readonly ValueTest[];
}

/** Plans an atom. Host columns take precedence over extra capabilities of the same name. */
export function planAtom(atom: AtomExpr): AtomPlan {
  const type = hostColumnKind(atom.key);
  const target: AtomTarget = type ? { kind: 'column', column: atom.key, type } : { kind: 'extra', name: atom.key };
  const op: ComparisonOp = atom.kind === 'compare' ? atom.op : '==';
  const tests: ValueTest[] = [];
  for (const { value } of atomValues(atom)) {
    const test = planTest(target, op, value);
    if (test?.kind === 'present') return { target, tests: [test] };
    if (test) tests.push(test);
  }
  return { target, tests };
}

/** The test for one literal, or null when no existing value can satisfy it. */
function planTest(target: AtomTarget, op: ComparisonOp, literal: FilterLiteral): ValueTest | null {
  const type = target.kind === 'column' ? target.type : 'extra';
  switch (type) {
    case 'integer': {
      const n = literalNumber(literal);
      return n === null ? null : integerTest(op, n);
    }
    case 'boolean': {
      const value = literalBoolean(literal);
      return value === null || isOrdering(op) ? null : { kind: 'boolean', op: op as '==' | '!=', value };
    }
    case 'text':
      return typeof literal === 'boolean' ? booleanTextTest(op, literal) : { kind: 'text', op, text: literalText(literal) };
    case 'extra': {
      if (typeof literal === 'boolean') return booleanTextTest(op, literal);
      const n = literalNumber(literal);
      const text = literalText(literal);
      return n === null ? { kind: 'text', op, text } : { kind: 'numberOrText', op, n, text };
    }
  }
}

function booleanTextTest(op: ComparisonOp, literal: boolean): ValueTest | null {
  // The parser rejects ordering a boolean; a hand-built tree that does it simply matches nothing.
  if (isOrdering(op)) return null;
  return { kind: 'lowercase', op: op as '==' | '!=', text: literal ? 'true' : 'false' };
}

/**
 * Numeric test against an integer column, rewritten so the bound parameter is always a safe integer:
 * PostgreSQL infers a parameter's type from the integer column, so binding 2.5 or 1e300 would fail there.
 * For integer v: v > 2.5 <=> v > 2, v >= 2.5 <=> v >= 3, v == 2.5 never, v != 2.5 always.
 */
function integerTest(op: ComparisonOp, x: number): ValueTest | null {
  if (Number.isSafeInteger(x)) return { kind: 'number', op, n: x === 0 ? 0 : x };
  if (Math.abs(x) > Number.MAX_SAFE_INTEGER) {
    // Host columns hold far smaller numbers, so every stored value is on one side of x.
    const valueIsBelow = x > 0;
    const holds = op === '!=' || (valueIsBelow ? op === '<' || op === '<=' : op === '>' || op === '>=');
    return holds ? { kind: 'present' } : null;
  }
  switch (op) {
    case '==':
      return null;
    case '!=':
      return { kind: 'present' };
    case '>=':
    case '<':
      return { kind: 'number', op, n: Math.ceil(x) };
    case '>':
    case '<=':
      return { kind: 'number', op, n: Math.floor(x) };
  }
}
