/** Which lease events exist and when they run. */

export const START_LEASE = 'start_lease';
export const END_LEASE = 'end_lease';
export const BEFORE_END_LEASE = 'before_end_lease';
export const BEFORE_START_LEASE = 'before_start_lease';
/**
 * Not planned from the dates: scheduled (due at once) in the transaction that changes an active lease's resources
 * in a way the cloud must follow (a raised amount, healing), so that the change is applied once committed, with
 * the claims and retries of every event. It runs the plugins' `onUpdate` and says `lease.event.update_lease`.
 */
export const UPDATE_LEASE = 'update_lease';

/** Run order for events due at the same instant: heads-up, start, user events, before-end, end. */
export const EVENT_SEQUENCE: Record<string, number> = {
  [BEFORE_START_LEASE]: 0,
  [START_LEASE]: 1,
  [BEFORE_END_LEASE]: 3,
  [END_LEASE]: 4,
};
export const USER_EVENT_SEQUENCE = 2;

export interface PlannedEvent {
  eventType: string;
  time: Date;
}

export interface EventPlanInput {
  start: Date;
  end: Date;
  /** Explicit before_end_date, or null to use minutesBeforeEnd. */
  beforeEnd: Date | null;
  beforeStart: Date | null;
  minutesBeforeEnd: number;
  minutesBeforeStart: number;
  now: Date;
}

/**
 * The lease's own events. before_end_lease defaults to `minutesBeforeEnd` before the end but never before the
 * start; before_start_lease exists when asked for and still ahead (a lease starting now needs no heads-up).
 */
export function planLeaseEvents(p: EventPlanInput): PlannedEvent[] {
  const events: PlannedEvent[] = [
    { eventType: START_LEASE, time: p.start },
    { eventType: END_LEASE, time: p.end },
  ];
  const beforeEnd = p.beforeEnd ?? (p.minutesBeforeEnd > 0
    ? new Date(Math.max(p.start.getTime(), p.end.getTime() - p.minutesBeforeEnd * 60_000)) : null);
  if (beforeEnd) events.push({ eventType: BEFORE_END_LEASE, time: beforeEnd });
  const beforeStart = p.beforeStart ?? (p.minutesBeforeStart > 0
    ? new Date(p.start.getTime() - p.minutesBeforeStart * 60_000) : null);
  if (beforeStart && beforeStart > p.now) events.push({ eventType: BEFORE_START_LEASE, time: beforeStart });
  return events;
}

/**
 * Where an explicit before_end_date goes when the lease's window moves: it keeps its distance to the end and is
 * never before the start, as in Blazar, so `lease set --prolong-for 1d` moves the heads-up by a day as well, and
 * `--reduce-by` past it pulls it along instead of being refused. (Without an explicit date, the plan above
 * already derives it from the end.)
 */
export function moveBeforeEnd(beforeEnd: Date, oldEnd: Date, next: { start: Date; end: Date }): Date {
  const distance = oldEnd.getTime() - beforeEnd.getTime();
  return new Date(Math.max(next.start.getTime(), next.end.getTime() - distance));
}
