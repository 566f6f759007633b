/**
 * Evaluates a filter against one host in JS, with exactly the semantics of `compileFilterSql` (both run
 * the plans from `plan.ts`). Used to check whether changing a host would break a reservation's filter.
 */
import type { FilterExpr } from './ast';
import type { AtomPlan, AtomTarget, ValueTest } from './plan';
import { planAtom } from './plan';
import { asciiLower, capabilityNumber, compareNumbers, compareText, literalBoolean, satisfies } from './literals';

/**
 * A host as the evaluator sees it: its `hosts` columns by name (as a database driver returns them:
 * numbers may be numbers, bigints or numeric strings; `reservable` a boolean or 0/1; NULL as null) and its
 * extra capabilities by property name, values as stored in `capability_value`.
 */
export interface HostRecord {
  readonly [column: string]: unknown;
  readonly extras: Readonly<Record<string, string>>;
}

/** The forms one property value can be compared in; null where that form does not exist. */
interface Subject {
  readonly text: string | null;
  readonly number: number | null;
  readonly boolean: boolean | null;
}

/** Whether `host` matches `expr`. A null filter matches every host. */
export function evaluateFilter(expr: FilterExpr | null, host: HostRecord): boolean {
  if (expr === null) return true;
  switch (expr.kind) {
    case 'compare':
    case 'in':
      return evaluateAtom(planAtom(expr), host);
    case 'and':
      return expr.operands.every((operand) => evaluateFilter(operand, host));
    case 'or':
      return expr.operands.some((operand) => evaluateFilter(operand, host));
    case 'not':
      return !evaluateFilter(expr.operand, host);
  }
}

function evaluateAtom(plan: AtomPlan, host: HostRecord): boolean {
  const subject = read(plan.target, host);
  // A missing property matches nothing, like the IS NOT NULL guard / EXISTS in SQL.
  return subject !== null && plan.tests.some((test) => matches(test, subject));
}

function read(target: AtomTarget, host: HostRecord): Subject | null {
  if (target.kind === 'extra') {
    // hasOwn: a capability named "constructor" must not find Object.prototype.constructor.
    const value = Object.hasOwn(host.extras, target.name) ? host.extras[target.name] : undefined;
    if (typeof value !== 'string') return null;
    return { text: value, number: capabilityNumber(value), boolean: null };
  }
  const raw = Object.hasOwn(host, target.column) ? host[target.column] : undefined;
  if (raw === null || raw === undefined) return null;
  switch (target.type) {
    case 'integer': {
      const n = toNumber(raw);
      return n === null ? null : { text: null, number: n, boolean: null };
    }
    case 'text':
      return typeof raw === 'string' || typeof raw === 'number' ? { text: String(raw), number: null, boolean: null } : null;
    case 'boolean': {
      const b = toBoolean(raw);
      return b === null ? null : { text: null, number: null, boolean: b };
    }
  }
}

function toNumber(raw: unknown): number | null {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : null;
  if (typeof raw === 'bigint') return Number(raw);
  if (typeof raw === 'string') return capabilityNumber(raw);
  return null;
}

/** Drivers return booleans as true/false (PostgreSQL) or 1/0 (SQLite, MySQL TINYINT). */
function toBoolean(raw: unknown): boolean | null {
  if (typeof raw === 'boolean') return raw;
  if (typeof raw === 'number') return raw === 1 ? true : raw === 0 ? false : null;
  if (typeof raw === 'string') return raw === '1' ? true : raw === '0' ? false : literalBoolean(raw);
  return null;
}

function matches(test: ValueTest, subject: Subject): boolean {
  switch (test.kind) {
    case 'number':
      return subject.number !== null && satisfies(test.op, compareNumbers(subject.number, test.n));
    case 'text':
      return subject.text !== null && satisfies(test.op, compareText(subject.text, test.text));
    case 'lowercase':
      return subject.text !== null && satisfies(test.op, compareText(asciiLower(subject.text), test.text));
    case 'numberOrText':
      if (subject.number !== null) return satisfies(test.op, compareNumbers(subject.number, test.n));
      return subject.text !== null && satisfies(test.op, compareText(subject.text, test.text));
    case 'boolean':
      return subject.boolean !== null && (subject.boolean === test.value) === (test.op === '==');
    case 'present':
      return true;
  }
}
