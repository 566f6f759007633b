/** Dates as the API speaks them (UTC, `YYYY-MM-DD HH:MM` in requests, ISO-like without zone in answers). */

/** An API date (`2030-01-01T12:00:00.000000`, UTC without a zone) as epoch ms. */
export function parseApiDate(value: string): number {
  const iso = value.replace(' ', 'T').replace(/(\.\d{3})\d*$/, '$1');
  return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`);
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `YYYY-MM-DD HH:MM` (UTC), what the API takes. */
export function requestDate(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

/** The value of a datetime-local input that means this UTC instant. */
export function inputValue(ms: number): string {
  return requestDate(ms).replace(' ', 'T');
}

/** A datetime-local input's value read as UTC; NaN when empty or malformed. */
export function fromInput(value: string): number {
  return value ? Date.parse(value.length === 16 ? `${value}:00Z` : `${value}Z`) : NaN;
}

/** Short display of a UTC instant. */
export function show(ms: number): string {
  return `${requestDate(ms)} UTC`;
}
