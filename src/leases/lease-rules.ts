import { InvalidInput } from '../common';
import { parseLeaseDate, startOfMinute } from './dates';

/** The messages Blazar's own API tests expect; clients and scripts match on them. */
export const MESSAGES = {
  endBeforeStart: 'End date must be later than start date.',
  startInPast: 'Start date must be later than current date',
  endInPast: 'End date must be later than current date',
  startOfStartedLease: 'Cannot modify the start date of already started leases',
  beforeEndOutside: 'before_end_date must be between start_date and end_date',
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
  beforeEnd: Date | null;
  beforeStart: Date | null;
}

/** Checks a lease window; `startIsNew` when the start was given now (it must then not be in the past). */
export function checkWindow(w: LeaseWindowInput, now: Date, startIsNew: boolean): void {
  if (startIsNew && w.start < startOfMinute(now)) throw new InvalidInput(MESSAGES.startInPast);
  if (w.end <= w.start) throw new InvalidInput(MESSAGES.endBeforeStart);
  if (w.end <= now) throw new InvalidInput(MESSAGES.endInPast);
  if (w.beforeEnd && (w.beforeEnd < w.start || w.beforeEnd > w.end)) throw new InvalidInput(MESSAGES.beforeEndOutside);
  if (w.beforeStart && w.beforeStart > w.start) throw new InvalidInput(MESSAGES.beforeStartAfterStart);
}

/** A lease name: what the schema allows, minus names that would read as ids or be invisible. */
export function checkName(name: unknown): string {
  if (typeof name !== 'string' || !name.trim()) throw new InvalidInput('Invalid input for field/attribute name: a lease needs a non-empty name');
  return name.trim();
}
