/**
 * A manager learns of events other processes commit (issue 18): with climate-api and climate-manager as separate
 * compiled processes, as operators run them, a lease the API creates to start in a second runs its start event,
 * though the manager's timer was set to a later event, and so does a lease the API moves earlier. How late they
 * run is the benchmark's business (tools/bench/events.ts); this test asserts that they ran.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/database';
import { freePort, waitForOutput } from '../support/processes';

const ROOT = path.resolve(__dirname, '../..');
const bin = (name: string) => path.join(ROOT, 'dist/src/cli', `${name}.js`);
const run = promisify(execFile);
const HEADERS = { 'content-type': 'application/json', 'x-roles': 'admin', 'x-project-id': 'timers', 'x-user-id': 'timers' };
interface Lease { id: string; status: string; events: { event_type: string; status: string; time: string }[] }
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');


async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

describe.each(DIALECTS)('events committed by climate-api run on climate-manager (%s)', (dialect) => {
  let database: TestDatabase;
  let dir: string;
  let base: string;
  let api: ChildProcess | undefined;
  let manager: ChildProcess | undefined;

  async function call(method: string, url: string, body?: unknown): Promise<{ lease: Lease }> {
    const res = await fetch(`${base}${url}`, { method, headers: HEADERS, body: body === undefined ? undefined : JSON.stringify(body) });
    const json = await res.json() as { lease: Lease };
    if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  /** Polls the lease until it is active (generous: the machine may be loaded). */
  async function startedLease(id: string): Promise<Lease> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { lease } = await call('GET', `/v1/leases/${id}`);
      if (lease.status === 'ACTIVE' || Date.now() > deadline) return lease;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  beforeAll(async () => {
    if (!existsSync(bin('climate-manager'))) await run('npm', ['run', 'build'], { cwd: ROOT });
    database = await createTestDatabase(dialect);
    dir = mkdtempSync(path.join(tmpdir(), 'climate-timers-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const conf = path.join(dir, 'climate.conf');
    // [manager] poll_interval left at its default: that is what bounds how soon the manager sees the API's events.
    writeFileSync(conf, `[DEFAULT]\nport = ${port}\n\n[database]\nconnection = ${database.url}\n\n`
      + '[manager]\nminutes_before_end_lease = 0\n\n[notifications]\ndriver = noop\n');
    await run(process.execPath, [bin('climate-manage'), '--config-file', conf, 'db', 'sync']);
    manager = spawn(process.execPath, [bin('climate-manager'), '--config-file', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    api = spawn(process.execPath, [bin('climate-api'), '--config-file', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    await Promise.all([waitForOutput(manager, 'manager running as', 60_000), waitForOutput(api, 'API listening on', 60_000)]);
  }, 180_000);

  afterAll(async () => {
    await Promise.all([stop(api), stop(manager)]);
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs a lease created for one second from now, and one moved earlier, ahead of a later event', async () => {
    // The manager's next due time: an hour away.
    const later = await call('POST', '/v1/leases', {
      name: 'later', start_date: iso(Date.now() + 3_600_000), end_date: iso(Date.now() + 7_200_000), reservations: [],
    });
    const soon = await call('POST', '/v1/leases', {
      name: 'soon', start_date: iso(Date.now() + 1000), end_date: iso(Date.now() + 3_600_000), reservations: [],
    });
    const ranSoon = await startedLease(soon.lease.id);
    expect(ranSoon.status).toBe('ACTIVE');
    expect(ranSoon.events.find((e) => e.event_type === 'start_lease')?.status).toBe('DONE');

    // Moved from an hour away to a second away by the API: the manager's timer follows.
    await call('PUT', `/v1/leases/${later.lease.id}`, { start_date: iso(Date.now() + 1000) });
    const ranLater = await startedLease(later.lease.id);
    expect(ranLater.status).toBe('ACTIVE');
    const start = ranLater.events.find((e) => e.event_type === 'start_lease');
    expect(start?.status).toBe('DONE');
  }, 180_000);
});
