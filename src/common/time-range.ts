import { InvalidInput } from './errors';

/**
 * Query parameters naming a time range (`start`, `end`) and a step, as the reporting endpoints take them
 * (GET /v1/os-hosts/capacity, GET /v1/usage). Every refusal names the parameter.
 */

/** Steps one capacity answer may have at most: 30 days at 5-minute steps is 8,640. */
export const MAX_STEPS = 10_000;

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800 };

/**
 * Seconds of a duration as Blazar's `prolong_for` writes them: a number of seconds, or a number followed by s,
 * m, h, d or w (`90m`, `3h`, `2d`). Null when the text is not one or not positive. Shared by the request fields
 * and query parameters that take a duration, each refusing it in its own words.
 */
export function durationSeconds(value: unknown): number | null {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  const m = /^(-?\d+(?:\.\d+)?)\s*([smhdw]?)$/i.exec(text);
  const seconds = m ? Number(m[1]) * UNITS[(m[2] || 's').toLowerCase()] : NaN;
  return Number.isFinite(seconds) && seconds > 0 ? seconds : null;
}

/** A step in seconds: `3600`, or a whole number with a unit (`90m`, `3h`, `2d`). */
export function parseStepSeconds(value: string, name = 'step'): number {
  const seconds = /^\s*\d{1,9}\s*[smhdw]?\s*$/i.test(value) ? durationSeconds(value) : null;
  if (seconds === null) {
    throw new InvalidInput(`Invalid query parameter ${name}: ${JSON.stringify(value)} is not a duration `
      + '(seconds, or a number followed by s, m, h, d or w: 3600, 90m, 3h, 2d)');
  }
  return seconds;
}

/** Refuses a range whose end is not after its start, naming `end`. */
export function checkRange(start: Date, end: Date, names = { start: 'start', end: 'end' }): void {
  if (end.getTime() <= start.getTime()) {
    throw new InvalidInput(`Invalid query parameter ${names.end}: ${end.toISOString()} is not after ${names.start} (${start.toISOString()})`);
  }
}

/** How many steps of `stepSeconds` cover start..end (the last may be shorter); more than `max` is a 400 naming `step`. */
export function countSteps(start: Date, end: Date, stepSeconds: number, max = MAX_STEPS): number {
  const span = end.getTime() - start.getTime();
  const steps = Math.ceil(span / (stepSeconds * 1000));
  if (steps > max) {
    const least = Math.ceil(span / 1000 / max);
    throw new InvalidInput(`Invalid query parameter step: ${stepSeconds} seconds over ${Math.round(span / 1000)} seconds would be `
      + `${steps} steps; at most ${max} are answered (a step of at least ${least} seconds, or a shorter range)`);
  }
  return steps;
}
