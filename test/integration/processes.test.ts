import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { freePort, waitForOutput } from '../support/processes';

const ROOT = path.resolve(__dirname, '../..');
const bin = (name: string) => path.join(ROOT, 'dist/src/cli', `${name}.js`);
const run = promisify(execFile);


function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('the processes operators run (compiled)', () => {
  let dir: string;
  let conf: string;
  let port: number;

  beforeAll(async () => {
    if (!existsSync(bin('climate'))) await run('npm', ['run', 'build'], { cwd: ROOT });
    dir = mkdtempSync(path.join(tmpdir(), 'climate-proc-'));
    port = await freePort();
    conf = path.join(dir, 'climate.conf');
    writeFileSync(conf, `[DEFAULT]\nport = ${port}\n\n[database]\nconnection = sqlite:///${path.join(dir, 'climate.sqlite')}\n`);
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('climate-manage migrates the database and reports its version', async () => {
    const first = await run(process.execPath, [bin('climate-manage'), '--config-file', conf, 'db', 'sync']);
    expect(first.stdout).toMatch(/^applied: 001-initial-schema/);
    const again = await run(process.execPath, [bin('climate-manage'), '--config-file', conf, 'db', 'sync']);
    expect(again.stdout).toBe('database is up to date\n');
    const version = await run(process.execPath, [bin('climate-manage'), '--config-file', conf, 'db', 'version']);
    expect(version.stdout.trim()).toMatch(/^\d{3}-[a-z-]+$/);
  });

  it('refuses a bad option naming section and option, with exit code 2', async () => {
    const bad = path.join(dir, 'bad.conf');
    writeFileSync(bad, '[DEFAULT]\nport = abc\n');
    const child = spawn(process.execPath, [bin('climate'), '--config-file', bad], { stdio: ['ignore', 'pipe', 'pipe'] });
    const output = waitForOutput(child, 'port');
    expect(await exitOf(child)).toBe(2);
    expect(await output).toMatch(/\[DEFAULT\] port: "abc" is not an integer/);
  });

  it('the all-in-one serves, then stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [bin('climate'), '--config-file', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    await waitForOutput(child, 'manager running as');
    const res = await fetch(`http://127.0.0.1:${port}/v1/leases`, { headers: { 'x-roles': 'admin' } });
    expect(res.status).toBe(200);
    const stopped = waitForOutput(child, 'SIGTERM received');
    child.kill('SIGTERM');
    await stopped;
    expect(await exitOf(child)).toBe(0);
  }, 60_000);

  it('climate-manager stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [bin('climate-manager'), '--config-file', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    await waitForOutput(child, 'manager running as');
    child.kill('SIGTERM');
    expect(await exitOf(child)).toBe(0);
  }, 60_000);
});
