import { createLogger, LogThrottle } from '../../../src/common';

describe('LogThrottle', () => {
  let now = 0;
  let lines: string[];
  const logger = () => createLogger({ write: (line) => lines.push(line.replace(/^\S+ \S+ /, '')) });
  beforeEach(() => { now = 1_000_000; lines = []; });

  it('writes the first line, counts identical ones for a minute, then writes one saying how many were left out', () => {
    const throttle = new LogThrottle(60_000, () => now);
    const log = logger();
    for (let i = 0; i < 38; i++) {
      throttle.error(log, 'event loop error; retrying', { error: 'ECONNREFUSED' });
      now += 1000;
    }
    expect(lines).toEqual(['ERROR climate [-] event loop error; retrying {"error":"ECONNREFUSED"}']);
    now += 22_000; // 60 s after the first line
    throttle.error(log, 'event loop error; retrying', { error: 'ECONNREFUSED' });
    expect(lines[1]).toBe('ERROR climate [-] event loop error; retrying (repeated 37 times in the last 60 s) {"error":"ECONNREFUSED"}');
    now += 61_000;
    throttle.error(log, 'event loop error; retrying', { error: 'ECONNREFUSED' });
    expect(lines[2]).toBe('ERROR climate [-] event loop error; retrying {"error":"ECONNREFUSED"}');
  });

  it('writes a line that differs (message, fields or level) at once', () => {
    const throttle = new LogThrottle(60_000, () => now);
    const log = logger();
    throttle.error(log, 'failed', { error: 'a' });
    throttle.error(log, 'failed', { error: 'b' });
    throttle.log(log, 'warning', 'failed', { error: 'a' });
    throttle.error(log, 'failed', { error: 'a' });
    expect(lines).toHaveLength(3);
  });

  it('reset() says how many lines were left out and lets the next failure be written at once', () => {
    const throttle = new LogThrottle(60_000, () => now);
    const log = logger();
    expect(throttle.failing).toBe(false);
    for (let i = 0; i < 5; i++) throttle.error(log, 'failed');
    expect(throttle.failing).toBe(true);
    expect(throttle.reset()).toBe(4);
    expect(throttle.failing).toBe(false);
    throttle.error(log, 'failed');
    expect(lines).toHaveLength(2);
  });
});
