/**
 * Host property filters: the language of a reservation's `hypervisor_properties` / `resource_properties`.
 *
 * A filter is a JSON array: `[op, "$key", value]` with op one of `==`, `=`, `!=`, `>=`, `<=`, `>`, `<`;
 * `["and", e, ...]`, `["or", e, ...]`, `["not", e]`; or `["in", "$key", v1, v2, ...]`. `$key` names a
 * host column or an extra capability. Unlike Blazar, two numbers compare numerically ("16" >= "4").
 * A host lacking a property matches no comparison on it (including `!=`); `not` negates a whole
 * sub-expression, so `["not", ["==", "$gpu", "true"]]` matches hosts without `gpu`.
 *
 * Typical use:
 * ```ts
 * const expr = parseFilter(body.hypervisor_properties, 'hypervisor_properties');
 * validateKeys(expr, 'hypervisor_properties', knownCapabilityNames);
 * const { sql, params } = compileFilterSql(expr, 'h'); // "SELECT ... FROM hosts h WHERE " + sql
 * ```
 * Writers of `host_extra_capabilities` must store `capabilityNumber(value)` in `capability_number`.
 * Text comparisons follow UTF-8 byte order; on MySQL/PostgreSQL the text columns need a binary / "C"
 * collation for the database to order and compare exactly like `evaluateFilter`.
 */
export type {
  AndExpr,
  ComparisonOp,
  CompareExpr,
  FilterExpr,
  FilterLiteral,
  FilterPath,
  InExpr,
  NotExpr,
  OrExpr,
} from './ast';
export { formatPath } from './ast';
export type { HostColumnKind } from './columns';
export { HOST_COLUMNS, hostColumnKind } from './columns';
export { capabilityNumber } from './literals';
export { MAX_FILTER_DEPTH, MAX_FILTER_LENGTH, MAX_FILTER_VALUES, parseFilter } from './parse';
export { referencedKeys, validateKeys } from './keys';
export type { SqlFragment } from './sql';
export { compileFilterSql } from './sql';
export type { HostRecord } from './evaluate';
export { evaluateFilter } from './evaluate';
