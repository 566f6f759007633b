import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { RequestContext } from '../../src/auth';
import { buildServices } from '../../src/cli/services';
import { silentLogger } from '../../src/common';
import { loadConfig } from '../../src/config';
import { parseExposition, sampleValue, type ParsedFamily } from '../support/prometheus';

jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, '../..');
const bin = (name: string) => path.join(ROOT, 'dist/src/cli', `${name}.js`);
const run = promisify(execFile);
const ADMIN: RequestContext = { userId: 'u1', projectId: 'p1', roles: ['admin'], isAdmin: true, requestId: 'req-test' };

function listenOnFreePort(): Promise<Server> {
  return new Promise((resolve) => { const server = createServer().listen(0, '127.0.0.1', () => resolve(server)); });
}

async function freePort(): Promise<number> {
  const server = await listenOnFreePort();
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Everything the process printed so far, and a way to wait for a text in it. */
function output(child: ChildProcess) {
  let seen = '';
  const waiters: (() => void)[] = [];
  const onData = (chunk: Buffer) => { seen += chunk.toString(); for (const w of waiters) w(); };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  return {
    text: () => seen,
    waitFor: (text: string, ms = 60_000) => new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "${text}" within ${ms} ms; output:\n${seen}`)), ms);
      const check = () => { if (seen.includes(text)) { clearTimeout(timer); resolve(seen); } };
      waiters.push(check);
      check();
    }),
  };
}

/** The exit code, once the output is all read ('close' comes after the last 'data'). */
const exitOf = (child: ChildProcess) => new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));

/** Scrapes until `ready` holds (the manager runs events on its own time), or fails after a generous limit. */
async function scrapeUntil(url: string, ready: (m: Map<string, ParsedFamily>) => boolean, ms = 60_000): Promise<Map<string, ParsedFamily>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const last = await res.text();
    const m = parseExposition(last);
    if (ready(m)) return m;
    if (Date.now() > deadline) throw new Error(`metrics never got ready; last scrape:\n${last}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('climate-manager serves its own metrics on [manager] metrics_port (compiled)', () => {
  let dir: string;
  let conf: string;
  let metricsPort: number;

  beforeAll(async () => {
    if (!existsSync(bin('climate-manager'))) await run('npm', ['run', 'build'], { cwd: ROOT });
    dir = mkdtempSync(path.join(tmpdir(), 'climate-manager-metrics-'));
    metricsPort = await freePort();
    conf = path.join(dir, 'climate.conf');
    writeFileSync(conf, [
      '[database]', `connection = sqlite:///${path.join(dir, 'climate.sqlite')}`, '',
      '[manager]', `metrics_port = ${metricsPort}`, 'minutes_before_end_lease = 0', '',
      '[notifications]', 'driver = noop', '',
    ].join('\n'));
    await run(process.execPath, [bin('climate-manage'), '--config-file', conf, 'db', 'sync']);
    // Two hosts, one of them held by a lease that starts now: the manager has a start_lease to run when it comes up.
    const services = await buildServices(loadConfig({ argv: ['--config-file', conf], env: {} }), { logger: silentLogger });
    try {
      await services.hosts.create({ name: 'compute-1' });
      await services.hosts.create({ name: 'compute-2' });
      const end = new Date(Date.now() + 3600_000).toISOString().slice(0, 16).replace('T', ' ');
      await services.leases.create(ADMIN, {
        name: 'running', start_date: 'now', end_date: end,
        reservations: [{ resource_type: 'physical:host', min: 1, max: 1, hypervisor_properties: '', resource_properties: '' }],
      });
    } finally {
      await services.close();
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('counts the events it runs, with their lateness, next to the capacity gauges and its process metrics', async () => {
    const child = spawn(process.execPath, [bin('climate-manager'), '--config-file', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = output(child);
    try {
      await out.waitFor('manager running as');
      expect(out.text()).toContain(`manager metrics served at http://127.0.0.1:${metricsPort}/metrics`);
      const url = `http://127.0.0.1:${metricsPort}/metrics`;
      const started = { event_type: 'start_lease', outcome: 'done' };
      const m = await scrapeUntil(url, (s) => sampleValue(s, 'climate_manager_event_runs_total', started) === 1);
      expect(m.get('climate_manager_event_runs_total')?.type).toBe('counter');
      expect(m.get('climate_manager_event_lateness_seconds')?.type).toBe('histogram');
      expect(sampleValue(m, 'climate_manager_event_lateness_seconds_count', { event_type: 'start_lease' })).toBe(1);
      expect(sampleValue(m, 'climate_manager_event_lateness_seconds_sum', { event_type: 'start_lease' })).toBeGreaterThanOrEqual(0);
      expect(sampleValue(m, 'climate_leases', { status: 'ACTIVE' })).toBe(1);
      expect(sampleValue(m, 'climate_hosts', { status: 'ok', reservable: 'true' })).toBe(2);
      expect(sampleValue(m, 'climate_hosts', { status: 'down', reservable: 'false' })).toBe(0);
      expect(sampleValue(m, 'climate_hosts_allocated', { resource_type: 'physical:host' })).toBe(1);
      expect(sampleValue(m, 'climate_events_due')).toBe(0);
      expect(sampleValue(m, 'climate_events_overdue')).toBe(0);
      expect(sampleValue(m, 'climate_database_up')).toBe(1);
      expect(sampleValue(m, 'process_resident_memory_bytes')).toBeGreaterThan(0);
      // The port serves /metrics only.
      expect((await fetch(`http://127.0.0.1:${metricsPort}/v1/leases`)).status).toBe(404);
      expect((await fetch(url, { method: 'POST' })).status).toBe(405);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exitOf(child)).toBe(0);
  });

  it('refuses to start when the metrics port is taken, naming option, address and port', async () => {
    const taken = await listenOnFreePort();
    const port = (taken.address() as { port: number }).port;
    try {
      const busy = path.join(dir, 'busy.conf');
      writeFileSync(busy, `[database]\nconnection = sqlite:///${path.join(dir, 'climate.sqlite')}\n\n[manager]\nmetrics_port = ${port}\n`);
      const child = spawn(process.execPath, [bin('climate-manager'), '--config-file', busy], { stdio: ['ignore', 'pipe', 'pipe'] });
      const out = output(child);
      expect(await exitOf(child)).toBe(1);
      expect(out.text()).toContain(`[manager] metrics_port: cannot listen on 127.0.0.1:${port}: the port is in use`);
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });
});
