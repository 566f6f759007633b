import type { QuotasConfig } from '../config';
import type { LeaseRecord, Repositories, Tx } from '../db';
import { QuotaExceeded } from './errors';
import { effectiveLimits, isUnlimited, type QuotaLimits } from './limits';
import { peakAtOnce, peakOverPeriod, type Holding, type Peak } from './measure';

/** What a lease and its project hold at the worst moment of the lease's window (the measures quotas limit). */
interface Measures {
  hosts: Peak;
  instance_slots: Peak;
  leases: Peak;
  host_hours: Peak;
  /** Seconds from start to end. */
  duration: number;
}

/** A lease as it was before an update, with what its project held then; see QuotaCheck.before. */
export interface QuotaBaseline {
  start: Date;
  end: Date;
  measures: Measures | null;
}

type Window = Pick<LeaseRecord, 'id' | 'name' | 'projectId' | 'startDate' | 'endDate'>;

const UTC = (d: Date) => `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;

/**
 * Per-project quotas, checked in the transaction of a lease create or update after its allocations and its
 * usage ledger rows are written (so the lease counts as it will be held) and before the commit (so a refusal
 * rolls the whole change back). The project's quota row is written first (QuotaRepository.lockProject): two
 * admissions of one project are serialised on that row, and the second counts what the first committed.
 *
 * Usage comes from the usage ledger (hosts, instance slots, host-hours: what GET /v1/usage reports) and from
 * the leases table (leases at the same time), counted from the later of now and the lease's start: what was
 * held in the past does not stop a new lease, except within host_hours_period for host-hours.
 */
export class QuotaCheck {
  constructor(private readonly repos: Repositories, private readonly config: QuotasConfig) {}

  /** The project's limits in effect. */
  async limits(projectId: string, tx?: Tx): Promise<QuotaLimits> {
    return effectiveLimits(this.config.defaults, await this.repos.quotas.get(projectId, tx));
  }

  /** Throws QuotaExceeded when the new lease takes its project over a limit. */
  async checkCreate(tx: Tx, lease: Window, now: Date): Promise<void> {
    const limits = await this.lockedLimits(tx, lease.projectId);
    if (!limits) return;
    const after = await this.measure(tx, lease, limits, now);
    for (const refusal of this.refusals(lease, limits, after, null)) throw refusal;
  }

  /**
   * What the lease and its project hold before an update changes it: an update that only gives something back
   * (no earlier start, no later end, no more held at the worst moment) is never refused, so a lease can be
   * shortened or shrunk even over a limit lowered since; any other update must fit every limit.
   * Read without the project's lock (taken only after the allocations, in the same order as a create).
   */
  async before(tx: Tx, lease: Window, now: Date): Promise<QuotaBaseline> {
    const limits = await this.limits(lease.projectId, tx);
    const measures = isUnlimited(limits) ? null : await this.measure(tx, lease, limits, now);
    return { start: lease.startDate, end: lease.endDate, measures };
  }

  /** Throws QuotaExceeded when the update takes the project further over a limit. */
  async checkUpdate(tx: Tx, baseline: QuotaBaseline, lease: Window, now: Date): Promise<void> {
    const limits = await this.lockedLimits(tx, lease.projectId);
    if (!limits) return;
    const extension = (lease.endDate.getTime() - baseline.end.getTime()) / 1000;
    if (limits.max_extension >= 0 && extension > limits.max_extension) {
      throw new QuotaExceeded('max_extension', `Quota exceeded for max_extension of project ${lease.projectId}: this update moves `
        + `the end of lease ${lease.name} ${extension} seconds later, limit ${limits.max_extension} seconds per update`);
    }
    const after = await this.measure(tx, lease, limits, now);
    // Lenient only for a change that gives something back: the same or a shorter window, and no more at its worst.
    const shrinks = lease.startDate >= baseline.start && lease.endDate <= baseline.end;
    for (const refusal of this.refusals(lease, limits, after, shrinks ? baseline.measures : null)) throw refusal;
  }

  /** The project's limits after taking its lock, or null when it has none (then nothing is locked nor counted). */
  private async lockedLimits(tx: Tx, projectId: string): Promise<QuotaLimits | null> {
    if (isUnlimited(await this.limits(projectId, tx))) return null;
    await this.repos.quotas.lockProject(tx, projectId);
    // Read again under the lock: an admin's change of the limits takes the same lock.
    const limits = await this.limits(projectId, tx);
    return isUnlimited(limits) ? null : limits;
  }

  private async measure(tx: Tx, lease: Window, limits: QuotaLimits, now: Date): Promise<Measures> {
    const from = new Date(Math.max(now.getTime(), lease.startDate.getTime()));
    const to = lease.endDate > from ? lease.endDate : from;
    const periodMs = this.config.hostHoursPeriodSeconds * 1000;
    const rolling = limits.host_hours >= 0;
    const spans = await this.repos.quotas.heldSpans(tx, lease.projectId,
      rolling ? new Date(from.getTime() - periodMs) : from, rolling ? new Date(to.getTime() + periodMs) : to, lease.id);
    const hosts: Holding[] = spans.filter((s) => s.kind === 'host');
    const slots: Holding[] = spans.filter((s) => s.kind === 'instance');
    // The lease itself as it will be: an update writes the lease row's new dates only after this check.
    const leases = limits.leases >= 0
      ? [...(await this.repos.quotas.leaseWindows(tx, lease.projectId, from, to)).filter((w) => w.leaseId !== lease.id),
        { leaseId: lease.id, start: lease.startDate, end: lease.endDate }].map((w) => ({ ...w, amount: 1 }))
      : [];
    return {
      hosts: peakAtOnce(hosts, lease.id, from, to),
      instance_slots: peakAtOnce(slots, lease.id, from, to),
      leases: peakAtOnce(leases, lease.id, from, to),
      host_hours: rolling && to > from ? peakOverPeriod(hosts, lease.id, periodMs, from, to) : { total: 0, own: 0, at: to },
      duration: (lease.endDate.getTime() - lease.startDate.getTime()) / 1000,
    };
  }

  /** The limits `after` exceeds (given `before`, of a shrinking update: only those it exceeds by more than before). */
  private *refusals(lease: Window, limits: QuotaLimits, after: Measures, before: Measures | null): Generator<QuotaExceeded> {
    const over = (limit: number, value: number, was: number | undefined) => limit >= 0 && value > limit && (was === undefined || value > was);
    const project = lease.projectId;
    if (over(limits.max_lease_duration, after.duration, before?.duration)) {
      yield new QuotaExceeded('max_lease_duration', `Quota exceeded for max_lease_duration of project ${project}: lease ${lease.name} `
        + `would last ${after.duration} seconds, limit ${limits.max_lease_duration} seconds`);
    }
    const atOnce = [
      ['leases', 'leases at the same time', 'leases'],
      ['hosts', 'hosts held at the same time', 'hosts'],
      ['instance_slots', 'instance slots held at the same time', 'instance slots'],
    ] as const;
    for (const [name, what, unit] of atOnce) {
      const peak = after[name];
      if (!over(limits[name], peak.total, before?.[name].total)) continue;
      yield new QuotaExceeded(name, `Quota exceeded for ${name} (${what}) of project ${project}: at ${UTC(peak.at)} it would `
        + `have ${peak.total} ${unit}, ${peak.own} of them for lease ${lease.name} (${peak.total - peak.own} in use without it), `
        + `limit ${limits[name]}`);
    }
    const hh = after.host_hours;
    if (over(limits.host_hours, hh.total, before?.host_hours.total)) {
      const hours = this.config.hostHoursPeriodSeconds / 3600;
      yield new QuotaExceeded('host_hours', `Quota exceeded for host_hours of project ${project}: the ${hours} hours up to `
        + `${UTC(hh.at)} would hold ${hh.total} host-hours, ${hh.own} of them for lease ${lease.name} `
        + `(${Math.round((hh.total - hh.own) * 1000) / 1000} without it), limit ${limits.host_hours} per ${hours} hours`);
    }
  }
}
