/** Converting between domain values and what the SQL layer stores. */

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/**
 * Dates are passed to SQL as UTC text `YYYY-MM-DD HH:MM:SS.mmm`: MySQL's DATETIME(3) accepts it and on
 * SQLite, which stores text, it sorts in time order.
 */
export function sqlDate(date: Date): string;
export function sqlDate(date: Date | null | undefined): string | null;
export function sqlDate(date: Date | null | undefined): string | null {
  if (!date) return null;
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} `
    + `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}.${pad(date.getUTCMilliseconds(), 3)}`;
}

/** Reads a date column: a Date from mysql2, UTC text from SQLite. */
export function fromSqlDate(value: unknown): Date;
export function fromSqlDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  // What sqlDate wrote ("2030-01-01 12:00:00.000"), as SQLite hands it back: no regular expressions for the
  // thousands of dates of a list.
  if (typeof value === 'string' && value.length === 23 && value[10] === ' ') return new Date(`${value.slice(0, 10)}T${value.slice(11)}Z`);
  const text = String(value).trim();
  // "2030-01-01 12:00:00.000" or with a "+00:00" suffix written by other tools.
  const iso = text.includes('T') ? text : text.replace(' ', 'T');
  const withZone = /([zZ]|[+-]\d\d:?\d\d)$/.test(iso) ? iso.replace(/ ?([+-]\d\d:?\d\d)$/, '$1') : `${iso}Z`;
  return new Date(withZone);
}

export function fromSqlBool(value: unknown): boolean {
  return value === true || value === 1 || value === '1' || (typeof value === 'bigint' && value === 1n);
}

export function sqlBool(value: boolean): number {
  return value ? 1 : 0;
}

/** `IN (?, ?, ?)` placeholders for a list. */
export function placeholders(count: number): string {
  return new Array(count).fill('?').join(', ');
}
