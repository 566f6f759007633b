import { InvalidInput } from '../../../src/common';
import { parseLeaseDate, renderLeaseDate, renderTimestamp, startOfMinute } from '../../../src/leases/dates';

const NOW = new Date('2030-06-15T08:09:10.987Z');
const parse = (value: unknown) => parseLeaseDate(value, NOW).toISOString();

describe('parseLeaseDate', () => {
  it('"now" is the current time truncated to the second, whatever its case and spacing', () => {
    for (const value of ['now', 'NOW', ' Now ']) expect(parse(value)).toBe('2030-06-15T08:09:10.000Z');
  });

  it('Blazar format YYYY-MM-DD HH:MM is UTC', () => {
    expect(parse('2030-01-02 12:34')).toBe('2030-01-02T12:34:00.000Z');
    expect(parse('2030-12-31 23:59')).toBe('2030-12-31T23:59:00.000Z');
    expect(parse('  2030-01-02 00:00  ')).toBe('2030-01-02T00:00:00.000Z');
  });

  it('ISO 8601 with T or a space, seconds, fractions and an offset', () => {
    expect(parse('2030-01-02T12:34')).toBe('2030-01-02T12:34:00.000Z');
    expect(parse('2030-01-02T12:34:56')).toBe('2030-01-02T12:34:56.000Z');
    expect(parse('2030-01-02 12:34:56')).toBe('2030-01-02T12:34:56.000Z');
    expect(parse('2030-01-02T12:34:56Z')).toBe('2030-01-02T12:34:56.000Z');
    expect(parse('2030-01-02T12:34:56.7Z')).toBe('2030-01-02T12:34:56.700Z');
    expect(parse('2030-01-02T12:34:56.789Z')).toBe('2030-01-02T12:34:56.789Z');
    // Microseconds (what Climate itself renders) are cut to milliseconds, never rounded up.
    expect(parse('2030-01-02T12:34:56.123999')).toBe('2030-01-02T12:34:56.123Z');
  });

  it('offsets move the instant to UTC', () => {
    expect(parse('2030-01-02T12:00:00+02:00')).toBe('2030-01-02T10:00:00.000Z');
    expect(parse('2030-01-02T12:00:00-05:00')).toBe('2030-01-02T17:00:00.000Z');
    expect(parse('2030-01-02T12:00+0530')).toBe('2030-01-02T06:30:00.000Z');
    expect(parse('2030-01-02T12:00:00.250+00:00')).toBe('2030-01-02T12:00:00.250Z');
    // Across a day and a year boundary.
    expect(parse('2030-01-01T01:00:00+03:00')).toBe('2029-12-31T22:00:00.000Z');
    expect(parse('2030-12-31T22:00:00-03:00')).toBe('2031-01-01T01:00:00.000Z');
  });

  it('leap days exist only in leap years', () => {
    expect(parse('2032-02-29 10:00')).toBe('2032-02-29T10:00:00.000Z');
    expect(parse('2000-02-29 10:00')).toBe('2000-02-29T10:00:00.000Z');
    expect(() => parse('2030-02-29 10:00')).toThrow(InvalidInput);
    expect(() => parse('2100-02-29 10:00')).toThrow(InvalidInput);
  });

  it.each([
    '2030-02-30 10:00', '2030-04-31 10:00', '2030-13-01 10:00', '2030-00-10 10:00', '2030-01-00 10:00', '2030-01-32 10:00',
    '2030-01-01 24:00', '2030-01-01 23:60', '2030-01-01T12:00:60', '2030-01-01 99:99',
  ])('a date that does not exist is refused: %s', (value) => {
    expect(() => parse(value)).toThrow(InvalidInput);
  });

  it.each([
    'garbage', '', '   ', 'tomorrow', 'now+1h', '2030-01-02', '2030-1-2 10:00', '2030/01/02 10:00', '02-01-2030 10:00',
    '2030-01-02 10', '2030-01-02 10:00:00 UTC', '2030-01-02T10:00:00.1234567', '2030-01-02T10:00:00+2', '20300102T100000Z',
    '2030-01-02  10:00', '2030-01-02 10:00 now',
  ])('text that is not a lease date is refused: %j', (value) => {
    expect(() => parse(value)).toThrow(InvalidInput);
  });

  it.each([null, undefined, 1_893_456_000_000, new Date('2030-01-01T00:00:00Z'), ['2030-01-02 10:00'], { date: 'now' }, true])(
    'a value that is not a string is refused: %p', (value) => {
      expect(() => parse(value)).toThrow(InvalidInput);
    });

  it('the error names the value and the format Blazar documents (a 400)', () => {
    let error: unknown;
    try { parse('2030-02-30 10:00'); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(InvalidInput);
    expect((error as InvalidInput).status).toBe(400);
    expect((error as InvalidInput).message).toBe('2030-02-30 10:00 is an invalid date. Required format: %Y-%m-%d %H:%M');
  });
});

describe('rendering', () => {
  it('lease dates as Blazar renders them, microseconds included', () => {
    expect(renderLeaseDate(new Date('2030-01-02T12:00:00Z'))).toBe('2030-01-02T12:00:00.000000');
    expect(renderLeaseDate(new Date('2030-01-02T03:04:05.678Z'))).toBe('2030-01-02T03:04:05.678000');
    expect(renderLeaseDate(new Date('2030-01-02T03:04:05.006Z'))).toBe('2030-01-02T03:04:05.006000');
    expect(renderLeaseDate(null)).toBeNull();
  });

  it('timestamps without fractions', () => {
    expect(renderTimestamp(new Date('2030-01-02T03:04:05.678Z'))).toBe('2030-01-02 03:04:05');
    expect(renderTimestamp(null)).toBeNull();
  });

  it('a rendered date parses back to the same instant', () => {
    for (const iso of ['2030-01-02T03:04:05.678Z', '2030-12-31T23:59:59.999Z', '2031-01-01T00:00:00.000Z']) {
      const d = new Date(iso);
      expect(parseLeaseDate(renderLeaseDate(d), NOW).getTime()).toBe(d.getTime());
    }
    const blazar = '2030-07-08 09:10';
    expect(renderLeaseDate(parseLeaseDate(blazar, NOW))).toBe('2030-07-08T09:10:00.000000');
  });

  it('startOfMinute', () => {
    expect(startOfMinute(NOW).toISOString()).toBe('2030-06-15T08:09:00.000Z');
    expect(startOfMinute(new Date('2030-06-15T08:09:00.000Z')).toISOString()).toBe('2030-06-15T08:09:00.000Z');
  });
});
