/** How the API renders dates; shared by the lease domain and the resource plugins' views. */

/**
 * Two- and three-digit fields looked up rather than padded: a list of 1,000 leases renders ~12,000 dates, and
 * padStart per field (or toISOString) was most of its rendering time.
 */
const TWO_DIGITS = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, '0'));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, n) => String(n).padStart(3, '0'));

function datePart(d: Date): string {
  return `${d.getUTCFullYear()}-${TWO_DIGITS[d.getUTCMonth() + 1]}-${TWO_DIGITS[d.getUTCDate()]}`;
}

function timePart(d: Date): string {
  return `${TWO_DIGITS[d.getUTCHours()]}:${TWO_DIGITS[d.getUTCMinutes()]}:${TWO_DIGITS[d.getUTCSeconds()]}`;
}

/**
 * Lease and event dates as Blazar renders them: `2030-01-02T12:00:00.000000`. The CLI parses them with
 * `%Y-%m-%dT%H:%M:%S.%f` exactly, so the format must not vary.
 */
export function renderLeaseDate(d: Date): string;
export function renderLeaseDate(d: Date | null): string | null;
export function renderLeaseDate(d: Date | null): string | null {
  return d ? `${datePart(d)}T${timePart(d)}.${THREE_DIGITS[d.getUTCMilliseconds()]}000` : null;
}

/** created_at / updated_at as Blazar renders them: `2030-01-02 12:00:00`. */
export function renderTimestamp(d: Date): string;
export function renderTimestamp(d: Date | null): string | null;
export function renderTimestamp(d: Date | null): string | null {
  return d ? `${datePart(d)} ${timePart(d)}` : null;
}
