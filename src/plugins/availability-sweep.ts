import type { TimelineBooking } from '../db';

/** The step of availability searches: lease dates are minutes (Blazar's `YYYY-MM-DD HH:MM`). */
export const MINUTE_MS = 60_000;

/** The first minute boundary at or after `ms`. */
export const ceilMinute = (ms: number): number => Math.ceil(ms / MINUTE_MS) * MINUTE_MS;

/** The first minute boundary strictly after `ms`. */
export const afterMinute = (ms: number): number => Math.floor(ms / MINUTE_MS) * MINUTE_MS + MINUTE_MS;

/** Bookings by host id. */
export function bookingsByHost(bookings: readonly TimelineBooking[]): Map<number, TimelineBooking[]> {
  const byHost = new Map<number, TimelineBooking[]>();
  for (const b of bookings) {
    const list = byHost.get(b.hostId);
    if (list) list.push(b);
    else byHost.set(b.hostId, [b]);
  }
  return byHost;
}

/**
 * The starts a booking [start, end) rules out for a window of `durationMs` that must stay `marginMs` clear of it on
 * both sides: those in (start - margin - duration, end + margin), as minute boundaries [from, to). Null when none.
 */
export function blockedStarts(b: Pick<TimelineBooking, 'start' | 'end'>, durationMs: number, marginMs: number): [number, number] | null {
  const from = afterMinute(b.start - marginMs - durationMs);
  const to = ceilMinute(b.end + marginMs);
  return from < to ? [from, to] : null;
}

/**
 * The starts in [lo, hi] at which the resource fits, by a sweep over `changes` (sorted by `at`): `lo` itself
 * (after every change at or before it), then each instant where changes take effect. `apply` updates the
 * caller's count of what is blocked; `fits` reads it.
 */
export function sweepStarts<C extends { at: number }>(changes: readonly C[], lo: number, hi: number,
  apply: (change: C) => void, fits: () => boolean): number[] {
  let i = 0;
  while (i < changes.length && changes[i].at <= lo) apply(changes[i++]);
  const found = fits() ? [lo] : [];
  while (i < changes.length && changes[i].at <= hi) {
    const at = changes[i].at;
    while (i < changes.length && changes[i].at === at) apply(changes[i++]);
    if (fits()) found.push(at);
  }
  return found;
}
