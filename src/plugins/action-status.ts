import type { LeaseRecord, Repositories } from '../db';
import type { Notifier } from '../notifications';

/** What a virtual reservation's start or end last did in the cloud; also the last word of its notification. */
export type ActionStatus = 'created' | 'create_failed' | 'deleted' | 'delete_failed';

/** One status change of a reservation's cloud resources, and what to record and announce with it. */
export interface StatusChange {
  lease: LeaseRecord;
  reservationId: string;
  /** `volume` or `floatingip`: the parameters get `<kind>s_status` / `<kind>s_status_reason`, the notification is `reservation.<kind>.<status>`. */
  kind: 'volume' | 'floatingip';
  status: ActionStatus;
  /** Why it failed (shown by the API and in the notification); null on success. */
  reason?: string | null;
  /** Further parameters to record with the status (e.g. the ids of what was made), also in the notification. */
  fields?: Record<string, unknown>;
  /** Fields for the notification only (e.g. the ids of what was deleted). */
  details?: Record<string, unknown>;
  /** Record nothing when the reservation has no status yet (an end that found nothing the start had made). */
  onlyIfRecorded?: boolean;
}

/**
 * Records a status change in the reservation's parameters under the lease's row lock (as a PUT takes it), and
 * announces a new status (`reservation.<kind>.<status>`, ERROR priority for failures) in the same transaction:
 * the change and its notification commit together, and an event retried after the status was recorded does
 * not announce it twice. Without a notifier only the parameters are recorded.
 */
export async function recordStatus(repos: Repositories, notifier: Notifier | null, change: StatusChange): Promise<void> {
  const { lease, reservationId, kind, status } = change;
  const statusKey = `${kind}s_status`;
  const reasonKey = `${kind}s_status_reason`;
  const reason = change.reason ?? null;
  await repos.db.transaction(async (tx) => {
    await repos.leases.getForUpdate(tx, lease.id);
    const current = await repos.reservations.get(reservationId, tx);
    if (!current) return;
    const p = current.params;
    if (change.onlyIfRecorded && p[statusKey] === undefined) return;
    const next = { ...p, ...change.fields, [statusKey]: status, [reasonKey]: reason };
    if (JSON.stringify(next) === JSON.stringify(p)) return;
    await repos.reservations.updateParams(tx, reservationId, next, current.updatedAt ?? current.createdAt);
    if (!notifier || (p[statusKey] === status && p[reasonKey] === reason)) return;
    await notifier.emit(tx, `reservation.${kind}.${status}`, {
      lease_id: lease.id, reservation_id: reservationId, project_id: lease.projectId, user_id: lease.userId,
      ...change.details, ...change.fields, [statusKey]: status, [reasonKey]: reason,
    }, { leaseId: lease.id, priority: status.endsWith('_failed') ? 'ERROR' : 'INFO' });
  });
}
