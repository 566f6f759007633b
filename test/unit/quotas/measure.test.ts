/** The peaks quotas compare with their limits: at one instant, and within a rolling period. */
import { peakAtOnce, peakOverPeriod, type Holding } from '../../../src/quotas';

const H = 3_600_000;
const t = (hours: number) => new Date(Date.UTC(2030, 0, 1) + hours * H);
const hold = (leaseId: string, amount: number, from: number, to: number): Holding => ({ leaseId, amount, start: t(from), end: t(to) });

describe('peakAtOnce', () => {
  it('finds the worst instant within the range, with the admitted lease\'s part of it', () => {
    const holdings = [hold('a', 2, 0, 10), hold('b', 1, 5, 20), hold('new', 3, 8, 12)];
    expect(peakAtOnce(holdings, 'new', t(0), t(24))).toEqual({ total: 6, own: 3, at: t(8) });
    // Outside the range nothing counts.
    expect(peakAtOnce(holdings, 'new', t(12), t(24))).toEqual({ total: 1, own: 0, at: t(12) });
  });

  it('treats spans as half-open: one ending when another starts is not held at once', () => {
    expect(peakAtOnce([hold('a', 2, 0, 5), hold('b', 2, 5, 9)], 'b', t(0), t(9)).total).toBe(2);
    expect(peakAtOnce([], 'x', t(0), t(9))).toEqual({ total: 0, own: 0, at: t(0) });
  });
});

describe('peakOverPeriod', () => {
  it('is the most host-hours any window of the period holds, over windows touching the range', () => {
    // 2 hosts x 48 h, then 1 host x 5 h four days later: one week holds both.
    const holdings = [hold('a', 2, 0, 48), hold('new', 1, 120, 125)];
    expect(peakOverPeriod(holdings, 'new', 168 * H, t(120), t(125))).toEqual({ total: 101, own: 5, at: t(125) });
    // No 3-day window touching the new lease reaches back to the first one.
    expect(peakOverPeriod(holdings, 'new', 72 * H, t(120), t(125))).toMatchObject({ total: 5, own: 5 });
    expect(peakOverPeriod(holdings, 'new', 72 * H, t(40), t(125))).toMatchObject({ total: 96, own: 0 });
  });

  it('counts the part of a long lease inside the window only', () => {
    expect(peakOverPeriod([hold('new', 1, 0, 1000)], 'new', 24 * H, t(0), t(1000))).toMatchObject({ total: 24, own: 24 });
  });
});
