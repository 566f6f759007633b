import { InvalidState, NotFound } from '../common';
import type { EventRecord, LeaseStatus } from '../db';
import type { LeaseDomainDeps } from './deps';
import { START_LEASE } from './event-plan';
import { renderLease } from './view';

/** What a repair did, for the operator. */
export interface LeaseRepairOutcome {
  leaseId: string;
  leaseName: string;
  /** The reason the lease was in ERROR (cleared by the repair). */
  previousReason: string | null;
  /** ACTIVE when the lease had started, else PENDING: the status the failed events run from again. */
  status: LeaseStatus;
  /** The events put back to UNDONE, with the error each had failed with. */
  retried: { id: string; eventType: string; time: Date; lastError: string | null }[];
}

/**
 * `climate-manage lease repair`: the operator's way to recover a lease in ERROR without changing it. It does
 * what a PUT on a lease in ERROR does (LeaseService.update): the lease goes back to ACTIVE (it had started) or
 * PENDING, its reservations likewise, its failed events back to UNDONE with their attempts reset so the manager
 * runs them again, and a lease.update notification says so; all in one transaction.
 */
export class LeaseRepair {
  constructor(private readonly deps: LeaseDomainDeps) {}

  /**
   * @throws NotFound when there is no such lease
   * @throws InvalidState when the lease is not in ERROR (nothing is changed)
   */
  async repair(leaseId: string): Promise<LeaseRepairOutcome> {
    const { db, repos, clock } = this.deps;
    const now = clock.now();
    const outcome = await db.transaction(async (tx) => {
      const lease = await repos.leases.getForUpdate(tx, leaseId);
      if (!lease) throw new NotFound('lease', leaseId);
      if (lease.status !== 'ERROR') {
        throw new InvalidState(`Lease ${leaseId} is ${lease.status}, not ERROR: there is nothing to repair`);
      }
      const [reservations, events] = await Promise.all([
        repos.reservations.listByLeases([leaseId], tx), repos.events.listByLeases([leaseId], tx)]);
      // As LeaseService.update decides it: a lease whose start ran is ACTIVE again, otherwise PENDING.
      const started = events.some((e) => e.eventType === START_LEASE && e.status === 'DONE');
      const status: LeaseStatus = started ? 'ACTIVE' : 'PENDING';
      const failed = events.filter((e) => e.status === 'ERROR');
      for (const e of failed) await repos.events.retry(tx, e.id, now);
      await repos.reservations.setStatusForLease(tx, leaseId, started ? 'active' : 'pending', now);
      const repaired = { ...lease, status, statusReason: null, updatedAt: now };
      await repos.leases.update(tx, leaseId, { status, statusReason: null, updatedAt: now }, ['ERROR']);
      const after = events.map((e): EventRecord => (e.status === 'ERROR'
        ? { ...e, status: 'UNDONE', attempts: 0, lastError: null, updatedAt: now } : e));
      const reservationStatus = started ? 'active' : 'pending';
      const rendered = renderLease(repaired, reservations.map((r) => (r.status === 'deleted' ? r : { ...r, status: reservationStatus })),
        after, this.deps.plugins);
      await this.deps.notifier.emit(tx, 'lease.update', rendered, { leaseId });
      return {
        leaseId, leaseName: lease.name, previousReason: lease.statusReason, status,
        retried: failed.map((e) => ({ id: e.id, eventType: e.eventType, time: e.time, lastError: e.lastError })),
      };
    });
    this.deps.logger.info(`lease ${leaseId} repaired: ${outcome.status}, ${outcome.retried.length} failed event(s) to run again`,
      { lease_id: leaseId });
    return outcome;
  }
}
