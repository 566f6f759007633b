/**
 * JSON text written by the database, for lists whose rows the API shows as they are stored (issue 18): the
 * server formats the dates and joins a lease's events into one string, so a page of 1,000 leases hands the
 * driver 1,000 short strings instead of 2,000+ rows of a dozen fields, each parsed into a Date and rendered
 * again in JavaScript.
 *
 * The text is built by concatenation rather than with the engines' JSON_OBJECT: MariaDB and PostgreSQL put
 * spaces in theirs, and the API's bytes must not depend on the engine. Values go in through `quote`, whose
 * escapes match JSON.stringify's on SQLite and PostgreSQL; MariaDB writes control characters as \u001F where
 * JSON.stringify writes \u001f, so text with a backslash is read back and written by JSON.stringify
 * (canonicalJson, which the repositories apply).
 */
import type { Dialect } from './database';

export interface JsonText {
  /** The JSON text of a string value (a JSON string, or `null`). */
  quote(expression: string): string;
  /** `{"key":value,...}` of already-quoted values, in the order given; `close` false: without the closing brace. */
  object(fields: readonly (readonly [key: string, quoted: string])[], close?: boolean): string;
  /** The JSON of a 0/1 flag column: true or false. */
  bool(column: string): string;
  /** The group's values joined by commas in `orderBy` order (no brackets). */
  joined(expression: string, orderBy: string): string;
  /** A lease or event date as the API renders it: `2030-01-02T12:00:00.000000` (renderLeaseDate). */
  leaseDate(column: string): string;
  /** created_at / updated_at as the API renders them: `2030-01-02 12:00:00` (renderTimestamp). */
  timestamp(column: string): string;
}

const sqlString = (text: string) => `'${text.replace(/'/g, "''")}'`;

// Flags are stored as 0/1 on every engine (SMALLINT on PostgreSQL, which takes no integer as a condition).
const BOOL = (c: string) => `CASE WHEN ${c} <> 0 THEN 'true' ELSE 'false' END`;

const SQLITE: JsonText = {
  // json_quote(NULL) is the text null.
  quote: (e) => `json_quote(${e})`,
  object: (fields, close) => concat(fields, close, (parts) => parts.join(' || ')),
  bool: BOOL,
  joined: (e, orderBy) => `group_concat(${e}, ',' ORDER BY ${orderBy})`,
  // Dates are stored as UTC text, `2030-01-02 12:00:00.000` (sqlDate): cut and pasted, a fifth cheaper than
  // strftime, which reads the other forms SQLite knows (offsets, "T") written by other tools.
  leaseDate: (c) => `CASE WHEN length(${c}) = 23 THEN substr(${c}, 1, 10) || 'T' || substr(${c}, 12) || '000' `
    + `ELSE strftime('%Y-%m-%dT%H:%M:%f', ${c}) || '000' END`,
  timestamp: (c) => `CASE WHEN length(${c}) = 23 THEN substr(${c}, 1, 19) ELSE strftime('%Y-%m-%d %H:%M:%S', ${c}) END`,
};

const MYSQL: JsonText = {
  quote: (e) => `COALESCE(JSON_QUOTE(${e}), 'null')`,
  object: (fields, close) => concat(fields, close, (parts) => `CONCAT(${parts.join(', ')})`),
  bool: BOOL,
  // Bounded by group_concat_max_len, which Database raises for every session (see its constructor).
  joined: (e, orderBy) => `GROUP_CONCAT(${e} ORDER BY ${orderBy} SEPARATOR ',')`,
  // DATETIME(3): %f gives the milliseconds followed by 000, as the API shows them.
  leaseDate: (c) => `DATE_FORMAT(${c}, '%Y-%m-%dT%H:%i:%s.%f')`,
  timestamp: (c) => `DATE_FORMAT(${c}, '%Y-%m-%d %H:%i:%s')`,
};

const POSTGRES: JsonText = {
  quote: (e) => `COALESCE(CAST(to_json(${e}) AS text), 'null')`,
  object: (fields, close) => concat(fields, close, (parts) => parts.join(' || ')),
  bool: BOOL,
  joined: (e, orderBy) => `string_agg(${e}, ',' ORDER BY ${orderBy})`,
  // TIMESTAMPTZ(3) shown in UTC whatever the session's time zone.
  leaseDate: (c) => `to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`,
  timestamp: (c) => `to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')`,
};

function concat(fields: readonly (readonly [string, string])[], close: boolean | undefined, join: (parts: string[]) => string): string {
  const parts: string[] = [];
  fields.forEach(([key, quoted], i) => parts.push(sqlString(`${i ? ',' : '{'}${JSON.stringify(key)}:`), quoted));
  if (close !== false) parts.push(sqlString('}'));
  return join(parts);
}

export function jsonText(dialect: Dialect): JsonText {
  return dialect === 'sqlite' ? SQLITE : dialect === 'mysql' ? MYSQL : POSTGRES;
}

/**
 * `text` (JSON from `object`, closed or not) in JSON.stringify's form: as it is unless it holds an escape, where
 * engines may differ from JSON.stringify (MariaDB's hex digits); those few are parsed and written again.
 */
export function canonicalJson(text: string, closed = true): string {
  if (!text.includes('\\')) return text;
  if (closed) return JSON.stringify(JSON.parse(text));
  return JSON.stringify(JSON.parse(`${text}}`)).slice(0, -1);
}
