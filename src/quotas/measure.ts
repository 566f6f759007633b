/**
 * Peaks of a project's usage, from the spans the repository read: pure arithmetic over one query's rows, so
 * both database engines give the same answer. Every function answers what the project holds with `leaseId`
 * (the lease being admitted) and how much of that is the lease's own, at the worst moment.
 */

/** Something held: `amount` over [start, end), by a lease. */
export interface Holding {
  leaseId: string;
  amount: number;
  start: Date;
  end: Date;
}

/** The worst moment (or window) found: the project's total, the admitted lease's part of it, and when. */
export interface Peak {
  total: number;
  own: number;
  /** The instant of the peak (for a rolling window: the window's end). */
  at: Date;
}

/**
 * The most held at any one instant of [from, to): a sweep over the span boundaries (ends before starts at the
 * same instant, as the spans are half-open).
 */
export function peakAtOnce(holdings: readonly Holding[], leaseId: string, from: Date, to: Date): Peak {
  const lo = from.getTime();
  const hi = to.getTime();
  const steps: { at: number; total: number; own: number }[] = [];
  for (const h of holdings) {
    const start = Math.max(h.start.getTime(), lo);
    const end = Math.min(h.end.getTime(), hi);
    if (start >= end || h.amount <= 0) continue;
    const own = h.leaseId === leaseId ? h.amount : 0;
    steps.push({ at: start, total: h.amount, own }, { at: end, total: -h.amount, own: -own });
  }
  steps.sort((a, b) => a.at - b.at || a.total - b.total);
  const peak: Peak = { total: 0, own: 0, at: new Date(lo) };
  let total = 0;
  let own = 0;
  for (const [i, step] of steps.entries()) {
    total += step.total;
    own += step.own;
    // Only once every change at this instant is applied.
    const last = i === steps.length - 1 || steps[i + 1].at !== step.at;
    if (last && step.at < hi && total > peak.total) Object.assign(peak, { total, own, at: new Date(step.at) });
  }
  return peak;
}

/**
 * The most held within any window [t - period, t) that overlaps [from, to), in amount x hours (host-hours).
 * The held amount H(t) = C(t) - C(t - period), where C(x) is everything held before x, is piecewise linear in
 * t, so its maximum is at a span boundary b, at b + period, or at an end of the range of t: only those are
 * evaluated, each by a binary search in C's breakpoints (O(n log n) for n spans, not O(n^2)).
 */
export function peakOverPeriod(holdings: readonly Holding[], leaseId: string, periodMs: number, from: Date, to: Date): Peak {
  const lo = from.getTime();
  const hi = to.getTime() + periodMs;
  const cumulative = cumulativeHeld(holdings);
  const candidates = [lo, hi];
  for (const h of holdings) {
    for (const b of [h.start.getTime(), h.end.getTime()]) {
      for (const t of [b, b + periodMs]) if (t > lo && t < hi) candidates.push(t);
    }
  }
  let best = { total: 0, at: hi };
  for (const t of candidates.sort((a, b) => a - b)) {
    const total = cumulative(t) - cumulative(t - periodMs);
    if (total > best.total) best = { total, at: t };
  }
  // The admitted lease's part, in the worst window only.
  let own = 0;
  for (const h of holdings) {
    if (h.leaseId !== leaseId) continue;
    own += h.amount * Math.max(0, Math.min(h.end.getTime(), best.at) - Math.max(h.start.getTime(), best.at - periodMs));
  }
  const hours = (ms: number) => Math.round(ms / 3_600) / 1000;
  return { total: hours(best.total), own: hours(own), at: new Date(best.at) };
}

/** C(x): amount x milliseconds held before x, from the sorted breakpoints of the holdings. */
function cumulativeHeld(holdings: readonly Holding[]): (x: number) => number {
  const deltas = new Map<number, number>();
  for (const h of holdings) {
    if (h.amount <= 0 || h.end <= h.start) continue;
    deltas.set(h.start.getTime(), (deltas.get(h.start.getTime()) ?? 0) + h.amount);
    deltas.set(h.end.getTime(), (deltas.get(h.end.getTime()) ?? 0) - h.amount);
  }
  const times = [...deltas.keys()].sort((a, b) => a - b);
  // At times[k]: C there, and the amount held from there to times[k + 1].
  const atTime: number[] = [];
  const rate: number[] = [];
  let c = 0;
  let held = 0;
  for (const [k, t] of times.entries()) {
    if (k > 0) c += held * (t - times[k - 1]);
    held += deltas.get(t)!;
    atTime.push(c);
    rate.push(held);
  }
  return (x) => {
    let low = 0;
    let high = times.length - 1;
    if (high < 0 || x <= times[0]) return 0;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (times[mid] <= x) low = mid; else high = mid - 1;
    }
    return atTime[low] + rate[low] * (x - times[low]);
  };
}
