/**
 * Compiles a filter to a boolean SQL fragment over `hosts`. Only ANSI constructs are used (comparisons,
 * AND/OR/NOT, IS NULL, EXISTS, LOWER) so the same text runs on SQLite, MariaDB/MySQL and PostgreSQL.
 * Values only ever travel as `?` parameters; identifiers come from the column whitelist.
 *
 * Every fragment is two-valued (never SQL NULL): column tests are guarded by `IS NOT NULL` and EXISTS is
 * never NULL. Otherwise `NOT` over a NULL would stay NULL and `["not", e]` would not match hosts that lack
 * the property, breaking agreement with `evaluateFilter`.
 */
import type { ComparisonOp, FilterExpr } from './ast';
import type { AtomPlan, ValueTest } from './plan';
import { planAtom } from './plan';

/** A boolean SQL expression and its positional parameters, in placeholder order. */
export interface SqlFragment {
  readonly sql: string;
  readonly params: unknown[];
}

const SQL_OPS: Readonly<Record<ComparisonOp, string>> = { '==': '=', '!=': '<>', '>=': '>=', '<=': '<=', '>': '>', '<': '<' };
// Parenthesised because MySQL's HIGH_NOT_PRECEDENCE mode would otherwise read `NOT 1 = 0` as `(NOT 1) = 0`.
const TRUE_SQL = '(1 = 1)';
const FALSE_SQL = '(1 = 0)';
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Aliases used inside the capability subquery; the host alias must differ or the correlation breaks. */
const RESERVED_ALIASES = new Set(['c', 'p']);

/**
 * Compiles `expr` to SQL testing the row of `hosts` aliased `hostAlias`. A null filter compiles to a
 * tautology so callers can always AND the result into their query.
 *
 * @throws Error (a programming error, not a 400) when `hostAlias` is not a plain identifier or is "c"/"p".
 */
export function compileFilterSql(expr: FilterExpr | null, hostAlias: string): SqlFragment {
  if (!IDENTIFIER.test(hostAlias) || RESERVED_ALIASES.has(hostAlias.toLowerCase())) {
    throw new Error(`compileFilterSql: unusable host alias ${JSON.stringify(hostAlias)}`);
  }
  const params: unknown[] = [];
  const sql = expr === null ? TRUE_SQL : render(expr, hostAlias, params);
  return { sql, params };
}

/** Renders `expr`, appending parameters to `params` in the order their placeholders appear. */
function render(expr: FilterExpr, alias: string, params: unknown[]): string {
  switch (expr.kind) {
    case 'compare':
    case 'in':
      return renderAtom(planAtom(expr), alias, params);
    case 'and':
    case 'or': {
      const parts = expr.operands.map((operand) => render(operand, alias, params));
      return parts.length === 1 ? parts[0] : `(${parts.join(expr.kind === 'and' ? ' AND ' : ' OR ')})`;
    }
    case 'not':
      return `(NOT ${render(expr.operand, alias, params)})`;
  }
}

function renderAtom(plan: AtomPlan, alias: string, params: unknown[]): string {
  if (plan.tests.length === 0) return FALSE_SQL;
  const { target } = plan;
  if (target.kind === 'column') {
    const column = `${alias}.${target.column}`;
    const tests = renderTests(plan.tests, params, column, null);
    return tests === null ? `(${column} IS NOT NULL)` : `(${column} IS NOT NULL AND ${tests})`;
  }
  // The name's placeholder precedes the tests' placeholders, so push it first.
  params.push(target.name);
  const exists =
    'EXISTS (SELECT 1 FROM host_extra_capabilities c JOIN resource_properties p ON p.id = c.property_id' +
    ` WHERE c.host_id = ${alias}.id AND p.property_name = ?`;
  const tests = renderTests(plan.tests, params, 'c.capability_value', 'c.capability_number');
  return tests === null ? `${exists})` : `${exists} AND ${tests})`;
}

/** ORs the tests together; null when a `present` test makes any existing value match. */
function renderTests(tests: readonly ValueTest[], params: unknown[], value: string, number: string | null): string | null {
  if (tests.some((t) => t.kind === 'present')) return null;
  const parts = tests.map((t) => renderTest(t, params, value, number));
  return parts.length === 1 ? parts[0] : `(${parts.join(' OR ')})`;
}

function renderTest(test: ValueTest, params: unknown[], value: string, number: string | null): string {
  switch (test.kind) {
    case 'number':
      params.push(test.n);
      return `${number ?? value} ${SQL_OPS[test.op]} ?`;
    case 'text':
      params.push(test.text);
      return `${value} ${SQL_OPS[test.op]} ?`;
    case 'lowercase':
      params.push(test.text);
      return `LOWER(${value}) ${SQL_OPS[test.op]} ?`;
    case 'boolean':
      params.push(test.value);
      return `${value} ${SQL_OPS[test.op]} ?`;
    case 'numberOrText': {
      if (number === null) throw new Error('numberOrText test needs a numeric column');
      params.push(test.n, test.text);
      const op = SQL_OPS[test.op];
      return `((${number} IS NOT NULL AND ${number} ${op} ?) OR (${number} IS NULL AND ${value} ${op} ?))`;
    }
    case 'present':
      return TRUE_SQL;
  }
}
