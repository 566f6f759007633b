/**
 * SIGTERM while the database is unreachable (issue 12, item 7): the compiled processes stop without an unhandled
 * rejection or a stack trace, say what they could not finish, and exit 0 when nothing was left undone, 1 otherwise.
 * The database is a MariaDB schema reached through a TCP proxy that the test cuts (the shared server stays up).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { ensureBuilt, freePort, runToEnd, start, type Running } from '../support/processes';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';

const MINUTE = 60_000;
jest.setTimeout(5 * MINUTE);

/** What must never be printed by a process that stops: Node's report of an unhandled rejection, a stack frame. */
const CRASH = /Unhandled|UnhandledPromiseRejection|\n\s+at .+\(.+:\d+:\d+\)/;

let dir: string;
let database: TestDatabase;
let proxy: TcpProxy;
let proc: Running | undefined;

/** A configuration for the database behind the proxy. */
function writeConf(name: string, port: number): string {
  const url = new URL(database.url);
  url.port = String(proxy.port);
  const file = path.join(dir, `${name}.conf`);
  writeFileSync(file, `[DEFAULT]\nport = ${port}\n\n[database]\nconnection = ${url.href}\n\n`
    + '[manager]\npoll_interval = 0.2\nevent_retry_delay = 60\n\n[notifications]\ndriver = noop\n');
  return file;
}

beforeAll(async () => { await ensureBuilt(); }, 180_000);

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'climate-stop-'));
  database = await createTestDatabase('mariadb');
  proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(database.url).port || 3306) });
});

afterEach(async () => {
  if (proc && proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
  proc = undefined;
  await proxy.close();
  await database.drop();
  rmSync(dir, { recursive: true, force: true });
});

async function migrated(conf: string): Promise<void> {
  const synced = await runToEnd('climate-manage', ['--config-file', conf, 'db', 'sync']);
  expect(synced).toMatchObject({ code: 0 });
}

it('climate-manager with the database gone and no event claimed stops cleanly with exit 0', async () => {
  const conf = writeConf('manager', await freePort());
  await migrated(conf);
  proc = start('climate-manager', ['--config-file', conf]);
  await proc.waitFor('manager running as');
  proxy.refuse();
  // The loops notice (or not) — either way SIGTERM must stop it without touching the database.
  proc.child.kill('SIGTERM');
  expect(await proc.exited(2 * MINUTE)).toBe(0);
  expect(proc.output()).toContain('SIGTERM received: stopping');
  expect(proc.output()).toMatch(/INFO .*stopped$/m);
  expect(proc.output()).not.toMatch(CRASH);
});

/** An all-in-one that has claimed a lease's start event when the database goes away (`how`) right after the claim. */
async function claimThenCut(how: 'refuse' | 'freeze'): Promise<{ port: number }> {
  const port = await freePort();
  const conf = writeConf('all-in-one', port);
  await migrated(conf);
  proc = start('climate', ['--config-file', conf]);
  await proc.waitFor('manager running as');
  const api = `http://127.0.0.1:${port}/v1`;
  const host = await fetch(`${api}/os-hosts`, { method: 'POST', body: JSON.stringify({ name: 'h1' }), headers: { 'content-type': 'application/json' } });
  expect(host.status).toBe(201);
  const cut = proxy.cutAfter("UPDATE events SET status = 'IN_PROGRESS'", how);
  const lease = await fetch(`${api}/leases`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'soon', start_date: 'now', end_date: '2040-01-01 00:00',
      reservations: [{ resource_type: 'physical:host', min: 1, max: 1, hypervisor_properties: '', resource_properties: '' }] }),
  });
  expect(lease.status).toBe(201);
  // The manager claims the start event at once (start_date "now"); the database goes right after the claim's COMMIT.
  await cut;
  return { port };
}

it('the all-in-one holding an event claim when the database is refused says it could not release it, exit 1', async () => {
  await claimThenCut('refuse');
  // The event's run fails on the missing database; the claim stays in the database (and in the manager's count).
  await proc!.waitFor('event loop error');
  proc!.child.kill('SIGTERM');
  expect(await proc!.exited(2 * MINUTE)).toBe(1);
  const output = proc!.output();
  expect(output).toMatch(/ERROR .*could not release 1 event claim\(s\): database unavailable \(.*ECONNREFUSED/);
  expect(output).toContain('another manager runs them once their claims expire');
  expect(output).toMatch(/stopped; 1 thing\(s\) left unfinished/);
  expect(output).not.toMatch(CRASH);
});

it('the all-in-one holding an event claim when the database stops answering stops within the grace periods, exit 1', async () => {
  await claimThenCut('freeze');
  proc!.child.kill('SIGTERM');
  // Running events get 30 s, the release 10 s, closing the connections 5 s: well under systemd's TimeoutStopSec=90.
  expect(await proc!.exited(3 * MINUTE)).toBe(1);
  const output = proc!.output();
  expect(output).toMatch(/ERROR .*could not release 1 event claim\(s\): database unavailable \(no answer within 10 s\)/);
  expect(output).toMatch(/stopped; \d thing\(s\) left unfinished/);
  expect(output).not.toMatch(CRASH);
});
