import {
  BEFORE_END_LEASE, BEFORE_START_LEASE, END_LEASE, EVENT_SEQUENCE, moveBeforeEnd, planLeaseEvents, START_LEASE, USER_EVENT_SEQUENCE,
  type EventPlanInput,
} from '../../../src/leases/event-plan';

const at = (hhmm: string) => new Date(`2030-01-01T${hhmm}:00.000Z`);
const base: EventPlanInput = {
  start: at('10:00'), end: at('14:00'), beforeEnd: null, beforeStart: null, minutesBeforeEnd: 0, minutesBeforeStart: 0, now: at('08:00'),
};
const plan = (changes: Partial<EventPlanInput>) =>
  Object.fromEntries(planLeaseEvents({ ...base, ...changes }).map((e) => [e.eventType, e.time.toISOString().slice(11, 16)]));

describe('planLeaseEvents', () => {
  it('always a start and an end at the lease dates', () => {
    expect(plan({})).toEqual({ [START_LEASE]: '10:00', [END_LEASE]: '14:00' });
  });

  it('before_end_lease defaults to minutes_before_end_lease before the end', () => {
    expect(plan({ minutesBeforeEnd: 60 })).toEqual({ [START_LEASE]: '10:00', [END_LEASE]: '14:00', [BEFORE_END_LEASE]: '13:00' });
  });

  it('but never before the start of a short lease', () => {
    expect(plan({ minutesBeforeEnd: 600 })[BEFORE_END_LEASE]).toBe('10:00');
  });

  it('an explicit before_end_date wins over the default', () => {
    expect(plan({ minutesBeforeEnd: 60, beforeEnd: at('11:30') })[BEFORE_END_LEASE]).toBe('11:30');
    expect(plan({ minutesBeforeEnd: 0, beforeEnd: at('11:30') })[BEFORE_END_LEASE]).toBe('11:30');
  });

  it('before_start_lease minutes_before_start_lease ahead of the start, if that is still to come', () => {
    expect(plan({ minutesBeforeStart: 30 })[BEFORE_START_LEASE]).toBe('09:30');
    expect(plan({ minutesBeforeStart: 30, now: at('09:30') })).not.toHaveProperty(BEFORE_START_LEASE);
    expect(plan({ minutesBeforeStart: 30, now: at('09:45') })).not.toHaveProperty(BEFORE_START_LEASE);
    expect(plan({ minutesBeforeStart: 30, now: at('09:29') })[BEFORE_START_LEASE]).toBe('09:30');
  });

  it('an explicit before_start_date wins, and is dropped when already past', () => {
    expect(plan({ minutesBeforeStart: 30, beforeStart: at('09:00') })[BEFORE_START_LEASE]).toBe('09:00');
    expect(plan({ beforeStart: at('09:00') })[BEFORE_START_LEASE]).toBe('09:00');
    expect(plan({ beforeStart: at('07:00') })).not.toHaveProperty(BEFORE_START_LEASE);
  });

  it('a lease starting now needs no heads-up', () => {
    expect(plan({ start: at('08:00'), now: at('08:00'), minutesBeforeStart: 10 })).not.toHaveProperty(BEFORE_START_LEASE);
  });

  it('the full plan', () => {
    expect(plan({ minutesBeforeEnd: 60, minutesBeforeStart: 15 })).toEqual({
      [BEFORE_START_LEASE]: '09:45', [START_LEASE]: '10:00', [BEFORE_END_LEASE]: '13:00', [END_LEASE]: '14:00',
    });
  });
});

describe('event sequence', () => {
  it('orders events due at the same instant: heads-up, start, user events, before-end, end', () => {
    const order = [EVENT_SEQUENCE[BEFORE_START_LEASE], EVENT_SEQUENCE[START_LEASE], USER_EVENT_SEQUENCE,
      EVENT_SEQUENCE[BEFORE_END_LEASE], EVENT_SEQUENCE[END_LEASE]];
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(new Set(order).size).toBe(order.length);
  });
});

describe('moveBeforeEnd', () => {
  it('keeps the distance to the end, never before the start (as Blazar moves it)', () => {
    const moved = (beforeEnd: string, oldEnd: string, start: string, end: string) =>
      moveBeforeEnd(at(beforeEnd), at(oldEnd), { start: at(start), end: at(end) }).toISOString().slice(11, 16);
    expect(moved('13:00', '14:00', '10:00', '16:00')).toBe('15:00');
    expect(moved('13:00', '14:00', '10:00', '12:00')).toBe('11:00');
    expect(moved('13:00', '14:00', '10:00', '10:30')).toBe('10:00');
    expect(moved('13:00', '14:00', '13:30', '14:00')).toBe('13:30');
  });
});
