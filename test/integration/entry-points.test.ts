/**
 * The command lines of the compiled entry points, as an operator types them (issue 12, items 3 and 4): --help,
 * --version, unknown arguments, --config-file (repeatable) and --config-dir, and a port that is already taken.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ENTRY_POINTS, ROOT, ensureBuilt, freePort, runToEnd, start } from '../support/processes';

const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

let dir: string;
/** The database the configuration names; a process that opens it creates the file. */
let dbFile: string;
/** A configuration that would start the service on a free port; CLIMATE_CONFIG_FILE names it. */
let conf: string;
let port: number;

beforeAll(async () => {
  await ensureBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'climate-args-'));
  dbFile = path.join(dir, 'climate.sqlite');
  port = await freePort();
  conf = path.join(dir, 'climate.conf');
  writeFileSync(conf, `[DEFAULT]\nport = ${port}\n\n[database]\nconnection = sqlite:///${dbFile}\n`);
}, 180_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(ENTRY_POINTS)('%s', (name) => {
  it('--help prints the usage and exits 0, opening no database and binding no port', async () => {
    const helped = await runToEnd(name, ['--help'], { CLIMATE_CONFIG_FILE: conf });
    expect(helped).toMatchObject({ code: 0, stderr: '' });
    expect(helped.stdout).toMatch(new RegExp(`^usage: ${name} \\[-h\\] \\[--version\\] \\[--config-file PATH\\] \\[--config-dir DIR\\]`));
    expect(helped.stdout).toContain('--config-dir DIR');
    expect(existsSync(dbFile)).toBe(false);
    // -h is the same, and wins over anything else on the line (argparse's convention).
    const short = await runToEnd(name, ['--bogus', '-h'], { CLIMATE_CONFIG_FILE: conf });
    expect(short).toMatchObject({ code: 0, stdout: helped.stdout });
    expect(existsSync(dbFile)).toBe(false);
  });

  it('--version prints the package version and exits 0', async () => {
    expect(await runToEnd(name, ['--version'], { CLIMATE_CONFIG_FILE: conf })).toEqual({ code: 0, stdout: `${name} ${VERSION}\n`, stderr: '' });
    expect(existsSync(dbFile)).toBe(false);
  });

  it('refuses an unknown option with the usage on stderr and exit code 2', async () => {
    const refused = await runToEnd(name, ['--bogus'], { CLIMATE_CONFIG_FILE: conf });
    expect(refused).toMatchObject({ code: 2, stdout: '' });
    expect(refused.stderr).toMatch(new RegExp(`^usage: ${name} `));
    expect(refused.stderr).toContain(`${name}: error: unrecognized argument: --bogus`);
    expect(existsSync(dbFile)).toBe(false);
  });

  it('refuses --config-file and --config-dir without a value (exit 2)', async () => {
    for (const option of ['--config-file', '--config-dir']) {
      const refused = await runToEnd(name, [option], { CLIMATE_CONFIG_FILE: conf });
      expect(refused).toMatchObject({ code: 2, stdout: '' });
      expect(refused.stderr).toMatch(new RegExp(`${option} needs a (path|directory)`));
    }
  });
});

it.each(['climate', 'climate-api', 'climate-manager', 'climate-provisioner'] as const)('%s refuses a stray word (exit 2)', async (name) => {
  const refused = await runToEnd(name, ['serve'], { CLIMATE_CONFIG_FILE: conf });
  expect(refused).toMatchObject({ code: 2, stdout: '' });
  expect(refused.stderr).toContain(`${name}: error: unexpected argument: serve`);
});

describe('--config-file and --config-dir', () => {
  let files: { first: string; second: string; confDir: string; sqlite: string; expectedPort: number };

  beforeAll(async () => {
    const sub = mkdtempSync(path.join(dir, 'layers-'));
    const expectedPort = await freePort();
    const sqlite = path.join(sub, 'layered.sqlite');
    const first = path.join(sub, 'first.conf');
    const second = path.join(sub, 'second.conf');
    const confDir = path.join(sub, 'climate.conf.d');
    mkdirSync(confDir);
    writeFileSync(first, `[DEFAULT]\nport = 1\n\n[database]\nconnection = sqlite:///${path.join(sub, 'not-this.sqlite')}\n`);
    writeFileSync(second, `[DEFAULT]\nport = 2\nlog_format = json\n`);
    // Read in name order after the files: 20- overrides 10-; what is not *.conf, or hidden, is not read.
    writeFileSync(path.join(confDir, '20-site.conf'), `[DEFAULT]\nport = ${expectedPort}\n`);
    writeFileSync(path.join(confDir, '10-base.conf'), `[DEFAULT]\nport = 3\n\n[database]\nconnection = sqlite:///${sqlite}\n`);
    writeFileSync(path.join(confDir, 'README'), 'not a configuration file\n');
    writeFileSync(path.join(confDir, 'old.conf.bak'), '[DEFAULT]\nport = not-a-port\n');
    writeFileSync(path.join(confDir, '.editor-swap.conf'), '[DEFAULT]\nport = not-a-port\n');
    files = { first, second, confDir, sqlite, expectedPort };
  });

  it('climate-api reads every --config-file in order, then the *.conf files of --config-dir in name order', async () => {
    const { first, second, confDir, sqlite, expectedPort } = files;
    const manage = await runToEnd('climate-manage', ['--config-dir', confDir, '--config-file', first, 'db', 'sync']);
    expect(manage).toMatchObject({ code: 0, stdout: expect.stringMatching(/^applied: /) });
    expect(existsSync(sqlite)).toBe(true);
    const api = start('climate-api', ['--config-file', first, `--config-file=${second}`, `--config-dir=${confDir}`]);
    try {
      await api.waitFor(`API listening on http://127.0.0.1:${expectedPort}/v1`);
      // log_format = json came from the second file, which the directory did not override.
      expect(api.output()).toMatch(/^\{.*"API listening on/m);
      const res = await fetch(`http://127.0.0.1:${expectedPort}/v1/leases`);
      expect(res.status).toBe(200);
    } finally {
      api.child.kill('SIGTERM');
      expect(await api.exited()).toBe(0);
    }
  }, 120_000);

  it('a missing --config-dir is a configuration error (exit 2) naming the directory', async () => {
    const missing = path.join(dir, 'no-such.d');
    for (const name of ['climate', 'climate-manage'] as const) {
      const failed = await runToEnd(name, ['--config-dir', missing, ...(name === 'climate-manage' ? ['db', 'version'] : [])]);
      expect(failed.code).toBe(2);
      expect(failed.stderr).toContain(`config directory not found: ${missing}`);
    }
  });
});

describe('a port that is already taken (item 3)', () => {
  let holder: Server;
  let busyPort: number;
  let busyConf: string;

  beforeAll(async () => {
    holder = createServer();
    busyPort = await new Promise<number>((resolve) => holder.listen(0, '127.0.0.1', () => resolve((holder.address() as { port: number }).port)));
    busyConf = path.join(dir, 'busy.conf');
    writeFileSync(busyConf, `[DEFAULT]\nport = ${busyPort}\n\n[database]\nconnection = sqlite:///${path.join(dir, 'busy.sqlite')}\n`);
    const synced = await runToEnd('climate-manage', ['--config-file', busyConf, 'db', 'sync']);
    expect(synced.code).toBe(0);
  });
  afterAll(async () => { await new Promise((resolve) => holder.close(resolve)); });

  it.each(['climate', 'climate-api'] as const)('%s says which address and port it cannot listen on, and exits 1', async (name) => {
    const proc = start(name, ['--config-file', busyConf]);
    const code = await proc.exited().finally(() => proc.child.kill('SIGKILL'));
    expect(code).toBe(1);
    expect(proc.output()).toContain(`cannot listen on 127.0.0.1:${busyPort}: address already in use`);
    expect(proc.output()).not.toContain('API listening');
    expect(proc.output()).not.toContain('manager running');
  });
});
