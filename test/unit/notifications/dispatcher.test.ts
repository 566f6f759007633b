/** NotificationDispatcher over a real outbox: order, receipts, backoff, pruning, the start check. */
import { ManualClock, silentLogger, type Logger } from '../../../src/common';
import { NotificationDispatcher, type Notification, type NotificationDriver } from '../../../src/notifications';
import { openDb, type Db } from '../db/helpers';

const T0 = new Date('2030-01-01T10:00:00.000Z');

class FakeDriver implements NotificationDriver {
  readonly name = 'fake';
  readonly sent: Notification[] = [];
  failuresLeft = 0;
  checkError: Error | null = null;
  checks = 0;
  async send(n: Notification): Promise<void> {
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw new Error('broker away');
    }
    this.sent.push(n);
  }
  async check(): Promise<void> {
    this.checks++;
    if (this.checkError) throw this.checkError;
  }
  async close(): Promise<void> {}
}

function recordingLogger(lines: string[]): Logger {
  const logger: Logger = {
    debug: (m) => lines.push(`DEBUG ${m}`), info: (m) => lines.push(`INFO ${m}`),
    warning: (m) => lines.push(`WARNING ${m}`), error: (m) => lines.push(`ERROR ${m}`), child: () => logger,
  };
  return logger;
}

describe('NotificationDispatcher', () => {
  let t: Db;
  let clock: ManualClock;
  let driver: FakeDriver;
  beforeEach(async () => {
    t = await openDb('sqlite');
    clock = new ManualClock(T0);
    driver = new FakeDriver();
  });
  afterEach(async () => { await t.close(); });

  const dispatcher = (logger: Logger = silentLogger, extra = {}) =>
    new NotificationDispatcher(t.repos.outbox, driver, clock, logger, { publisherId: 'climate.test', retryDelayMs: 1000, retentionHours: 2, ...extra });

  async function add(leaseId: string, ...types: string[]): Promise<void> {
    await t.db.transaction(async (tx) => {
      for (const eventType of types) {
        await t.repos.outbox.add(tx, {
          messageId: `${leaseId}-${eventType}`, leaseId, eventType, priority: eventType === 'lease.error' ? 'ERROR' : 'INFO',
          payload: JSON.stringify({ id: leaseId }), createdAt: clock.now(),
        });
      }
    });
  }

  it('sends in order, in the OpenStack format, and marks each sent', async () => {
    await add('L1', 'lease.create', 'lease.event.start_lease');
    await add('L2', 'lease.create');
    await add('L1', 'lease.error');
    expect(await dispatcher().dispatchOnce()).toBe(4);
    expect(driver.sent.map((n) => `${n.payload.id} ${n.event_type}`)).toEqual(['L1 lease.create', 'L1 lease.event.start_lease', 'L2 lease.create', 'L1 lease.error']);
    expect(driver.sent[0]).toEqual({
      message_id: 'L1-lease.create', publisher_id: 'climate.test', event_type: 'lease.create', priority: 'INFO',
      payload: { id: 'L1' }, timestamp: '2030-01-01 10:00:00.000000',
    });
    expect(driver.sent[3].priority).toBe('ERROR');
    expect(await t.repos.outbox.countUnsent()).toBe(0);
  });

  it('stops at a failure, retries after a doubling delay, and never lets a later notification overtake', async () => {
    await add('L1', 'lease.create', 'lease.update');
    driver.failuresLeft = 2;
    const d = dispatcher();
    expect(await d.dispatchOnce()).toBe(0);
    expect(driver.sent).toEqual([]);
    clock.advance(999);
    expect(await d.dispatchOnce()).toBe(0); // waits for its retry time (1 s)
    clock.advance(1);
    expect(await d.dispatchOnce()).toBe(0); // second failure: now 2 s
    clock.advance(1999);
    expect(await d.dispatchOnce()).toBe(0);
    clock.advance(1);
    expect(await d.dispatchOnce()).toBe(2);
    expect(driver.sent.map((n) => n.event_type)).toEqual(['lease.create', 'lease.update']);
  });

  it('sends the rest of a batch without waiting for each receipt, in order, and marks up to a failure sent', async () => {
    await add('L1', 'lease.create', 'lease.update', 'lease.event.start_lease', 'lease.event.end_lease');
    let inFlight = 0;
    let most = 0;
    const order: string[] = [];
    const slow: NotificationDriver = {
      name: 'slow',
      send: async (n) => {
        order.push(n.event_type);
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 20));
        inFlight--;
        if (n.event_type === 'lease.event.start_lease') throw new Error('connection lost');
      },
      close: async () => {},
    };
    const d = new NotificationDispatcher(t.repos.outbox, slow, clock, silentLogger, { publisherId: 'climate.test', retryDelayMs: 1000 });
    expect(await d.dispatchOnce()).toBe(2);
    expect(order).toEqual(['lease.create', 'lease.update', 'lease.event.start_lease', 'lease.event.end_lease']);
    expect(most).toBe(3); // the first alone, then the other three together
    // The failed one waits for its retry, and the one after it (sent, but after a failure) is sent again after it.
    const pending = await t.repos.outbox.pending(10);
    expect(pending.map((r) => [r.eventType, r.attempts])).toEqual([['lease.event.start_lease', 1], ['lease.event.end_lease', 0]]);
    expect(pending[0].nextAttemptAt?.getTime()).toBe(T0.getTime() + 1000);
  });

  it('runOnce checks the driver once at start and says what is wrong', async () => {
    const lines: string[] = [];
    driver.checkError = new Error('exchange "climate" does not exist');
    const d = dispatcher(recordingLogger(lines));
    await d.runOnce();
    await d.runOnce();
    expect(driver.checks).toBe(1);
    expect(lines).toContainEqual(expect.stringMatching(/^ERROR notifications cannot be delivered yet \(driver fake\): exchange "climate" does not exist/));
  });

  it('runOnce prunes notifications sent more than retention_hours ago, not unsent ones, at most every prune interval', async () => {
    await add('L1', 'lease.create');
    const d = dispatcher(silentLogger, { pruneIntervalMs: 60_000 });
    await d.runOnce(); // sent at T0
    driver.failuresLeft = 100;
    await add('L1', 'lease.update'); // never sent
    clock.advance(2 * 3_600_000 + 1000);
    const count = async () => (await t.db.select<{ n: number }>('SELECT COUNT(*) AS n FROM notifications'))[0].n;
    expect(Number(await count())).toBe(2);
    await d.runOnce();
    expect(Number(await count())).toBe(1);
    expect((await t.repos.outbox.pending(10)).map((r) => r.eventType)).toEqual(['lease.update']);
  });

  it('keeps everything when retention is 0', async () => {
    await add('L1', 'lease.create');
    const d = dispatcher(silentLogger, { retentionHours: 0 });
    await d.runOnce();
    clock.advance(1000 * 3_600_000);
    expect(await d.prune()).toBe(0);
  });
});
