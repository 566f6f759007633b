/** How the API renders dates; shared by the lease domain and the resource plugins' views. */

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

function datePart(d: Date): string {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

function timePart(d: Date): string {
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/**
 * Lease and event dates as Blazar renders them: `2030-01-02T12:00:00.000000`. The CLI parses them with
 * `%Y-%m-%dT%H:%M:%S.%f` exactly, so the format must not vary.
 */
export function renderLeaseDate(d: Date): string;
export function renderLeaseDate(d: Date | null): string | null;
export function renderLeaseDate(d: Date | null): string | null {
  return d ? `${datePart(d)}T${timePart(d)}.${pad(d.getUTCMilliseconds(), 3)}000` : null;
}

/** created_at / updated_at as Blazar renders them: `2030-01-02 12:00:00`. */
export function renderTimestamp(d: Date): string;
export function renderTimestamp(d: Date | null): string | null;
export function renderTimestamp(d: Date | null): string | null {
  return d ? `${datePart(d)} ${timePart(d)}` : null;
}
