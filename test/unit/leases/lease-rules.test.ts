import { InvalidInput } from '../../../src/common';
import { checkBeforeEnd, checkName, checkWindow, MESSAGES, optionalDate, OutOfLeaseLimits, type LeaseWindowInput } from '../../../src/leases/lease-rules';

const NOW = new Date('2030-01-01T10:00:30.000Z');
const at = (hhmmss: string) => new Date(`2030-01-01T${hhmmss}.000Z`);
const window = (changes: Partial<LeaseWindowInput> = {}): LeaseWindowInput =>
  ({ start: at('11:00:00'), end: at('12:00:00'), beforeStart: null, ...changes });

function refusal(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInput);
    return (error as Error).message;
  }
}

describe('checkWindow', () => {
  it('accepts a window in the future', () => {
    expect(refusal(() => checkWindow(window(), NOW, true))).toBeNull();
  });

  it('a new start may be in the current minute (Blazar compares "now" to the minute), not before', () => {
    expect(refusal(() => checkWindow(window({ start: at('10:00:00') }), NOW, true))).toBeNull();
    expect(refusal(() => checkWindow(window({ start: at('09:59:59') }), NOW, true))).toBe(MESSAGES.startInPast);
  });

  it('a start that was not given now may be in the past (a started lease being extended)', () => {
    expect(refusal(() => checkWindow(window({ start: at('09:00:00') }), NOW, false))).toBeNull();
  });

  it('the end must be after the start', () => {
    expect(refusal(() => checkWindow(window({ end: at('11:00:00') }), NOW, true))).toBe(MESSAGES.endBeforeStart);
    expect(refusal(() => checkWindow(window({ end: at('10:30:00') }), NOW, true))).toBe(MESSAGES.endBeforeStart);
  });

  it('the end must be in the future', () => {
    expect(refusal(() => checkWindow(window({ start: at('09:00:00'), end: at('10:00:30') }), NOW, false))).toBe(MESSAGES.endInPast);
    expect(refusal(() => checkWindow(window({ start: at('09:00:00'), end: at('10:00:31') }), NOW, false))).toBeNull();
  });

  it('before_end_date lies strictly within the lease, else 403 in Blazar\'s words', () => {
    for (const ok of ['11:00:01', '11:30:00', '11:59:59']) expect(() => checkBeforeEnd(at(ok), window())).not.toThrow();
    for (const bad of ['10:59:59', '11:00:00', '12:00:00', '12:00:01']) {
      let error: unknown;
      try { checkBeforeEnd(at(bad), window()); } catch (e) { error = e; }
      expect(error).toBeInstanceOf(OutOfLeaseLimits);
      expect(error).toMatchObject({ status: 403, message: `Datetime is out of lease limits: before_end_date 2030-01-01 ${bad} UTC must be `
        + 'after start_date 2030-01-01 11:00:00 UTC and before end_date 2030-01-01 12:00:00 UTC' });
    }
  });

  it('before_start_date is not after the start', () => {
    expect(refusal(() => checkWindow(window({ beforeStart: at('10:30:00') }), NOW, true))).toBeNull();
    expect(refusal(() => checkWindow(window({ beforeStart: at('11:00:00') }), NOW, true))).toBeNull();
    expect(refusal(() => checkWindow(window({ beforeStart: at('11:00:01') }), NOW, true))).toBe(MESSAGES.beforeStartAfterStart);
  });

  it('keeps the messages clients match on', () => {
    expect(MESSAGES).toMatchObject({
      endBeforeStart: 'End date must be later than start date.',
      startInPast: 'Start date must be later than current date',
      endInPast: 'End date must be later than current date',
      startOfStartedLease: 'Cannot modify the start date of already started leases',
    });
  });
});

describe('optionalDate', () => {
  it('undefined is "not given", null is "cleared", anything else is parsed', () => {
    expect(optionalDate(undefined, NOW)).toBeUndefined();
    expect(optionalDate(null, NOW)).toBeNull();
    expect(optionalDate('2030-02-03 04:05', NOW)).toEqual(new Date('2030-02-03T04:05:00.000Z'));
    expect(optionalDate('now', NOW)).toEqual(new Date('2030-01-01T10:00:30.000Z'));
    expect(() => optionalDate('2030-02-30 04:05', NOW)).toThrow(InvalidInput);
  });
});

describe('checkName', () => {
  it('trims a name', () => {
    expect(checkName('  my lease ')).toBe('my lease');
  });

  it.each(['', '   ', '\t\n', null, undefined, 42, ['a'], {}])('refuses %p', (name) => {
    expect(() => checkName(name)).toThrow(InvalidInput);
  });
});
