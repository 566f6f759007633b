/** OutboxRepository: notifications commit with their change and leave in order. */
import { ENGINES } from '../../support/database';
import { at, openDb, type Db } from './helpers';

const T0 = at('2030-01-01T10:00:00.000Z');
const plus = (ms: number) => new Date(T0.getTime() + ms);

describe.each(ENGINES)('OutboxRepository on %s', (dialect) => {
  let t: Db;
  beforeEach(async () => { t = await openDb(dialect); });
  afterEach(async () => { await t.close(); });

  async function add(...types: string[]): Promise<void> {
    await t.db.transaction(async (tx) => {
      for (const [i, eventType] of types.entries()) {
        await t.repos.outbox.add(tx, {
          messageId: `msg-${eventType}`, leaseId: null, eventType, priority: 'INFO', payload: JSON.stringify({ i, eventType }), createdAt: plus(i),
        });
      }
    });
  }

  const pendingTypes = async () => (await t.repos.outbox.pending(100)).map((n) => n.eventType);

  it('pending lists unsent notifications oldest first, with their payload', async () => {
    await add('lease.create', 'lease.update');
    await add('lease.delete');
    const pending = await t.repos.outbox.pending(100);
    expect(pending.map((n) => n.eventType)).toEqual(['lease.create', 'lease.update', 'lease.delete']);
    expect(pending[0]).toMatchObject({
      messageId: 'msg-lease.create', leaseId: null, priority: 'INFO', attempts: 0, nextAttemptAt: null, createdAt: T0,
    });
    expect(JSON.parse(pending[1].payload)).toEqual({ i: 1, eventType: 'lease.update' });
    expect(pending[0].id).toBeLessThan(pending[1].id);
    expect((await t.repos.outbox.pending(2)).map((n) => n.eventType)).toEqual(['lease.create', 'lease.update']);
    expect(await t.repos.outbox.countUnsent()).toBe(3);
  });

  it('a notification added in a transaction that rolls back is never sent', async () => {
    await add('kept');
    await expect(t.db.transaction(async (tx) => {
      await t.repos.outbox.add(tx, { messageId: 'lost', leaseId: null, eventType: 'lost', priority: 'INFO', payload: '{}', createdAt: T0 });
      throw new Error('the change failed');
    })).rejects.toThrow('the change failed');
    expect(await pendingTypes()).toEqual(['kept']);
  });

  it('markSent removes notifications from pending; the rest keep their order', async () => {
    await add('a', 'b', 'c', 'd');
    const [a, , c] = await t.repos.outbox.pending(100);
    await t.repos.outbox.markSent([a.id, c.id], plus(1000));
    expect(await pendingTypes()).toEqual(['b', 'd']);
    await t.repos.outbox.markSent([], plus(1000));
    expect(await t.repos.outbox.countUnsent()).toBe(2);
  });

  it('markFailed counts the attempt and sets the retry time, and the row keeps its place ahead of later ones', async () => {
    await add('a', 'b', 'c');
    const [a, b] = await t.repos.outbox.pending(100);
    await t.repos.outbox.markFailed(a.id, plus(5000));
    await t.repos.outbox.markFailed(a.id, plus(9000));
    const pending = await t.repos.outbox.pending(100);
    expect(pending.map((n) => n.eventType)).toEqual(['a', 'b', 'c']);
    expect(pending[0]).toMatchObject({ attempts: 2, nextAttemptAt: plus(9000) });
    expect(pending[1]).toMatchObject({ attempts: 0, nextAttemptAt: null });
    // Sent at last: gone, and the next one is first.
    await t.repos.outbox.markSent([a.id], plus(10_000));
    expect((await t.repos.outbox.pending(100))[0].id).toBe(b.id);
  });

  it('pruning drops only notifications sent before the cutoff', async () => {
    await add('old', 'recent', 'unsent');
    const [old, recent] = await t.repos.outbox.pending(100);
    await t.repos.outbox.markSent([old.id], plus(1000));
    await t.repos.outbox.markSent([recent.id], plus(3000));
    expect(await t.repos.outbox.pruneSentBefore(plus(2000))).toBe(1);
    const [row] = await t.db.select<{ n: number }>('SELECT COUNT(*) AS n FROM notifications');
    expect(Number(row.n)).toBe(2);
    expect(await t.repos.outbox.pruneSentBefore(plus(1_000_000))).toBe(1);
    expect(await pendingTypes()).toEqual(['unsent']);
  });
});
