import { ClimateError, InvalidInput } from '../common';
import { parseLeaseDate, startOfMinute } from './dates';

/** The messages Blazar's own API tests expect; clients and scripts match on them. */
export const MESSAGES = {
  endBeforeStart: 'End date must be later than start date.',
  startInPast: 'Start date must be later than current date',
  endInPast: 'End date must be later than current date',
  startOfStartedLease: 'Cannot modify the start date of already started leases',
  /** Blazar's wording and status (403, its NotAuthorized) for a before_end_date outside the lease. */
  beforeEndOutside: 'Datetime is out of lease limits',
  beforeStartAfterStart: 'before_start_date must be earlier than start_date',
};

/** Parses an optional date field: undefined stays undefined (not given), null stays null (cleared). */
export function optionalDate(value: unknown, now: Date): Date | null | undefined {
  if (value === undefined) return undefined;
  if (value === null) return null;
  return parseLeaseDate(value, now);
}

export interface LeaseWindowInput {
  start: Date;
  end: Date;
  beforeStart: Date | null;
}

/**
 * 403, as Blazar answers (its NotAuthorized, "Datetime is out of lease limits"): a before_end_date that is not
 * strictly inside the lease. The message keeps Blazar's words first, then says which dates.
 */
export class OutOfLeaseLimits extends ClimateError {
  constructor(readonly beforeEnd: Date, readonly start: Date, readonly end: Date) {
    super(403, 'out_of_lease_limits', `${MESSAGES.beforeEndOutside}: before_end_date ${messageDate(beforeEnd)} must be after `
      + `start_date ${messageDate(start)} and before end_date ${messageDate(end)}`);
  }
}

/** A date in an error message: UTC, to the second. */
export function messageDate(d: Date): string {
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** Checks a lease window; `startIsNew` when the start was given now (it must then not be in the past). */
export function checkWindow(w: LeaseWindowInput, now: Date, startIsNew: boolean): void {
  if (startIsNew && w.start < startOfMinute(now)) throw new InvalidInput(MESSAGES.startInPast);
  if (w.end <= w.start) throw new InvalidInput(MESSAGES.endBeforeStart);
  if (w.end <= now) throw new InvalidInput(MESSAGES.endInPast);
  if (w.beforeStart && w.beforeStart > w.start) throw new InvalidInput(MESSAGES.beforeStartAfterStart);
}

/**
 * A before_end_date given in a request lies strictly between the lease's start and end (as Blazar checks it).
 * Only a date the caller gives is checked: one moved along with the end (see moveBeforeEnd) may sit on the start.
 */
export function checkBeforeEnd(beforeEnd: Date, w: { start: Date; end: Date }): void {
  if (!(w.start < beforeEnd && beforeEnd < w.end)) throw new OutOfLeaseLimits(beforeEnd, w.start, w.end);
}

/** A lease name: what the schema allows, minus names that would read as ids or be invisible. */
export function checkName(name: unknown): string {
  if (typeof name !== 'string' || !name.trim()) throw new InvalidInput('Invalid input for field/attribute name: a lease needs a non-empty name');
  return name.trim();
}
