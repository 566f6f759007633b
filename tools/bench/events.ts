/**
 * Benchmark rows of issue 18 (events to the millisecond): how late lease start events run, and how long after a
 * lease's start an oslo.messaging listener has its `lease.event.start_lease` notification.
 *
 * `eventLateness` is a row of `npm run bench`. On its own, `node dist/tools/bench/events.js [--dialect sqlite|mariadb]
 * [--events N] [--notifications]` measures it on a fresh database; with `--notifications` the notifications go
 * through the real RabbitMQ (STOMP) the tests use to test/support/oslo-listener.py, a real oslo.messaging listener.
 */
import { buildServices, type Services } from '../../src/cli/services';
import { silentLogger } from '../../src/common';
import { configWith } from '../../src/config';
import { OsloListener, STOMP_URL, uniqueName } from '../../test/integration/notifications/helpers';
import { createTestDatabase, type TestDialect } from '../../test/support/database';
import { summarize, timed, type Summary } from './stats';

const DAY = 86_400_000;
const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const ADMIN = { userId: 'bench', projectId: 'bench', roles: ['admin'], isAdmin: true, requestId: 'req-bench' };

export interface LatenessResult {
  /** Lateness of each start event: when it was marked done (in the commit that ran it) minus when it was due. */
  lateness: number[];
  /** With a listener: when it received each lease's start notification minus the lease's start. */
  notified: number[];
  /** Lateness of the first event done of each due time: the timer's own delay, without the queue behind it. */
  firstOfSecond: number[];
}

/**
 * `count` leases whose start events fall within one minute (spread over its seconds), created ahead of time; the
 * manager runs with its real clock. `listener`: whose receptions to time (its `received` grows as they arrive).
 */
export async function eventLateness(services: Services, count: number, listener?: OsloListener): Promise<LatenessResult> {
  const minute = Math.ceil((Date.now() + 45_000) / 60_000) * 60_000;
  const starts = new Map<string, number>();
  await timed(count, 8, async (i) => {
    const start = new Date(minute + Math.floor((i * 60_000) / count / 1000) * 1000);
    const lease = await services.leases.create(ADMIN, {
      name: `timed-${i}-${minute}`, start_date: iso(start), end_date: iso(new Date(minute + 30 * DAY)), reservations: [],
    });
    starts.set(lease.id, start.getTime());
  });
  const receivedAt = new Map<string, number>();
  const seen = listener?.received.length ?? 0;
  let watching: NodeJS.Timeout | undefined;
  if (listener) {
    // The listener's lines are parsed as they arrive; polling its list every millisecond adds at most that.
    let index = seen;
    watching = setInterval(() => {
      for (; index < listener.received.length; index++) {
        const r = listener.received[index];
        if (r.event_type === 'lease.event.start_lease' && r.payload.id && starts.has(r.payload.id) && !receivedAt.has(r.payload.id)) {
          receivedAt.set(r.payload.id, Date.now());
        }
      }
    }, 1);
  }
  services.runner.start();
  services.dispatchJob.start();
  const ids = [...starts.keys()];
  const deadline = minute + 60_000 + 120_000;
  try {
    for (;;) {
      const events = (await services.repos.events.listByLeases(ids)).filter((e) => e.eventType === 'start_lease');
      const allDone = events.every((e) => e.status === 'DONE');
      if ((allDone && (!listener || receivedAt.size >= ids.length)) || Date.now() > deadline) {
        const done = events.filter((e) => e.status === 'DONE');
        const firstBySecond = new Map<number, number>();
        for (const e of done) {
          const late = (e.updatedAt ?? e.time).getTime() - e.time.getTime();
          firstBySecond.set(e.time.getTime(), Math.min(late, firstBySecond.get(e.time.getTime()) ?? Infinity));
        }
        return {
          firstOfSecond: [...firstBySecond.values()],
          lateness: done.map((e) => (e.updatedAt ?? e.time).getTime() - e.time.getTime()),
          notified: [...receivedAt].map(([id, at]) => at - (starts.get(id) ?? at)),
        };
      }
      // Half way between two due seconds: this check reads every event of the 1,000 leases in this process, which
      // would otherwise hold up the events due at the whole second it lands on.
      await new Promise((resolve) => setTimeout(resolve, 1500 - ((Date.now() - minute + 60_000) % 1000)));
    }
  } finally {
    if (watching) clearInterval(watching);
    await services.runner.stop();
    await services.dispatchJob.stop();
  }
}

async function standalone(dialect: TestDialect, count: number, notifications: boolean): Promise<{ lateness: Summary; notified: Summary; firstOfSecond: Summary }> {
  const db = await createTestDatabase(dialect);
  const exchange = uniqueName('bench-events');
  const listener = notifications ? await OsloListener.start(exchange, 'notifications') : undefined;
  const services = await buildServices(configWith({
    database: { connection: db.url, maxPoolSize: 10 },
    notifications: notifications ? { driver: 'stomp', transportUrl: STOMP_URL, exchange, topics: ['notifications'] } : { driver: 'noop' },
    manager: { minutesBeforeEndLease: 0, minutesBeforeStartLease: 0 },
  }), { migrate: true, logger: silentLogger });
  try {
    process.stderr.write(`[${dialect}] ${count} leases starting within one minute${notifications ? ', notifications to an oslo.messaging listener' : ''}\n`);
    const result = await eventLateness(services, count, listener);
    return { lateness: summarize(result.lateness), notified: summarize(result.notified), firstOfSecond: summarize(result.firstOfSecond) };
  } finally {
    await services.close();
    await listener?.stop();
    await db.drop();
  }
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const get = (name: string) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : undefined; };
  const dialects: TestDialect[] = get('dialect') ? [get('dialect') as TestDialect] : ['sqlite', 'mariadb'];
  (async () => {
    for (const dialect of dialects) {
      const r = await standalone(dialect, Number(get('events') ?? 1000), argv.includes('--notifications'));
      const row = (name: string, s: Summary) => `${dialect} ${name} (${s.count}): p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, max ${s.max.toFixed(1)} ms\n`;
      process.stdout.write(row('event lateness', r.lateness) + (r.notified.count ? row('start notification received after start', r.notified) : '')
        + `${dialect} first event of each second late by: p50 ${r.firstOfSecond.p50.toFixed(1)} ms, p99 ${r.firstOfSecond.p99.toFixed(1)} ms\n`);
    }
  })().catch((error) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
