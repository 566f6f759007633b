/**
 * `climate-manage` as operators run it: the compiled command against a real database (SQLite, MariaDB, PostgreSQL),
 * with leases made through the service and run by the manager's event runner on a controlled clock.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import type { RequestContext } from '../../src/auth';
import { ManualClock } from '../../src/common';
import { MIGRATION_NAMES } from '../../src/db';
import { createTestDatabase, ENGINES, type TestDatabase } from '../support/database';
import { createMigratedTestDatabase } from '../support/migrated-database';
import { startTestService, type TestService } from '../support/service';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'dist/src/cli/climate-manage.js');
const execFileAsync = promisify(execFile);
const PLUGINS = ['physical:host', 'virtual:instance', 'virtual:floatingip', 'virtual:volume'];
const admin: RequestContext = { userId: 'u1', projectId: 'p1', roles: ['admin'], isAdmin: true, requestId: 'req-test' };
const NET = '11111111-2222-3333-4444-555555555555';

interface Run { code: number; stdout: string; stderr: string }

/** Runs the compiled climate-manage; never throws on a non-zero exit code. */
async function manage(args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [BIN, ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

let dir: string;
beforeAll(async () => {
  if (!existsSync(BIN)) await execFileAsync('npm', ['run', 'build'], { cwd: ROOT });
  dir = mkdtempSync(path.join(tmpdir(), 'climate-manage-'));
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeConf(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** The result of one check in `upgrade check`'s table. */
function checkResult(stdout: string, check: string): { result: string; details: string } {
  const box = stdout.split(/^\+-+\+$/m).find((b) => b.includes(`| Check: ${check} `));
  if (!box) throw new Error(`no check "${check}" in:\n${stdout}`);
  const lines = box.split('\n').map((l) => l.replace(/^\| ?/, '').replace(/ *\|$/, '')).filter(Boolean);
  const result = lines.find((l) => l.startsWith('Result: '))?.slice('Result: '.length) ?? '';
  const at = lines.findIndex((l) => l.startsWith('Details: '));
  const details = lines.slice(at).map((l) => l.replace(/^Details: /, '').trim()).join(' ');
  return { result, details };
}


describe.each(ENGINES)('climate-manage db upgrade and upgrade check on %s', (dialect) => {
  let db: TestDatabase;
  let conf: string;
  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    conf = writeConf(`db-${dialect}.conf`, `[database]\nconnection = ${db.url}\n`);
  });
  afterAll(async () => { await db.drop(); });

  it('reports pending migrations as a failure, applies them with db upgrade (Blazar\'s name), then passes', async () => {
    const empty = await manage(['--config-file', conf, 'db', 'version']);
    expect(empty.stdout).toBe(`empty (no migrations applied) (pending: ${MIGRATION_NAMES.join(', ')})\n`);

    const before = await manage(['--config-file', conf, 'upgrade', 'check']);
    expect(before.code).toBe(2);
    expect(before.stdout).toMatch(/^\+-+\+\n\| Upgrade Check Results +\|\n/);
    expect(checkResult(before.stdout, 'Database connection').result).toBe('Success');
    const schema = checkResult(before.stdout, 'Database schema');
    expect(schema.result).toBe('Failure');
    expect(schema.details).toContain(`${MIGRATION_NAMES.length} migration(s) pending: ${MIGRATION_NAMES.join(', ')}.`);
    expect(schema.details).toMatch(/climate-manage db upgrade/);

    const upgrade = await manage(['--config-file', conf, 'db', 'upgrade']);
    expect(upgrade.code).toBe(0);
    expect(upgrade.stdout).toMatch(/^applied: 001-initial-schema, 002-instance-allocations/);
    expect((await manage(['--config-file', conf, 'db', 'sync'])).stdout).toBe('database is up to date\n');
    expect((await manage(['--config-file', conf, 'db', 'version'])).stdout).toBe(`${MIGRATION_NAMES[MIGRATION_NAMES.length - 1]}\n`);

    const after = await manage(['--config-file', conf, 'upgrade', 'check']);
    expect(after.code).toBe(0);
    for (const check of ['Configuration', 'Policy file', 'Database connection', 'Database schema']) {
      expect(checkResult(after.stdout, check).result).toBe('Success');
    }
  });
});

/*
 * The policy and configuration checks read files, not the database (which they only need to reach), and the
 * commands' argument checks come before any SQL: they run on one engine. The database checks above (connection, schema, pending migrations) run on every engine.
 */
describe('climate-manage upgrade check of the policy file and the configuration, and refused arguments', () => {
  const dialect = 'sqlite';
  let db: TestDatabase;
  beforeAll(async () => { db = await createMigratedTestDatabase(dialect); });
  afterAll(async () => { await db.drop(); });

  it('fails the policy check for a policy file the services would refuse, naming the rule', async () => {
    const policy = writeConf(`policy-${dialect}.yaml`, '"climate:leases:get": "role:admin or"\n');
    const withPolicy = writeConf(`policy-${dialect}.conf`, `[database]\nconnection = ${db.url}\n\n[oslo_policy]\npolicy_file = ${policy}\n`);
    const run = await manage(['--config-file', withPolicy, 'upgrade', 'check']);
    expect(run.code).toBe(2);
    const check = checkResult(run.stdout, 'Policy file');
    expect(check.result).toBe('Failure');
    expect(check.details).toContain('climate:leases:get');
    expect(checkResult(run.stdout, 'Database schema').result).toBe('Success');
  });

  it('reports the policy loader\'s warnings as a warning, exit code 1', async () => {
    const policy = writeConf(`typo-${dialect}.yaml`, '"climate:leases:gett": "role:admin"\n');
    const withPolicy = writeConf(`typo-${dialect}.conf`, `[database]\nconnection = ${db.url}\n\n[oslo_policy]\npolicy_file = ${policy}\n`);
    const run = await manage(['--config-file', withPolicy, 'upgrade', 'check']);
    expect(run.code).toBe(1);
    const check = checkResult(run.stdout, 'Policy file');
    expect(check.result).toBe('Warning');
    expect(check.details).toContain('climate:leases:gett');
  });

  it('fails the configuration check for an option that would refuse start-up', async () => {
    const badPlugin = writeConf(`plugin-${dialect}.conf`, `[database]\nconnection = ${db.url}\n\n[manager]\nplugins = physical:host, virtual:nope\n`);
    const keystone = writeConf(`keystone-${dialect}.conf`, `[DEFAULT]\nauth_strategy = keystone\n\n[database]\nconnection = ${db.url}\n`);
    const nova = writeConf(`nova-${dialect}.conf`, `[compute]\ndriver = nova\n\n[database]\nconnection = ${db.url}\n`);
    // Three processes that only read: run side by side.
    const [run, run2, run3] = await Promise.all([badPlugin, keystone, nova].map((conf) => manage(['--config-file', conf, 'upgrade', 'check'])));
    expect(run.code).toBe(2);
    const check = checkResult(run.stdout, 'Configuration');
    expect(check.result).toBe('Failure');
    expect(check.details).toMatch(/\[manager\] plugins: unknown resource type "virtual:nope"/);
    expect(run2.code).toBe(2);
    expect(checkResult(run2.stdout, 'Configuration').details).toMatch(/\[keystone_authtoken\] auth_url, .* must be set/);
    expect(run3.code).toBe(2);
    expect(checkResult(run3.stdout, 'Configuration').details).toMatch(/\[compute\] driver = nova needs Keystone .* \[nova\] endpoint_override/);
  });

  it('refuses an unknown event status and a purge without a usable --before, exit code 2', async () => {
    const conf = writeConf('arguments.conf', `[database]\nconnection = ${db.url}\n`);
    const [status, badDate, noDate] = await Promise.all([
      ['event', 'list', '--status', 'FINISHED'], ['purge', '--before', 'yesterday'], ['purge'],
    ].map((args) => manage(['--config-file', conf, ...args])));
    expect(status.code).toBe(2);
    expect(status.stderr).toMatch(/--status FINISHED: expected one of UNDONE, IN_PROGRESS, DONE, ERROR/);
    expect(badDate.code).toBe(2);
    expect(badDate.stderr).toMatch(/--before yesterday: not a date/);
    expect(noDate.stderr).toMatch(/purge needs --before DATE/);
  });
});

describe('climate-manage upgrade check without a usable configuration or database', () => {
  it('fails every check when the configuration does not load, saying why', async () => {
    const bad = writeConf('unknown-option.conf', '[database]\nconection = sqlite:///nowhere.sqlite\n');
    const run = await manage(['--config-file', bad, 'upgrade', 'check']);
    expect(run.code).toBe(2);
    const check = checkResult(run.stdout, 'Configuration');
    expect(check.result).toBe('Failure');
    expect(check.details).toContain('conection');
    expect(checkResult(run.stdout, 'Database schema')).toEqual({ result: 'Failure', details: 'not checked: the configuration does not load' });
  });

  it('fails the connection check when the database cannot be reached', async () => {
    const unreachable = writeConf('unreachable.conf', '[database]\nconnection = mysql://root@127.0.0.1:1/climate\n');
    const run = await manage(['--config-file', unreachable, 'upgrade', 'check']);
    expect(run.code).toBe(2);
    expect(checkResult(run.stdout, 'Configuration').result).toBe('Success');
    const connection = checkResult(run.stdout, 'Database connection');
    expect(connection.result).toBe('Failure');
    expect(connection.details).toMatch(/^cannot connect with \[database\] connection: /);
  });
});

describe.each(ENGINES)('climate-manage event list, lease repair and purge on %s', (dialect) => {
  const clock = new ManualClock(new Date('2030-01-01T10:00:00Z'));
  let svc: TestService;
  let conf: string;
  const ids: Record<string, string> = {};

  const runEvents = async () => { while (await svc.services.runner.runDueOnce() > 0) { /* until nothing is due */ } };
  const at = (time: string) => clock.set(new Date(time));
  const leaseStatus = async (id: string) => (await svc.services.repos.leases.get(id))?.status;
  const notificationCount = async (leaseId: string) => Number((await svc.services.db.select<{ n: unknown }>(
    'SELECT COUNT(*) AS n FROM notifications WHERE lease_id = ?', [leaseId]))[0].n);

  /** An event failed for good, as the event runner records it when retries run out. */
  async function failEvent(leaseId: string, eventType: string): Promise<void> {
    const { repos, lifecycle } = svc.services;
    const event = (await repos.events.listByLeases([leaseId])).find((e) => e.eventType === eventType)!;
    const now = clock.now();
    expect(await repos.events.claim(event.id, 'test-manager', now, new Date(now.getTime() + 60_000))).toBe(true);
    await lifecycle.fail(leaseId, `${eventType} failed after 3 attempt(s): cloud said no`, (tx) =>
      repos.events.finish(tx, event.id, 'test-manager', { status: 'ERROR', now, error: 'cloud said no' }));
  }

  /** Tables that have rows belonging to a lease (a lease_id column), read from the database itself. */
  async function leaseTables(): Promise<string[]> {
    const { db } = svc.services;
    if (db.dialect === 'sqlite') {
      const tables = await db.select<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'");
      const withLease: string[] = [];
      for (const { name } of tables) {
        const columns = await db.select<{ name: string }>(`PRAGMA table_info(${name})`);
        if (columns.some((c) => c.name === 'lease_id')) withLease.push(name);
      }
      return withLease.sort();
    }
    const schema = db.dialect === 'mysql' ? 'DATABASE()' : 'current_schema()';
    const rows = await db.select<{ t: string }>(
      `SELECT table_name AS t FROM information_schema.columns WHERE table_schema = ${schema} AND column_name = 'lease_id'`);
    return rows.map((r) => r.t).sort();
  }

  /** Rows per table (leases by id, the others by lease_id) for each lease. */
  async function rowsOf(leaseIds: string[]): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    const { db } = svc.services;
    const list = leaseIds.map(() => '?').join(', ');
    counts.leases = Number((await db.select<{ n: unknown }>(`SELECT COUNT(*) AS n FROM leases WHERE id IN (${list})`, leaseIds))[0].n);
    for (const table of await leaseTables()) {
      counts[table] = Number((await db.select<{ n: unknown }>(`SELECT COUNT(*) AS n FROM ${table} WHERE lease_id IN (${list})`, leaseIds))[0].n);
    }
    return counts;
  }

  const lease = async (name: string, start: string, end: string, reservations: Record<string, unknown>[]) => {
    ids[name] = (await svc.services.leases.create(admin, { name, start_date: start, end_date: end, reservations })).id;
  };
  const host = { resource_type: 'physical:host', min: 1, max: 1, hypervisor_properties: '', resource_properties: '' };
  const instance = { resource_type: 'virtual:instance', amount: 1, vcpus: 1, memory_mb: 1024, disk_gb: 10, affinity: false, resource_properties: '' };
  const floatingIp = { resource_type: 'virtual:floatingip', network_id: NET, amount: 1 };
  const volume = { resource_type: 'virtual:volume', amount: 1, size_gb: 10 };

  beforeAll(async () => {
    svc = await startTestService({ dialect, clock, config: { manager: { plugins: PLUGINS } } });
    conf = writeConf(`world-${dialect}.conf`, `[database]\nconnection = ${svc.services.config.database.connection}\n\n`
      + `[manager]\nplugins = ${PLUGINS.join(', ')}\n\n[notifications]\ndriver = noop\n`);
    for (const name of ['h1', 'h2', 'h3', 'h4']) await svc.services.hosts.create({ name, vcpus: 8, memory_mb: 16384, local_gb: 200 });
    for (const address of ['172.24.4.10', '172.24.4.11']) {
      await request(svc.app).post('/v1/floatingips').send({ floating_network_id: NET, floating_ip_address: address }).expect(201);
    }
    await request(svc.app).post('/v1/volume-pools').send({ name: 'pool', capacity_gb: 1000 }).expect(201);

    await lease('old', '2030-01-01 12:00', '2030-01-01 13:00', [host, instance, floatingIp, volume]);
    await lease('old-2', '2030-01-01 12:00', '2030-01-01 13:00', [volume]);
    await lease('later', '2030-01-01 12:00', '2030-01-01 15:00', [host]);
    await lease('active', '2030-01-01 14:00', '2030-01-03 00:00', [instance]);
    await lease('pending', '2030-01-02 10:00', '2030-01-02 11:00', [floatingIp]);
    await lease('broken', '2030-01-01 12:00', '2030-01-03 12:00', [volume]);
    await lease('repair-me', '2030-01-01 12:00', '2030-01-03 12:00', [volume]);
    await lease('end-fails', '2030-01-01 12:00', '2030-01-01 14:30', [volume]);

    at('2030-01-01T12:00:00Z');
    await failEvent(ids.broken, 'start_lease');
    await failEvent(ids['repair-me'], 'start_lease');
    await runEvents();
    at('2030-01-01T13:00:00Z');
    await runEvents();
    at('2030-01-01T14:00:00Z');
    await runEvents();
    at('2030-01-01T15:00:00Z');
    await failEvent(ids['end-fails'], 'end_lease');
    await runEvents();
    while (await svc.services.dispatcher.runOnce() > 0) { /* until every notification is sent */ }
    // One notification of "old-2" still waits for the broker.
    await svc.services.db.transaction((tx) => svc.services.repos.outbox.add(tx, {
      messageId: 'unsent-1', leaseId: ids['old-2'], eventType: 'lease.event.end_lease', priority: 'INFO', payload: '{}', createdAt: clock.now(),
    }));
    // "old" ended under usage enforcement: its on-end call went out (purged with it).
    await svc.services.db.transaction((tx) => svc.services.repos.enforcementCalls.add(tx, { leaseId: ids.old, kind: 'on-end', body: '{}', now: clock.now() }));
    await svc.services.repos.enforcementCalls.markSent((await svc.services.repos.enforcementCalls.listByLease(ids.old))[0].id, clock.now());
    const statuses = Object.fromEntries(await Promise.all(Object.entries(ids).map(async ([name, id]) => [name, await leaseStatus(id)])));
    expect(statuses).toEqual({
      old: 'TERMINATED', 'old-2': 'TERMINATED', later: 'TERMINATED', active: 'ACTIVE', pending: 'PENDING', broken: 'ERROR', 'repair-me': 'ERROR',
      'end-fails': 'ERROR',
    });
  });
  afterAll(async () => { await svc.close(); });

  it('event list --status ERROR shows the failed events with lease name, attempts and last error', async () => {
    const run = await manage(['--config-file', conf, 'event', 'list', '--status', 'ERROR']);
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[1]).toMatch(/^\| id +\| lease_id +\| lease_name +\| event_type +\| time +\| status +\| attempts +\| next_try +\| last_error +\|$/);
    const rows = lines.filter((l) => /^\| [0-9a-f-]{36} /.test(l)).map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
    expect(rows.map((r) => [r[1], r[2], r[3], r[4], r[5], r[6], r[8]]).sort()).toEqual([
      [ids.broken, 'broken', 'start_lease', '2030-01-01 12:00:00', 'ERROR', '1', 'cloud said no'],
      [ids['repair-me'], 'repair-me', 'start_lease', '2030-01-01 12:00:00', 'ERROR', '1', 'cloud said no'],
      [ids['end-fails'], 'end-fails', 'end_lease', '2030-01-01 14:30:00', 'ERROR', '1', 'cloud said no'],
    ].sort());
  });

  it('event list --lease shows one lease\'s events in the order they ran', async () => {
    const run = await manage(['--config-file', conf, 'event', 'list', '--lease', ids.old]);
    expect(run.code).toBe(0);
    const rows = run.stdout.split('\n').filter((l) => /^\| [0-9a-f-]{36} /.test(l)).map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
    expect(rows.every((r) => r[1] === ids.old && r[2] === 'old' && r[5] === 'DONE')).toBe(true);
    expect(rows.map((r) => r[3])).toEqual(expect.arrayContaining(['start_lease', 'end_lease']));
    expect(rows.map((r) => r[3]).indexOf('start_lease')).toBeLessThan(rows.map((r) => r[3]).indexOf('end_lease'));
  });

  it('lease repair refuses a lease that is not in ERROR, changing nothing', async () => {
    const before = await notificationCount(ids.active);
    // Two refusals that change nothing: run side by side.
    const [run, missing] = await Promise.all([ids.active, 'no-such-lease'].map((id) => manage(['--config-file', conf, 'lease', 'repair', id])));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`Lease ${ids.active} is ACTIVE, not ERROR: there is nothing to repair`);
    expect(await leaseStatus(ids.active)).toBe('ACTIVE');
    expect(await notificationCount(ids.active)).toBe(before);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no lease with id no-such-lease');
  });

  it('lease repair puts the failed events back to UNDONE and the lease back to PENDING, and the manager runs them', async () => {
    const id = ids['repair-me'];
    const notificationsBefore = await notificationCount(id);
    const run = await manage(['--config-file', conf, 'lease', 'repair', id]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`lease ${id} (repair-me) repaired: ERROR -> PENDING`);
    expect(run.stdout).toContain('cleared reason: start_lease failed after 3 attempt(s): cloud said no');
    expect(run.stdout).toMatch(/events put back to UNDONE[^\n]*\n +[0-9a-f-]{36} start_lease due 2030-01-01 12:00:00; had failed with: cloud said no/);

    const lease = await svc.services.repos.leases.get(id);
    expect(lease).toMatchObject({ status: 'PENDING', statusReason: null });
    const start = (await svc.services.repos.events.listByLeases([id])).find((e) => e.eventType === 'start_lease');
    expect(start).toMatchObject({ status: 'UNDONE', attempts: 0, lastError: null });
    expect((await svc.services.repos.reservations.listByLeases([id])).map((r) => r.status)).toEqual(['pending']);
    const rows = await svc.services.db.select<{ event_type: string; payload: string }>(
      'SELECT event_type, payload FROM notifications WHERE lease_id = ? ORDER BY id', [id]);
    expect(rows).toHaveLength(notificationsBefore + 1);
    expect(rows.at(-1)?.event_type).toBe('lease.update');
    expect(JSON.parse(rows.at(-1)!.payload)).toMatchObject({ id, status: 'PENDING', status_reason: null });

    // The manager runs the start again.
    await runEvents();
    expect(await leaseStatus(id)).toBe('ACTIVE');
    const again = await manage(['--config-file', conf, 'event', 'list', '--status', 'ERROR']);
    expect(again.stdout).not.toContain(id);
    expect(again.stdout).toContain(ids.broken);
  });

  it('lease repair of a lease whose end failed puts it back to ACTIVE, and the manager ends it', async () => {
    const id = ids['end-fails'];
    const run = await manage(['--config-file', conf, 'lease', 'repair', id]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`lease ${id} (end-fails) repaired: ERROR -> ACTIVE`);
    expect(run.stdout).toMatch(/ end_lease due 2030-01-01 14:30:00; had failed with: cloud said no/);
    expect(await leaseStatus(id)).toBe('ACTIVE');
    expect((await svc.services.repos.reservations.listByLeases([id])).map((r) => r.status)).toEqual(['active']);
    await runEvents();
    expect(await leaseStatus(id)).toBe('TERMINATED');
  });

  it('purge --dry-run counts what would go and deletes nothing', async () => {
    const before = await rowsOf(Object.values(ids));
    const run = await manage(['--config-file', conf, 'purge', '--before', '2030-01-01 14:00', '--dry-run']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('dry run: would purge leases ended (TERMINATED) before 2030-01-01 14:00:00 UTC; nothing deleted');
    expect(run.stdout).toMatch(/^ +leases +2$/m);
    expect(run.stdout).toMatch(/^ +reservations +5$/m);
    expect(run.stdout).toMatch(/^ +host allocations +1$/m);
    expect(run.stdout).toMatch(/^ +instance allocations +1$/m);
    expect(run.stdout).toMatch(/^ +floating IP allocations +1$/m);
    expect(run.stdout).toMatch(/^ +volume allocations +2$/m);
    expect(run.stdout).toContain('kept 1 notification(s) of these leases not sent yet');
    expect(await rowsOf(Object.values(ids))).toEqual(before);
  });

  it('purge deletes exactly the leases that ended before the date with every row of theirs, in batches', async () => {
    const purged = [ids.old, ids['old-2']];
    const kept = Object.values(ids).filter((id) => !purged.includes(id));
    const keptBefore = await rowsOf(kept);
    const purgedBefore = await rowsOf(purged);
    // Every table with rows of a lease has some of these two (the check below would pass vacuously otherwise).
    expect(Object.entries(purgedBefore).filter(([, n]) => n === 0)).toEqual([]);

    const usageQuery = { start: '2030-01-01 00:00', end: '2030-01-02 00:00', project_id: 'p1' };
    const usageBefore = (await request(svc.app).get('/v1/usage').query(usageQuery).expect(200)).body.usage;
    expect(usageBefore).toEqual(expect.arrayContaining([expect.objectContaining({ resource_type: 'physical:host', leases: 2 })]));
    const run = await manage(['--config-file', conf, 'purge', '--before', '2030-01-01 14:00', '--batch-size', '1']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^purged 1\/2 leases\npurged 2\/2 leases\npurged leases ended \(TERMINATED\) before 2030-01-01 14:00:00 UTC:\n/);
    expect(run.stdout).toMatch(/^ +leases +2$/m);
    expect(run.stdout).toMatch(/^ +events +\d+$/m);
    expect(run.stdout).toContain('kept 1 notification(s) of these leases not sent yet');

    const after = await rowsOf(purged);
    // Nothing of theirs is left but the notification the broker has not had yet, and what they held (the usage ledger).
    const left: Record<string, number> = { notifications: 1, usage_ledger: purgedBefore.usage_ledger };
    expect(after).toEqual(Object.fromEntries(Object.keys(purgedBefore).map((t) => [t, left[t] ?? 0])));
    expect(run.stdout).toContain('their usage stays in the usage ledger (GET /v1/usage)');
    expect((await request(svc.app).get('/v1/usage').query(usageQuery).expect(200)).body.usage).toEqual(usageBefore);
    expect(await rowsOf(kept)).toEqual(keptBefore);
    const unsent = await svc.services.repos.outbox.pending(100);
    expect(unsent.filter((n) => n.leaseId === ids['old-2']).map((n) => n.messageId)).toEqual(['unsent-1']);
  });

  it('purge never removes ACTIVE, PENDING or ERROR leases, and says which ERROR leases it kept', async () => {
    const run = await manage(['--config-file', conf, 'purge', '--before', '2030-01-04']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^ +leases +2$/m);
    expect(run.stdout).toContain('kept 1 lease(s) in ERROR that ended before 2030-01-04 00:00:00 UTC');
    expect(await leaseStatus(ids.later)).toBeUndefined();
    expect(await leaseStatus(ids['end-fails'])).toBeUndefined();
    expect(await leaseStatus(ids.active)).toBe('ACTIVE');
    expect(await leaseStatus(ids.pending)).toBe('PENDING');
    expect(await leaseStatus(ids.broken)).toBe('ERROR');
    expect(await leaseStatus(ids['repair-me'])).toBe('ACTIVE');
    // The inventory is untouched: hosts, floating IPs and pools stay registered.
    expect(await svc.services.repos.hosts.list()).toHaveLength(4);
  });
});
