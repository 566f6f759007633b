/** EventRepository: claims (once, expiry, ownership), per-lease run order, retries and wake-up times. */
import type { EventRecord } from '../../../src/db';
import { ENGINES } from '../../support/database';
import { addLease, at, eventRecord, openDb, type Db } from './helpers';

const T0 = at('2030-01-01T10:00:00.000Z');
const plus = (d: Date, ms: number) => new Date(d.getTime() + ms);
const MIN = 60_000;

describe.each(ENGINES)('EventRepository on %s', (dialect) => {
  let t: Db;
  beforeEach(async () => { t = await openDb(dialect); });
  afterEach(async () => { await t.close(); });

  async function addEvents(...events: EventRecord[]): Promise<void> {
    await t.db.transaction(async (tx) => { for (const e of events) await t.repos.events.insert(tx, e); });
  }

  async function leaseWith(...specs: [type: string, sequence: number, time: Date, extra?: Partial<EventRecord>][]): Promise<EventRecord[]> {
    const { lease } = await addLease(t);
    const events = specs.map(([type, seq, time, extra]) => eventRecord(lease.id, type, seq, time, extra));
    await addEvents(...events);
    return events;
  }

  describe('claims', () => {
    it('a due event is claimed once; a second claim fails, even by the same owner', async () => {
      const [start] = await leaseWith(['start_lease', 1, T0]);
      expect(await t.repos.events.claim(start.id, 'A', T0, plus(T0, MIN))).toBe(true);
      expect(await t.repos.events.claim(start.id, 'B', plus(T0, 1000), plus(T0, 2 * MIN))).toBe(false);
      expect(await t.repos.events.claim(start.id, 'A', plus(T0, 1000), plus(T0, 2 * MIN))).toBe(false);
      expect(await t.repos.events.get(start.id)).toMatchObject({
        status: 'IN_PROGRESS', claimedBy: 'A', claimExpiresAt: plus(T0, MIN), updatedAt: T0,
      });
    });

    it('an event is not claimed before its time', async () => {
      const [start] = await leaseWith(['start_lease', 1, T0]);
      expect(await t.repos.events.claim(start.id, 'A', plus(T0, -1), plus(T0, MIN))).toBe(false);
      expect(await t.repos.events.claim(start.id, 'A', T0, plus(T0, MIN))).toBe(true);
    });

    it('an unknown or finished event cannot be claimed', async () => {
      const [done] = await leaseWith(['start_lease', 1, T0, { status: 'DONE' }]);
      expect(await t.repos.events.claim(done.id, 'A', T0, plus(T0, MIN))).toBe(false);
      expect(await t.repos.events.claim('no-such-event', 'A', T0, plus(T0, MIN))).toBe(false);
    });

    it('an expired claim is taken over by another owner; the old owner can no longer extend or finish', async () => {
      const [start] = await leaseWith(['start_lease', 1, T0]);
      expect(await t.repos.events.claim(start.id, 'A', T0, plus(T0, MIN))).toBe(true);
      // Still held at (and up to) its expiry.
      expect(await t.repos.events.claim(start.id, 'B', plus(T0, 30_000), plus(T0, 2 * MIN))).toBe(false);
      expect(await t.repos.events.claim(start.id, 'B', plus(T0, MIN), plus(T0, 2 * MIN))).toBe(false);
      // A crashed: its claim expires and B takes the event.
      expect(await t.repos.events.claim(start.id, 'B', plus(T0, MIN + 1), plus(T0, 3 * MIN))).toBe(true);
      expect(await t.repos.events.get(start.id)).toMatchObject({ status: 'IN_PROGRESS', claimedBy: 'B', claimExpiresAt: plus(T0, 3 * MIN) });

      expect(await t.repos.events.extendClaim(start.id, 'A', plus(T0, 10 * MIN))).toBe(false);
      expect(await t.repos.events.finish(undefined, start.id, 'A', { status: 'DONE', now: plus(T0, 2 * MIN) })).toBe(false);
      expect(await t.repos.events.get(start.id)).toMatchObject({ status: 'IN_PROGRESS', claimedBy: 'B' });

      expect(await t.repos.events.extendClaim(start.id, 'B', plus(T0, 10 * MIN))).toBe(true);
      expect((await t.repos.events.get(start.id))?.claimExpiresAt).toEqual(plus(T0, 10 * MIN));
      expect(await t.repos.events.finish(undefined, start.id, 'B', { status: 'DONE', now: plus(T0, 2 * MIN) })).toBe(true);
      expect(await t.repos.events.get(start.id)).toMatchObject({
        status: 'DONE', claimedBy: null, claimExpiresAt: null, attempts: 0, lastError: null, updatedAt: plus(T0, 2 * MIN),
      });
      // Finished: nobody finishes it again.
      expect(await t.repos.events.finish(undefined, start.id, 'B', { status: 'ERROR', now: plus(T0, 3 * MIN) })).toBe(false);
    });

    it('finish by a manager that never held the claim fails and changes nothing', async () => {
      const [start] = await leaseWith(['start_lease', 1, T0]);
      expect(await t.repos.events.finish(undefined, start.id, 'A', { status: 'DONE', now: T0 })).toBe(false);
      expect((await t.repos.events.get(start.id))?.status).toBe('UNDONE');
      await t.repos.events.claim(start.id, 'A', T0, plus(T0, MIN));
      expect(await t.repos.events.finish(undefined, start.id, 'B', { status: 'DONE', now: T0 })).toBe(false);
      expect(await t.repos.events.get(start.id)).toMatchObject({ status: 'IN_PROGRESS', claimedBy: 'A' });
    });

    it('many managers claiming one event at once: exactly one wins, nobody errors', async () => {
      const [start] = await leaseWith(['start_lease', 1, T0]);
      const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) =>
        t.repos.events.claim(start.id, `m${i}`, T0, plus(T0, MIN))));
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      const won = results.map((r, i) => (r.status === 'fulfilled' && r.value ? `m${i}` : null)).filter(Boolean);
      expect(won).toHaveLength(1);
      expect((await t.repos.events.get(start.id))?.claimedBy).toBe(won[0]);
    });

    it('releaseClaims hands an owner\'s events back at once', async () => {
      const [a] = await leaseWith(['start_lease', 1, T0]);
      const [b] = await leaseWith(['start_lease', 1, T0]);
      await t.repos.events.claim(a.id, 'A', T0, plus(T0, MIN));
      await t.repos.events.claim(b.id, 'B', T0, plus(T0, MIN));
      expect(await t.repos.events.releaseClaims('A', plus(T0, 1))).toBe(1);
      expect(await t.repos.events.get(a.id)).toMatchObject({ status: 'UNDONE', claimedBy: null, claimExpiresAt: null });
      expect(await t.repos.events.get(b.id)).toMatchObject({ status: 'IN_PROGRESS', claimedBy: 'B' });
      expect(await t.repos.events.claim(a.id, 'C', plus(T0, 2), plus(T0, MIN))).toBe(true);
    });
  });

  describe('run order within a lease', () => {
    it('end_lease is not runnable while start_lease is undone or running; it is once start is done', async () => {
      const [start, end] = await leaseWith(['start_lease', 1, T0], ['end_lease', 4, plus(T0, 60 * MIN)]);
      const late = plus(T0, 120 * MIN);
      expect(await t.repos.events.findRunnable(late, 10)).toEqual([start.id]);
      expect(await t.repos.events.claim(end.id, 'A', late, plus(late, MIN))).toBe(false);

      expect(await t.repos.events.claim(start.id, 'A', late, plus(late, MIN))).toBe(true);
      expect(await t.repos.events.findRunnable(late, 10)).toEqual([]);
      expect(await t.repos.events.claim(end.id, 'B', late, plus(late, MIN))).toBe(false);

      await t.repos.events.finish(undefined, start.id, 'A', { status: 'DONE', now: late });
      expect(await t.repos.events.findRunnable(late, 10)).toEqual([end.id]);
      expect(await t.repos.events.claim(end.id, 'B', late, plus(late, MIN))).toBe(true);
    });

    it('events due at the same instant run in sequence order', async () => {
      const [end, beforeEnd] = await leaseWith(['end_lease', 4, T0], ['before_end_lease', 3, T0]);
      expect(await t.repos.events.findRunnable(T0, 10)).toEqual([beforeEnd.id]);
      expect(await t.repos.events.claim(end.id, 'A', T0, plus(T0, MIN))).toBe(false);
      expect(await t.repos.events.claim(beforeEnd.id, 'A', T0, plus(T0, MIN))).toBe(true);
      await t.repos.events.finish(undefined, beforeEnd.id, 'A', { status: 'DONE', now: T0 });
      expect(await t.repos.events.findRunnable(T0, 10)).toEqual([end.id]);
    });

    it('an earlier event whose claim expired still blocks later ones (it is retried first)', async () => {
      const [start, end] = await leaseWith(['start_lease', 1, T0], ['end_lease', 4, plus(T0, MIN)]);
      await t.repos.events.claim(start.id, 'A', T0, plus(T0, MIN));
      const later = plus(T0, 5 * MIN);
      expect(await t.repos.events.findRunnable(later, 10)).toEqual([start.id]);
      expect(await t.repos.events.claim(end.id, 'B', later, plus(later, MIN))).toBe(false);
    });

    it('an event in ERROR no longer blocks the lease', async () => {
      const [, end] = await leaseWith(['start_lease', 1, T0, { status: 'ERROR' }], ['end_lease', 4, plus(T0, MIN)]);
      expect(await t.repos.events.findRunnable(plus(T0, MIN), 10)).toEqual([end.id]);
    });

    it('leases do not wait for each other; runnable events come oldest first, up to the limit', async () => {
      const [a] = await leaseWith(['start_lease', 1, plus(T0, 2 * MIN)]);
      const [b] = await leaseWith(['start_lease', 1, T0]);
      const [c] = await leaseWith(['custom', 2, plus(T0, MIN)]);
      await leaseWith(['start_lease', 1, plus(T0, 60 * MIN)]);
      const now = plus(T0, 10 * MIN);
      expect(await t.repos.events.findRunnable(now, 10)).toEqual([b.id, c.id, a.id]);
      expect(await t.repos.events.findRunnable(now, 2)).toEqual([b.id, c.id]);
    });
  });

  describe('retries and wake-up', () => {
    it('a failed attempt goes back to UNDONE with its error and is not retried before retry_at', async () => {
      const [start] = await leaseWith(['start_lease', 1, T0]);
      await t.repos.events.claim(start.id, 'A', T0, plus(T0, MIN));
      const retryAt = plus(T0, 5 * MIN);
      expect(await t.repos.events.finish(undefined, start.id, 'A', { status: 'UNDONE', now: plus(T0, 1), error: 'nova down', retryAt })).toBe(true);
      expect(await t.repos.events.get(start.id)).toMatchObject({ status: 'UNDONE', attempts: 1, lastError: 'nova down', claimedBy: null, time: T0 });
      expect(await t.repos.events.findRunnable(plus(retryAt, -1), 10)).toEqual([]);
      expect(await t.repos.events.claim(start.id, 'B', plus(retryAt, -1), plus(retryAt, MIN))).toBe(false);
      expect(await t.repos.events.nextWakeUp()).toEqual(retryAt);
      expect(await t.repos.events.findRunnable(retryAt, 10)).toEqual([start.id]);
      expect(await t.repos.events.claim(start.id, 'B', retryAt, plus(retryAt, MIN))).toBe(true);
    });

    it('nextWakeUp: nothing waiting is null; else the earliest undone time or claim expiry', async () => {
      expect(await t.repos.events.nextWakeUp()).toBeNull();
      await leaseWith(['start_lease', 1, T0, { status: 'DONE' }]);
      expect(await t.repos.events.nextWakeUp()).toBeNull();
      const [start, end] = await leaseWith(['start_lease', 1, plus(T0, 10 * MIN)], ['end_lease', 4, plus(T0, 20 * MIN)]);
      expect(await t.repos.events.nextWakeUp()).toEqual(start.time);
      await t.repos.events.claim(start.id, 'A', start.time, plus(start.time, 3 * MIN));
      // The start's claim runs out (13 min) before the end is due (20 min); once extended past it, the end is next.
      expect(await t.repos.events.nextWakeUp()).toEqual(plus(T0, 13 * MIN));
      await t.repos.events.extendClaim(start.id, 'A', plus(T0, 30 * MIN));
      expect(await t.repos.events.nextWakeUp()).toEqual(end.time);
    });

    it('reschedule into the future re-arms a finished event; within the past it keeps its status', async () => {
      const [start, before] = await leaseWith(['start_lease', 1, T0], ['before_end_lease', 3, plus(T0, MIN)]);
      await t.repos.events.claim(start.id, 'A', T0, plus(T0, MIN));
      await t.repos.events.finish(undefined, start.id, 'A', { status: 'DONE', now: T0 });
      await t.repos.events.claim(before.id, 'A', plus(T0, MIN), plus(T0, 2 * MIN));
      await t.repos.events.finish(undefined, before.id, 'A', { status: 'DONE', now: plus(T0, MIN) });
      const now = plus(T0, 10 * MIN);
      await t.db.transaction(async (tx) => {
        await t.repos.events.reschedule(tx, before.id, plus(T0, 60 * MIN), now);
        await t.repos.events.reschedule(tx, start.id, plus(T0, 2 * MIN), now);
      });
      expect(await t.repos.events.get(before.id)).toMatchObject({ status: 'UNDONE', time: plus(T0, 60 * MIN), attempts: 0, updatedAt: now });
      expect(await t.repos.events.get(start.id)).toMatchObject({ status: 'DONE', time: plus(T0, 2 * MIN) });
    });
  });
});
