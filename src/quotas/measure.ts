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
 * The held amount is piecewise linear in t, so its maximum is at a span boundary b, at b + period, or at an end
 * of the range of t: only those are evaluated.
 */
export function peakOverPeriod(holdings: readonly Holding[], leaseId: string, periodMs: number, from: Date, to: Date): Peak {
  const lo = from.getTime();
  const hi = to.getTime() + periodMs;
  const candidates = new Set<number>([lo, hi]);
  for (const h of holdings) {
    for (const b of [h.start.getTime(), h.end.getTime()]) {
      for (const t of [b, b + periodMs]) if (t > lo && t < hi) candidates.add(t);
    }
  }
  const peak: Peak = { total: 0, own: 0, at: new Date(hi) };
  for (const t of [...candidates].sort((a, b) => a - b)) {
    let total = 0;
    let own = 0;
    for (const h of holdings) {
      const ms = Math.min(h.end.getTime(), t) - Math.max(h.start.getTime(), t - periodMs);
      if (ms <= 0) continue;
      total += h.amount * ms;
      if (h.leaseId === leaseId) own += h.amount * ms;
    }
    if (total > peak.total) Object.assign(peak, { total, own, at: new Date(t) });
  }
  const hours = (ms: number) => Math.round(ms / 3_600) / 1000;
  return { total: hours(peak.total), own: hours(peak.own), at: peak.at };
}
