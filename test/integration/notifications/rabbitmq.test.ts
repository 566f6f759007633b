/**
 * Notifications end to end, on the real thing: Climate's stomp driver publishes through RabbitMQ's STOMP
 * plugin, a real oslo.messaging notification listener (as Ceilometer runs one) receives, and
 * climate-provisioner runs commands. Everything that needs the broker is in this one file on purpose: one
 * test stops the broker (rabbitmqctl stop_app), which would disturb broker tests running in parallel.
 *
 * Each run uses its own exchange, topic and queue names, and removes them at the end.
 */
import { execSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { RequestContext } from '../../../src/auth';
import { ManualClock } from '../../../src/common';
import { ExchangeMissingError, StompDriver, type Notification } from '../../../src/notifications';
import { BrokerError } from '../../../src/notifications/stomp/connection';
import { Provisioner, type HandledEvent, type ProvisionerOptions } from '../../../src/provisioner';
import { FlakyPlugin } from '../../support/flaky-plugin';
import { managerWorld, type ManagerWorld } from '../../support/manager-world';
import { startTestService, type TestService } from '../../support/service';
import {
  deleteQueue, OsloListener, portOpen, queueCounts, rabbitmqctl, recordingLogger, STOMP_URL, uniqueName, waitUntil, type Received,
} from './helpers';

const admin: RequestContext = { userId: 'u1', projectId: 'p1', roles: ['admin'], isAdmin: true, requestId: 'req-test' };
const PUBLISHER = 'climate.test';
const TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/;

jest.setTimeout(90_000);

const exchange = uniqueName('climate-test');
const topic = uniqueName('notifications');
let listener: OsloListener;

beforeAll(async () => { listener = await OsloListener.start(exchange, topic); });
afterAll(async () => { await listener?.stop(); });

function stompConfig(overrides: { exchange?: string; transportUrl?: string } = {}) {
  return {
    driver: 'stomp' as const, transportUrl: overrides.transportUrl ?? STOMP_URL, exchange: overrides.exchange ?? exchange,
    topics: [topic], publisherId: PUBLISHER,
  };
}

/** Sends what the outbox holds, moving the (manual) clock past any retry delay, until nothing is left. */
async function drain(svc: TestService, clock: ManualClock, timeoutMs = 30_000): Promise<void> {
  await waitUntil('the outbox to be empty', async () => {
    await svc.services.dispatcher.dispatchOnce();
    if (await svc.services.repos.outbox.countUnsent() === 0) return true;
    clock.advance(61_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    return false;
  }, timeoutMs);
}

async function outboxIds(svc: TestService, leaseId: string): Promise<string[]> {
  const rows = await svc.services.db.select<{ message_id: string }>('SELECT message_id FROM notifications WHERE lease_id = ? ORDER BY id', [leaseId]);
  return rows.map((r) => r.message_id);
}

const types = (rs: Received[]) => rs.map((r) => r.event_type);

/** fixtures/record-argv.js stands in for ipmitool: it records the arguments it was given. */
const RECORDER = path.join(__dirname, 'fixtures/record-argv.js');
interface Call { argv: string[]; mode: string; pid: number; start: number; end: number; failed?: boolean; hung?: boolean }
const calls = (file: string): Call[] => existsSync(file)
  ? readFileSync(file, 'utf8').split('\n').filter((l) => l).map((l) => JSON.parse(l) as Call)
  : [];
/** The recorder as the command, quoted as a template wants it. */
const recorder = (file: string, rest: string) => `"${process.execPath}" "${RECORDER}" "${file}" ${rest}`;
/** Running (a zombie waiting for a reaper that is not ours does not count). */
const alive = (pid: number) => {
  try { return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return false; }
};

describe('an oslo.messaging notification listener receives every notification of a lease\'s life', () => {
  const clock = new ManualClock(new Date('2030-01-01T11:00:00Z'));
  let svc: TestService;
  let world: ManagerWorld;
  const flaky = new FlakyPlugin({ failures: 100 });

  beforeAll(async () => {
    svc = await startTestService({
      dialect: 'sqlite', clock,
      config: { manager: { minutesBeforeStartLease: 10, minutesBeforeEndLease: 30 }, notifications: stompConfig() },
    });
    // A second "process" on the same database whose resource type always fails, for a lease that ends in ERROR.
    world = await managerWorld(svc.services.config.database.connection, flaky, clock);
    await svc.services.hosts.create({ name: 'node-1', vcpus: 8, bmc_address: '10.0.0.5', bmc_user: 'admin' });
  });
  afterAll(async () => {
    await world?.close();
    await svc?.close();
  });

  it('create, update, heads-up, start, before_end, end, delete: right event types, publisher, priority and payloads', async () => {
    const { leases, runner } = svc.services;
    const lease = await leases.create(admin, {
      name: 'life', start_date: '2030-01-01 12:00', end_date: '2030-01-01 14:00',
      reservations: [{ resource_type: 'physical:host', min: 1, max: 1 }],
    });
    const updated = await leases.update(admin, lease.id, { name: 'life-renamed' });
    clock.set(new Date('2030-01-01T11:50:00Z'));
    await runner.runDueOnce();
    clock.set(new Date('2030-01-01T12:00:00Z'));
    await runner.runDueOnce();
    const active = await leases.get(admin, lease.id);
    clock.set(new Date('2030-01-01T13:30:00Z'));
    await runner.runDueOnce();
    clock.set(new Date('2030-01-01T14:00:00Z'));
    await runner.runDueOnce();
    const ended = await leases.get(admin, lease.id);
    await leases.delete(admin, lease.id);
    await drain(svc, clock);

    const got = await listener.waitForCount(lease.id, 7);
    expect(types(got)).toEqual([
      'lease.create', 'lease.update', 'lease.event.before_start_lease', 'lease.event.start_lease',
      'lease.event.before_end_lease', 'lease.event.end_lease', 'lease.delete',
    ]);
    // Exactly the notifications of the outbox, by message_id, in its order.
    expect(got.map((r) => r.metadata.message_id)).toEqual(await outboxIds(svc, lease.id));
    for (const r of got) {
      expect(r).toMatchObject({ publisher_id: PUBLISHER, priority: 'INFO' });
      expect(r.metadata.timestamp).toMatch(TIMESTAMP);
    }
    const [create, update, headsUp, start, , end, del] = got;
    // The payload is the lease as the API shows it.
    expect(create.payload).toEqual(JSON.parse(JSON.stringify(lease)));
    expect(update.payload).toEqual(JSON.parse(JSON.stringify(updated)));
    expect(start.payload).toMatchObject({ id: lease.id, status: 'ACTIVE', reservations: [expect.objectContaining({ status: 'active' })] });
    expect(start.payload.status).toBe(active.status);
    // The end notification is the lease as shown, plus the hosts released (for whoever powers them off).
    const { resources: released, ...endLease } = end.payload as Record<string, unknown>;
    expect(endLease).toEqual(JSON.parse(JSON.stringify(ended)));
    expect(released).toEqual([expect.objectContaining({ hosts: [expect.objectContaining({ hypervisor_hostname: 'node-1', bmc_address: '10.0.0.5' })] })]);
    expect(del.payload).toMatchObject({ id: lease.id, name: 'life-renamed' });
    // The heads-up tells provisioners how long they have and which hosts, with their extra capabilities.
    expect(headsUp.payload).toMatchObject({
      id: lease.id, status: 'PENDING', seconds_until_start: 600,
      resources: [{
        reservation_id: lease.reservations[0].id, resource_type: 'physical:host',
        hosts: [expect.objectContaining({ hypervisor_hostname: 'node-1', bmc_address: '10.0.0.5', bmc_user: 'admin' })],
      }],
    });
  });

  it('a lease whose start fails: lease.error with priority ERROR and the reason', async () => {
    clock.set(new Date('2030-02-01T12:00:00Z'));
    const lease = await world.leases.create(admin, { name: 'doomed', end_date: '2030-02-01 13:00', reservations: [{ resource_type: 'test:flaky' }] });
    for (const delay of [0, 1000, 2000]) {
      clock.advance(delay);
      await world.runner.runDueOnce();
    }
    await drain(svc, clock);
    const got = await listener.waitForCount(lease.id, 2);
    expect(types(got)).toEqual(['lease.create', 'lease.error']);
    expect(got[1]).toMatchObject({ priority: 'ERROR', publisher_id: PUBLISHER });
    expect(got[1].payload).toMatchObject({ id: lease.id, status: 'ERROR', status_reason: expect.stringMatching(/start_lease failed after 3 attempt\(s\): cloud said no/) });
  });
});

describe('the broker goes away in the middle of a lease\'s life (rabbitmqctl stop_app, start_app)', () => {
  const clock = new ManualClock(new Date('2030-01-01T11:00:00Z'));
  let svc: TestService;
  let stopped = false;
  // A provisioner reads along: it must come back by itself and still act on the heads-up sent during the outage.
  const dir = mkdtempSync(path.join(tmpdir(), 'climate-outage-test-'));
  const file = path.join(dir, 'calls.jsonl');
  const provisionerLog = recordingLogger();
  const provisionerQueue = uniqueName('climate-provisioner');
  const handled: HandledEvent[] = [];
  const provisioner = new Provisioner({
    transportUrl: STOMP_URL, exchange, topic, queue: provisionerQueue, onBeforeStart: recorder(file, 'ok {hypervisor_hostname}'), onEnd: '',
    concurrency: 1, timeoutMs: 10_000, retries: 0, reconnectDelayMs: 200, maxReconnectDelayMs: 1000, logger: provisionerLog,
  });
  provisioner.on('handled', (e: HandledEvent) => handled.push(e));

  beforeAll(async () => {
    svc = await startTestService({
      dialect: 'mariadb', clock,
      config: { manager: { minutesBeforeStartLease: 10, minutesBeforeEndLease: 30 }, notifications: stompConfig() },
    });
    await svc.services.hosts.create({ name: 'node-1', vcpus: 8 });
    provisioner.start();
    await provisioner.whenSubscribed();
  });
  afterAll(async () => {
    if (stopped) await rabbitmqctl('start_app');
    await provisioner.stop();
    await deleteQueue(provisionerQueue);
    await svc?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses nothing and keeps each lease\'s order: what could not be sent is sent once the broker is back', async () => {
    const { leases, runner, dispatcher, repos } = svc.services;
    const lease = await leases.create(admin, {
      name: 'outage', start_date: '2030-01-01 12:00', end_date: '2030-01-01 14:00',
      reservations: [{ resource_type: 'physical:host', min: 1, max: 1 }],
    });
    const other = await leases.create(admin, { name: 'other', start_date: '2030-01-01 12:00', end_date: '2030-01-01 13:00' });
    await drain(svc, clock);
    await listener.waitForCount(lease.id, 1);

    await rabbitmqctl('stop_app');
    stopped = true;
    clock.set(new Date('2030-01-01T11:50:00Z'));
    while (await runner.runDueOnce() > 0) { /* both heads-up */ }
    await leases.update(admin, lease.id, { name: 'outage-renamed' });
    clock.set(new Date('2030-01-01T12:00:00Z'));
    while (await runner.runDueOnce() > 0) { /* heads-up, then both starts */ }
    // The dispatcher tries, fails, and keeps everything.
    expect(await dispatcher.dispatchOnce()).toBe(0);
    clock.advance(61_000);
    expect(await dispatcher.dispatchOnce()).toBe(0);
    const [row] = await repos.outbox.pending(1);
    expect(row.attempts).toBe(2);
    expect(await repos.outbox.countUnsent()).toBe(5); // both heads-up, the update, both starts

    await rabbitmqctl('start_app');
    stopped = false;
    await waitUntil('the STOMP port to open again', () => portOpen(61613), 30_000);
    await drain(svc, clock);

    clock.set(new Date('2030-01-01T13:30:00Z'));
    while (await runner.runDueOnce() > 0) { /* other's before_end and end, lease's before_end */ }
    clock.set(new Date('2030-01-01T14:00:00Z'));
    await runner.runDueOnce();
    await leases.delete(admin, lease.id);
    await drain(svc, clock);

    const got = await listener.waitForCount(lease.id, 7);
    expect(types(got)).toEqual([
      'lease.create', 'lease.event.before_start_lease', 'lease.update', 'lease.event.start_lease',
      'lease.event.before_end_lease', 'lease.event.end_lease', 'lease.delete',
    ]);
    expect(got.map((r) => r.metadata.message_id)).toEqual(await outboxIds(svc, lease.id));
    // The provisioner lost its connection, connected and subscribed again, and ran the command for the heads-up.
    await waitUntil('the provisioner to handle the heads-up', () => handled.some((e) => e.notification.payload.id === lease.id));
    expect(calls(file).map((c) => c.argv)).toEqual([['node-1']]);
    expect(provisionerLog.lines.filter((l) => l.startsWith('WARNING lost the connection'))).toHaveLength(1);
    expect(provisionerLog.lines.filter((l) => l.startsWith(`INFO reading queue "${provisionerQueue}"`))).toHaveLength(2);

    const others = await listener.waitForCount(other.id, 5);
    expect(types(others)).toEqual([
      'lease.create', 'lease.event.before_start_lease', 'lease.event.start_lease', 'lease.event.before_end_lease', 'lease.event.end_lease',
    ]);
    expect(others.map((r) => r.metadata.message_id)).toEqual(await outboxIds(svc, other.id));
  });
});

describe('stomp driver: exchange check, failover, heart-beats, broker errors', () => {
  it('says at start, in words an operator can act on, that the exchange is missing; sends once it exists', async () => {
    const clock = new ManualClock(new Date('2030-01-01T11:00:00Z'));
    const missing = uniqueName('climate-missing');
    const ownTopic = uniqueName('late'); // its own queues: the listener deletes them when it stops
    const logger = recordingLogger();
    const svc = await startTestService({ clock, logger, config: { notifications: { ...stompConfig({ exchange: missing }), topics: [ownTopic] } } });
    let late: OsloListener | undefined;
    try {
      await svc.services.dispatcher.runOnce();
      const said = logger.lines.find((l) => l.startsWith('ERROR notifications cannot be delivered yet'));
      expect(said).toContain(`exchange "${missing}" does not exist on 127.0.0.1:61613`);
      expect(said).toContain(`rabbitmqadmin declare exchange name=${missing} type=topic`);
      expect(said).toContain('Notifications stay in the database');

      const lease = await svc.services.leases.create(admin, { name: 'early', start_date: '2030-01-01 12:00', end_date: '2030-01-01 13:00' });
      expect(await svc.services.dispatcher.dispatchOnce()).toBe(0);
      expect(await svc.services.repos.outbox.countUnsent()).toBe(1);

      // Its consumer starts (and declares the exchange): the notification goes out.
      late = await OsloListener.start(missing, ownTopic);
      await drain(svc, clock);
      const [create] = await late.waitForCount(lease.id, 1);
      expect(create.event_type).toBe('lease.create');
    } finally {
      await late?.stop();
      await svc.close();
    }
  });

  it('check() rejects with ExchangeMissingError naming the exchange', async () => {
    const driver = new StompDriver({ transportUrl: STOMP_URL, exchange: 'climate-nowhere-x', topics: [topic], logger: recordingLogger() });
    try {
      await expect(driver.check()).rejects.toThrow(ExchangeMissingError);
      await expect(driver.check()).rejects.toThrow(/exchange "climate-nowhere-x" does not exist .*NOT_FOUND - no exchange 'climate-nowhere-x'/);
    } finally {
      await driver.close();
    }
  });

  it('fails over to the next broker of the list, and keeps an idle connection alive with heart-beats', async () => {
    const logger = recordingLogger();
    const dead = 'stomp://guest:guest@127.0.0.1:1/';
    const driver = new StompDriver({ transportUrl: `${dead},${STOMP_URL}?heartbeat=0.3`, exchange, topics: [topic], logger });
    const n = (eventType: string): Notification => ({
      message_id: randomUUID(), publisher_id: PUBLISHER, event_type: eventType, priority: 'INFO',
      payload: { id: `failover-${eventType}` }, timestamp: '2030-01-01 00:00:00.000000',
    });
    try {
      await driver.send(n('first'));
      await new Promise((resolve) => setTimeout(resolve, 1500)); // five heart-beat periods with nothing else
      await driver.send(n('second'));
      await listener.waitForCount('failover-first', 1);
      await listener.waitForCount('failover-second', 1);
      expect(logger.lines.filter((l) => l.startsWith('INFO connected to STOMP broker'))).toHaveLength(1);
      expect(logger.lines.filter((l) => l.includes('lost'))).toEqual([]);
    } finally {
      await driver.close();
    }
  });

  it('reports bad credentials as the broker says them, without crashing', async () => {
    const driver = new StompDriver({ transportUrl: 'stomp://guest:wrong-password@127.0.0.1:61613/', exchange, topics: [topic], logger: recordingLogger() });
    try {
      const error = await driver.check().then(() => null, (e: Error) => e);
      expect(error?.message).toMatch(/Access refused/);
      expect(error?.message).not.toContain('wrong-password');
      expect((error?.cause as Error | undefined) instanceof BrokerError).toBe(true);
    } finally {
      await driver.close();
    }
  });

  it('refuses a transport_url it cannot use when built', () => {
    expect(() => new StompDriver({ transportUrl: '', exchange, topics: [topic], logger: recordingLogger() }))
      .toThrow('[notifications] transport_url is empty');
    expect(() => new StompDriver({ transportUrl: 'rabbit://guest:guest@127.0.0.1:5672/', exchange, topics: [topic], logger: recordingLogger() }))
      .toThrow('[notifications] transport_url URL has scheme "rabbit", expected stomp');
  });
});

describe('climate-provisioner runs the configured command for each host of a host lease', () => {
  const clock = new ManualClock(new Date('2030-01-01T11:00:00Z'));
  const ROOT = path.resolve(__dirname, '../../..');
  let svc: TestService;
  let dir: string;
  const queues: string[] = [];
  const provisioners: Provisioner[] = [];


  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'climate-provisioner-test-'));
    svc = await startTestService({
      clock, config: { manager: { minutesBeforeStartLease: 10, minutesBeforeEndLease: 0 }, notifications: stompConfig() },
    });
    const hosts: Record<string, unknown>[] = [
      { name: 'node-a1', pool: 'a', mode: 'ok', bmc_address: '10.0.0.1', bmc_user: 'admin' },
      { name: 'node-a2', pool: 'a', mode: 'fail-once', bmc_address: '10.0.0.2', bmc_user: 'root' },
      { name: 'node-a3', pool: 'a', mode: 'hang', bmc_address: '10.0.0.3', bmc_user: 'ops' },
      { name: 'node-a4', pool: 'a', mode: 'ok' },
      { name: 'node-b1', pool: 'b' }, { name: 'node-b2', pool: 'b' }, { name: 'node-b3', pool: 'b' },
    ];
    for (const host of hosts) await svc.services.hosts.create({ vcpus: 8, ...host });
  });
  afterAll(async () => {
    for (const p of provisioners) await p.stop();
    for (const q of queues) await deleteQueue(q);
    await svc?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function provisioner(options: Partial<ProvisionerOptions> & Pick<ProvisionerOptions, 'queue'>): Provisioner & { handled: HandledEvent[] } {
    const p = new Provisioner({
      transportUrl: STOMP_URL, exchange, topic, onBeforeStart: '', onEnd: '', concurrency: 4, timeoutMs: 10_000, retries: 0,
      retryDelayMs: 100, reconnectDelayMs: 200, logger: recordingLogger(), ...options,
    }) as Provisioner & { handled: HandledEvent[] };
    p.handled = [];
    p.on('handled', (e: HandledEvent) => p.handled.push(e));
    if (!queues.includes(options.queue)) queues.push(options.queue);
    provisioners.push(p);
    p.start();
    return p;
  }

  async function lease(pool: string, name: string, start: string, end: string) {
    return svc.services.leases.create(admin, {
      name, start_date: start, end_date: end,
      reservations: [{ resource_type: 'physical:host', min: pool === 'a' ? 4 : 3, max: pool === 'a' ? 4 : 3, resource_properties: `["==", "$pool", "${pool}"]` }],
    });
  }

  it('on the heads-up: the host\'s fields as arguments, retries, timeouts, a log line per host; on the end: on_end', async () => {
    const file = path.join(dir, 'a.jsonl');
    const logger = recordingLogger();
    const p = provisioner({
      queue: uniqueName('climate-provisioner'), logger, concurrency: 2, timeoutMs: 1000, retries: 1,
      onBeforeStart: recorder(file, '{mode} -H {bmc_address} -U {bmc_user} --lease {lease_id} --in {seconds_until_start} chassis power on'),
      onEnd: recorder(file, "ok '{hypervisor_hostname}' power off"),
    });
    await p.whenSubscribed();
    const l = await lease('a', 'power', '2030-01-01 12:00', '2030-01-01 13:00');
    clock.set(new Date('2030-01-01T11:50:00Z'));
    await svc.services.runner.runDueOnce();
    await drain(svc, clock);
    await waitUntil('the heads-up to be handled', () => p.handled.length >= 1);

    expect(p.handled[0]).toMatchObject({
      hook: 'on_before_start',
      outcomes: { 'node-a1': 'ok', 'node-a2': 'ok', 'node-a3': 'failed', 'node-a4': 'skipped' },
    });
    const byHost = (address: string) => calls(file).filter((c) => c.argv[1] === address);
    expect(byHost('10.0.0.1')).toEqual([expect.objectContaining({
      argv: ['-H', '10.0.0.1', '-U', 'admin', '--lease', l.id, '--in', '600', 'chassis', 'power', 'on'],
    })]);
    expect(byHost('10.0.0.2').map((c) => Boolean(c.failed))).toEqual([true, false]); // failed once, then ran again
    const hung = byHost('10.0.0.3');
    expect(hung).toHaveLength(2); // killed at the timeout, twice
    for (const c of hung) expect(alive(c.pid)).toBe(false);
    expect(calls(file).filter((c) => c.mode === 'ok' && !c.argv.includes('10.0.0.1'))).toEqual([]); // node-a4: not run

    const lines = logger.lines.join('\n');
    expect(lines).toMatch(new RegExp(`INFO host node-a1 \\(lease ${l.id}, before_start_lease\\): on_before_start \\(.*\\) succeeded in .* s, attempt 1 of 2`));
    expect(lines).toMatch(/WARNING host node-a2 .*failed, attempt 1 of 2: exit code 1: BMC did not answer; trying again in 0.1 s/);
    expect(lines).toMatch(/INFO host node-a2 .*succeeded in .* s, attempt 2 of 2/);
    expect(lines).toMatch(/ERROR host node-a3 .*failed, attempt 2 of 2: killed after 1 s \(timeout\); giving up/);
    expect(lines).toMatch(/ERROR host node-a4 .*on_before_start not run: no value for \{bmc_address\}, \{bmc_user\}/);
    expect(lines).not.toContain('10.0.0.1'); // the command line (values, maybe passwords) is not logged

    // The end notification does not list the hosts: the provisioner uses those of the heads-up.
    clock.set(new Date('2030-01-01T13:00:00Z'));
    while (await svc.services.runner.runDueOnce() > 0) { /* start, then end */ }
    await drain(svc, clock);
    await waitUntil('the end to be handled', () => p.handled.length >= 2);
    expect(p.handled[1]).toMatchObject({ hook: 'on_end', outcomes: { 'node-a1': 'ok', 'node-a2': 'ok', 'node-a3': 'ok', 'node-a4': 'ok' } });
    expect(calls(file).filter((c) => c.argv.at(-1) === 'off').map((c) => c.argv).sort()).toEqual(
      ['node-a1', 'node-a2', 'node-a3', 'node-a4'].map((h) => [h, 'power', 'off']));
    // Everything was acknowledged.
    await waitUntil('the queue to be empty', async () => String((await queueCounts()).get(p['options'].queue)) === '0,0');
  });

  it('reads a durable queue: what came while it was down is handled when it is back; a duplicate is not run twice', async () => {
    const file = path.join(dir, 'b.jsonl');
    const queue = uniqueName('climate-provisioner');
    const options = { queue, concurrency: 1, onBeforeStart: recorder(file, 'sleep:150 {hypervisor_hostname}') };
    const first = provisioner(options);
    await first.whenSubscribed(); // binds the queue
    await first.stop();

    clock.set(new Date('2030-03-01T11:00:00Z'));
    const l = await lease('b', 'later', '2030-03-01 12:00', '2030-03-01 13:00');
    clock.set(new Date('2030-03-01T11:50:00Z'));
    while (await svc.services.runner.runDueOnce() > 0) { /* the heads-up */ }
    await drain(svc, clock);
    // lease.create and the heads-up wait there (every <topic>.info notification does; the provisioner ignores the others).
    await waitUntil('the notifications to wait in the queue', async () => (await queueCounts()).get(queue)?.[0] === 2);

    const logger = recordingLogger();
    const second = provisioner({ ...options, logger });
    await waitUntil('the heads-up to be handled', () => second.handled.length >= 1);
    const runs = calls(file);
    expect(runs.map((c) => c.argv[0]).sort()).toEqual(['node-b1', 'node-b2', 'node-b3']);
    // concurrency = 1: one after the other.
    const sorted = [...runs].sort((a, b) => a.start - b.start);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i].start).toBeGreaterThanOrEqual(sorted[i - 1].end);

    // Climate sends at least once: the same notification again (same message_id) is acknowledged, not run.
    const [row] = await svc.services.db.select<{ message_id: string }>(
      "SELECT message_id FROM notifications WHERE lease_id = ? AND event_type = 'lease.event.before_start_lease'", [l.id]);
    await svc.services.db.execute('UPDATE notifications SET sent_at = NULL WHERE message_id = ?', [row.message_id]);
    await drain(svc, clock);
    await waitUntil('the duplicate to be recognised', () => logger.lines.some((line) => line.includes(`notification ${row.message_id}`) && line.includes('handled already')));
    expect(calls(file)).toHaveLength(3);
    await waitUntil('the queue to be empty', async () => String((await queueCounts()).get(queue)) === '0,0');
  });

  it('runs as a daemon (climate-provisioner --config-file) and stops cleanly on SIGTERM', async () => {
    if (!existsSync(path.join(ROOT, 'dist/src/cli/climate-provisioner.js'))) execSync('npm run build', { cwd: ROOT, stdio: 'ignore' });
    const file = path.join(dir, 'cli.jsonl');
    const queue = uniqueName('climate-provisioner');
    queues.push(queue);
    const conf = path.join(dir, 'climate.conf');
    writeFileSync(conf, [
      // The daemon logs to stdout by default; this test reads its log from stderr.
      '[DEFAULT]', 'log_output = stderr', '',
      '[notifications]', `transport_url = ${STOMP_URL}`, '',
      '[provisioner]', `exchange = ${exchange}`, `topic = ${topic}`, `queue = ${queue}`,
      `on_before_start = ${recorder(file, 'ok -H {bmc_address} {hypervisor_hostname}')}`, 'timeout = 10', '',
    ].join('\n'));
    const child = spawn(process.execPath, [path.join(ROOT, 'dist/src/cli/climate-provisioner.js'), '--config-file', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitUntil('the provisioner to subscribe', () => stderr.includes(`reading queue "${queue}"`));
      expect(stderr).not.toContain('guest:guest'); // the logged configuration hides the broker password

      const publisher = new StompDriver({ transportUrl: STOMP_URL, exchange, topics: [topic], logger: recordingLogger() });
      await publisher.send({
        message_id: randomUUID(), publisher_id: PUBLISHER, event_type: 'lease.event.before_start_lease', priority: 'INFO',
        timestamp: '2030-01-01 00:00:00.000000',
        payload: { id: 'cli-lease', seconds_until_start: 300, resources: [{ reservation_id: 'r1', resource_type: 'physical:host', hosts: [{ id: '9', hypervisor_hostname: 'cli-host', bmc_address: '192.0.2.9' }] }] },
      });
      await publisher.close();
      await waitUntil('the command to run', () => calls(file).length === 1);
      expect(calls(file)[0].argv).toEqual(['-H', '192.0.2.9', 'cli-host']);
      await waitUntil('the log line', () => /host cli-host \(lease cli-lease, before_start_lease\): on_before_start .*succeeded/.test(stderr));
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('the daemon refuses a configuration it cannot use, and says why', async () => {
    const conf = path.join(dir, 'bad.conf');
    const run = (text: string) => {
      writeFileSync(conf, text);
      return new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [path.join(ROOT, 'dist/src/cli/climate-provisioner.js'), '--config-file', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
        child.once('exit', (code) => resolve({ code, stderr }));
      });
    };
    expect(await run('[provisioner]\ntransport_url = stomp://127.0.0.1:61613/\n')).toMatchObject({
      code: 1, stderr: expect.stringContaining('[provisioner] on_before_start and on_end are both empty'),
    });
    expect(await run('[provisioner]\ntransport_url = stomp://127.0.0.1:61613/\non_end = ipmitool power off | logger\n')).toMatchObject({
      code: 1, stderr: expect.stringContaining('[provisioner] on_end "|" is a shell operator'),
    });
    expect(await run('[provisioner]\non_end = ipmitool power off\n')).toMatchObject({
      code: 1, stderr: expect.stringContaining('[provisioner] transport_url is empty'),
    });
    expect(await run('[provisioner]\nconcurrency = 0\n')).toMatchObject({ code: 2, stderr: expect.stringContaining('[provisioner] concurrency') });
  });
});
