import { InvalidInput } from '../common';

export { renderLeaseDate, renderTimestamp } from '../common/dates';

const LEASE_FORMAT_HELP = '%Y-%m-%d %H:%M';
const BLAZAR_FORMAT = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})$/;
// Extension: seconds, fractions and an offset, with "T" or a space between date and time.
const ISO_FORMAT = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}:?\d{2})?$/;

function invalid(value: unknown): InvalidInput {
  return new InvalidInput(`${String(value)} is an invalid date. Required format: ${LEASE_FORMAT_HELP}`);
}

/**
 * Parses a lease date: `now`, Blazar's `YYYY-MM-DD HH:MM` (UTC), or ISO 8601 with seconds and an offset.
 * `now` becomes the current time truncated to the second.
 */
export function parseLeaseDate(value: unknown, now: Date): Date {
  if (typeof value !== 'string') throw invalid(value);
  const text = value.trim();
  if (text.toLowerCase() === 'now') return new Date(Math.floor(now.getTime() / 1000) * 1000);
  const m = BLAZAR_FORMAT.exec(text) ?? ISO_FORMAT.exec(text);
  if (!m) throw invalid(value);
  const [year, month, day, hour, minute] = m.slice(1, 6).map(Number);
  const second = m[6] ? Number(m[6]) : 0;
  const ms = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
  // Date.UTC reads years 0-99 as 1900-1999, and databases store DATETIME from year 1000 on.
  if (year < 1000) throw invalid(value);
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const check = new Date(utc);
  // Date.UTC rolls 2030-02-30 over to March; a real date survives the round trip.
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    throw invalid(value);
  }
  const zone = m[8];
  if (!zone || zone === 'Z') return check;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const [offsetHours, offsetMins] = [Number(digits.slice(0, 2)), Number(digits.slice(2))];
  if (offsetHours > 23 || offsetMins > 59) throw invalid(value);
  const offsetMinutes = offsetHours * 60 + offsetMins;
  const result = new Date(utc - sign * offsetMinutes * 60_000);
  // An offset can push 9999-12-31 into year 10000 (or 1000-01-01 into 999), which no column stores.
  const resultYear = result.getUTCFullYear();
  if (resultYear < 1000 || resultYear > 9999) throw invalid(value);
  return result;
}

/** Blazar accepts a start in the current minute: "now" is compared at minute precision. */
export function startOfMinute(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 60_000) * 60_000);
}

/**
 * A date query parameter (`start`, `end` of a range): the lease date formats or `now`. Missing or malformed is a
 * 400 naming the parameter.
 */
export function parseQueryDate(name: string, value: string | undefined, now: Date): Date {
  if (value === undefined || value.trim() === '') throw new InvalidInput(`Missing query parameter ${name}`);
  try {
    return parseLeaseDate(value, now);
  } catch (error) {
    if (error instanceof InvalidInput) throw new InvalidInput(`Invalid query parameter ${name}: ${error.message}`);
    throw error;
  }
}
