/**
 * The compiled all-in-one (API and manager) with its MariaDB database dropped under it: requests are answered
 * 503 saying the database is unavailable, and the log says so once, not once a second per loop and request.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { createConnection } from 'mysql2/promise';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { freePort } from '../support/processes';

const ROOT = path.resolve(__dirname, '../..');
const CLIMATE = path.join(ROOT, 'dist/src/cli/climate.js');
const run = promisify(execFile);

/** Polls `condition` every 200 ms until it holds, failing after `ms`. */
async function until(condition: () => boolean, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('the all-in-one with its database dropped', () => {
  let dir: string;
  let database: TestDatabase;
  let child: ChildProcess | undefined;
  let output = '';

  beforeAll(async () => {
    if (!existsSync(CLIMATE)) await run('npm', ['run', 'build'], { cwd: ROOT });
    dir = mkdtempSync(path.join(tmpdir(), 'climate-dbdown-'));
    database = await createTestDatabase('mariadb');
  }, 180_000);
  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 "Database unavailable" and logs each failure once, not every second', async () => {
    const port = await freePort();
    const conf = path.join(dir, 'climate.conf');
    writeFileSync(conf, `[DEFAULT]\nport = ${port}\n\n[database]\nconnection = ${database.url}\n\n[notifications]\ndriver = log\n`);
    child = spawn(process.execPath, [CLIMATE, '--config-file', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    await until(() => output.includes('manager running as'), 'the service to start');
    const api = `http://127.0.0.1:${port}`;
    expect((await fetch(`${api}/v1/os-hosts`, { method: 'POST', body: JSON.stringify({ name: 'h1' }) })).status).toBe(201);

    const admin = await createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
    await admin.query(`DROP DATABASE ${new URL(database.url).pathname.slice(1)}`);
    await admin.end();
    const droppedAt = Date.now();

    // Requests keep coming, the manager's loops keep polling, for a few seconds.
    while (Date.now() - droppedAt < 5000) {
      const res = await fetch(`${api}/v1/leases`);
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error_message: string }).error_message).toBe('Database unavailable: the request could not be completed; try again later');
      expect((await fetch(`${api}/healthcheck`)).status).toBe(503);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await until(() => /ERROR .*event loop error/.test(output) && /ERROR .*periodic job notification-dispatch failed/.test(output),
      'the manager loops to report the failure');

    const errors = output.split('\n').filter((line) => / ERROR /.test(line)).map((line) => line.replace(/^\S+ \S+ /, ''));
    const seen = new Map<string, number>();
    for (const line of errors) seen.set(line, (seen.get(line) ?? 0) + 1);
    const repeated = [...seen].filter(([, n]) => n > 1);
    expect(repeated).toEqual([]);
    // The manager's lines name the driver's error, not only "unavailable".
    expect(errors.find((l) => /event loop error/.test(l))).toMatch(/DatabaseUnavailable: .*(doesn't exist|Unknown database)/);
    expect(errors.filter((l) => /event loop error/.test(l)).length).toBeLessThanOrEqual(2);
    expect(errors.filter((l) => /database_unavailable: answering 503/.test(l)).length).toBeGreaterThanOrEqual(1);
    expect(errors.filter((l) => /database_unavailable: answering 503/.test(l)).length).toBeLessThanOrEqual(2);
  }, 180_000);
});
