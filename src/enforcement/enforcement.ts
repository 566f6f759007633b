import type { Logger } from '../common';
import type { LeaseRecord, Repositories, ReservationRecord, Tx } from '../db';
import { leaseSubject } from './document';
import type { EnforcementContext, LeaseSubject, UsageFilter } from './types';

export interface UsageEnforcementOptions {
  /** Keystone's URL for the `context` the filters get; null when Climate has none. */
  authUrl: string | null;
  regionName: string | null;
}

/** The name of the queued call (Blazar's path). */
export const ON_END = 'on-end';

/**
 * Runs the enabled filters on a lease being created or updated, inside the lease's transaction: the filters see
 * the resources just allocated, and a refusal rolls the whole change back. Queues the on-end call, in the
 * transaction that ends or deletes a lease, for the manager to send (EnforcementCallSender).
 */
export class UsageEnforcement {
  constructor(
    private readonly filters: readonly UsageFilter[],
    private readonly repos: Repositories,
    private readonly logger: Logger,
    private readonly options: UsageEnforcementOptions,
  ) {}

  get enabled(): boolean {
    return this.filters.length > 0;
  }

  /** The lease as the filters would see it now (before an update changes it). */
  subject(tx: Tx, lease: LeaseRecord, reservations: readonly ReservationRecord[]): Promise<LeaseSubject> {
    return leaseSubject(this.repos, tx, lease, reservations);
  }

  /** Throws the first filter's refusal. Call after the reservations are allocated, before the commit. */
  async checkCreate(tx: Tx, lease: LeaseRecord, reservations: readonly ReservationRecord[], now: Date): Promise<void> {
    if (!this.enabled) return;
    const subject = await this.subject(tx, lease, reservations);
    const context = this.context(lease);
    for (const filter of this.filters) await this.refusing(filter, lease, () => filter.checkCreate(context, subject, now));
  }

  /** Throws the first filter's refusal. `current` is the lease before the change (see subject). */
  async checkUpdate(tx: Tx, current: LeaseSubject, lease: LeaseRecord, reservations: readonly ReservationRecord[], now: Date): Promise<void> {
    if (!this.enabled) return;
    const next = await this.subject(tx, lease, reservations);
    const context = this.context(lease);
    for (const filter of this.filters) await this.refusing(filter, lease, () => filter.checkUpdate(context, current, next, now));
  }

  /**
   * Queues on-end in the caller's transaction (the one ending or deleting the lease), when a filter wants it:
   * the call is then sure to be made once the end has committed, and the end never waits for it.
   */
  async queueOnEnd(tx: Tx, lease: LeaseRecord, reservations: readonly ReservationRecord[], now: Date): Promise<void> {
    if (!this.filters.some((f) => f.wantsOnEnd)) return;
    const subject = await this.subject(tx, lease, reservations);
    const body = JSON.stringify({ context: this.context(lease), lease: subject.document });
    await this.repos.enforcementCalls.add(tx, { leaseId: lease.id, kind: ON_END, body, now });
  }

  /** Sends a queued on-end body to every filter that wants it; throws when one fails (the call is retried). */
  async sendOnEnd(body: string): Promise<void> {
    for (const filter of this.filters) if (filter.wantsOnEnd) await filter.onEnd(body);
  }

  private context(lease: LeaseRecord): EnforcementContext {
    return { user_id: lease.userId, project_id: lease.projectId, auth_url: this.options.authUrl, region_name: this.options.regionName };
  }

  private async refusing(filter: UsageFilter, lease: LeaseRecord, check: () => Promise<void>): Promise<void> {
    try {
      await check();
    } catch (error) {
      this.logger.info(`lease ${lease.id} (${lease.name}) refused by ${filter.name}: ${(error as Error).message}`,
        { lease_id: lease.id, project_id: lease.projectId });
      throw error;
    }
  }
}
