import { EnforcementRefused } from './errors';
import type { EnforcementContext, LeaseSubject, UsageFilter } from './types';

export interface MaxLeaseDurationOptions {
  /** Seconds; -1: no limit. */
  maxSeconds: number;
  exemptProjectIds: readonly string[];
  /** Seconds before a lease's end from which it may be prolonged by maxSeconds again; -1 (or 0): no allowance. */
  extensionWindowSeconds: number;
}

const seconds = (from: Date, to: Date) => Math.floor((to.getTime() - from.getTime()) / 1000);

/**
 * MaxLeaseDurationFilter: a lease may last at most `max_lease_duration` seconds, on create and on every update.
 * An update that makes the lease no longer (it shrinks it, or changes only its reservations) is always allowed,
 * so that leases made before the limit was lowered can still be managed. With `reservation_extension_window`,
 * a lease within that many seconds of its end may be prolonged by up to the limit counted from its current end,
 * as Chameleon's Blazar allows, so a user can keep a resource by renewing it near the end.
 */
export class MaxLeaseDurationFilter implements UsageFilter {
  readonly name = 'MaxLeaseDurationFilter';
  readonly wantsOnEnd = false;

  constructor(private readonly options: MaxLeaseDurationOptions) {}

  async checkCreate(context: EnforcementContext, lease: LeaseSubject): Promise<void> {
    if (this.exempt(context)) return;
    this.checkDuration(seconds(lease.start, lease.end));
  }

  async checkUpdate(context: EnforcementContext, current: LeaseSubject, next: LeaseSubject, now: Date): Promise<void> {
    if (this.exempt(context)) return;
    const { maxSeconds, extensionWindowSeconds: window } = this.options;
    const duration = seconds(next.start, next.end);
    if (maxSeconds < 0 || duration <= maxSeconds) return;
    const lengthened = next.end > current.end || next.start < current.start;
    if (!lengthened) return;
    if (window > 0 && next.end > current.end && next.start >= current.start) {
      const windowOpens = new Date(current.end.getTime() - window * 1000);
      if (now < windowOpens) {
        throw new EnforcementRefused(`Lease can only be extended within ${window} seconds of the lease's current end time.`);
      }
      this.checkDuration(seconds(current.end, next.end));
      return;
    }
    this.checkDuration(duration);
  }

  async onEnd(): Promise<void> {}

  private exempt(context: EnforcementContext): boolean {
    return this.options.exemptProjectIds.includes(context.project_id);
  }

  private checkDuration(duration: number): void {
    const max = this.options.maxSeconds;
    if (max >= 0 && duration > max) {
      throw new EnforcementRefused(
        `Lease duration of ${duration} seconds must be less than or equal to the maximum lease duration of ${max} seconds.`);
    }
  }
}
