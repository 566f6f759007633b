import { randomUUID } from 'node:crypto';
import type { EventRecord, Repositories, Tx } from '../db';
import { UPDATE_LEASE, USER_EVENT_SEQUENCE } from './event-plan';

/**
 * Schedules the lease's `update_lease` event, due `now`, in the caller's transaction (the one changing the
 * resources, so the change and the promise to apply it commit together). None is added when one is already
 * waiting: the plugins read the resources when it runs, so it applies this change too. One that is running may
 * have read them before this change, so the new one is due after it (a lease's events run one at a time, in time
 * order). Returns the event added.
 */
export async function scheduleLeaseUpdate(repos: Repositories, tx: Tx, leaseId: string, now: Date,
  events?: readonly EventRecord[]): Promise<EventRecord | null> {
  const updates = (events ?? await repos.events.listByLeases([leaseId], tx)).filter((e) => e.eventType === UPDATE_LEASE);
  if (updates.some((e) => e.status === 'UNDONE')) return null;
  const time = new Date(Math.max(now.getTime(), ...updates.map((e) => e.time.getTime() + 1)));
  const event: EventRecord = {
    id: randomUUID(), leaseId, eventType: UPDATE_LEASE, sequence: USER_EVENT_SEQUENCE, time, status: 'UNDONE',
    claimedBy: null, claimExpiresAt: null, attempts: 0, lastError: null, createdAt: now, updatedAt: null,
  };
  await repos.events.insert(tx, event);
  return event;
}
