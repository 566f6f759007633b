/**
 * A real, throwaway Keystone (Debian's python3-keystone) for tests: a temporary directory with its own
 * configuration, SQLite database (WAL), Fernet, credential and JWS keys, bootstrapped with an admin, and
 * keystone-wsgi-public listening on a free port of 127.0.0.1. Start one per test file; stop() kills it and
 * removes the directory.
 *
 * tools/ensure-keystone.sh installs python3-keystone when it is missing.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

const KEYSTONE_MANAGE = '/usr/bin/keystone-manage';
const KEYSTONE_WSGI = '/usr/bin/keystone-wsgi-public';
const SYSTEM_PYTHON = '/usr/bin/python3';
/** tools/ensure-keystone.sh, from test/support or from its compiled copy under dist/ (the benchmark). */
const ENSURE = [path.resolve(__dirname, '../../tools/ensure-keystone.sh'), path.resolve(__dirname, '../../../tools/ensure-keystone.sh')]
  .find((file) => fs.existsSync(file)) ?? 'tools/ensure-keystone.sh';
/** apt-get update + install on a machine without Keystone. */
export const KEYSTONE_INSTALL_TIMEOUT_MS = 15 * 60_000;
/** How long set-up plus start-up may take (normally about 10 s). */
export const KEYSTONE_START_TIMEOUT_MS = 120_000;

export type TokenProvider = 'jws' | 'fernet';

export interface KeystoneOptions {
  provider: TokenProvider;
  /** Lifetime of the tokens it issues, in seconds (Keystone's default is an hour). */
  tokenExpiration?: number;
}

export interface KeystoneProcess {
  /** Keystone's v3 root, e.g. http://127.0.0.1:40123/v3. */
  url: string;
  stop(): Promise<void>;
}

export interface TestKeystone extends KeystoneProcess {
  provider: TokenProvider;
  /** The bootstrap admin (user "admin", project "admin", role "admin"). */
  adminPassword: string;
  /** Region of the bootstrap endpoint. */
  region: string;
  /** Directory of the public keys JWS tokens are signed with (jws provider). */
  jwsPublicKeyRepository: string;
  /**
   * Another keystone-wsgi-public on the same database and keys whose tokens expire after `seconds`: tokens it
   * issues are genuine tokens of this Keystone that soon expire.
   */
  startShortLived(seconds: number): Promise<KeystoneProcess>;
  /** Keystone's log so far (for failure messages). */
  log(): string;
}

/** The environment without anything pointing Python or the OpenStack clients elsewhere. */
export const cleanEnv: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !/^(OS_|PYTHON)/.test(key)),
);

function run(file: string, args: string[], options: { cwd?: string; timeout?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env: cleanEnv, cwd: options.cwd, timeout: options.timeout ?? 120_000, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${path.basename(file)} ${args.join(' ')} failed: ${error.message}\n${stderr.slice(-4000)}`));
        else resolve(stdout);
      });
  });
}

/** Installs python3-keystone if it is missing (tools/ensure-keystone.sh). */
export async function ensureKeystone(): Promise<void> {
  await run('bash', [ENSURE], { timeout: KEYSTONE_INSTALL_TIMEOUT_MS });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function configText(dir: string, provider: TokenProvider, expiration: number): string {
  return [
    '[DEFAULT]',
    'debug = false',
    '[database]',
    `connection = sqlite:///${path.join(dir, 'keystone.db')}`,
    '[token]',
    `provider = ${provider}`,
    `expiration = ${expiration}`,
    '[identity]',
    // The fewest bcrypt rounds: logins take milliseconds instead of a quarter of a second.
    'password_hash_rounds = 4',
    '[jwt_tokens]',
    `jws_public_key_repository = ${path.join(dir, 'jws', 'public')}`,
    `jws_private_key_repository = ${path.join(dir, 'jws', 'private')}`,
    '[fernet_tokens]',
    `key_repository = ${path.join(dir, 'fernet')}`,
    '[fernet_receipts]',
    `key_repository = ${path.join(dir, 'fernet')}`,
    '[credential]',
    `key_repository = ${path.join(dir, 'cred')}`,
    '',
  ].join('\n');
}

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

async function waitUntilServing(url: string, child: ChildProcess, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`keystone-wsgi-public exited with ${child.exitCode}:\n${readTail(logFile)}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`Keystone did not answer at ${url} within ${timeoutMs / 1000} s:\n${readTail(logFile)}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

function readTail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').slice(-4000);
  } catch {
    return '(no log)';
  }
}

async function serve(conf: string, port: number, logFile: string): Promise<KeystoneProcess> {
  const log = fs.openSync(logFile, 'a');
  const child = spawn(KEYSTONE_WSGI, ['--host', '127.0.0.1', '--port', String(port), '--', '--config-file', conf], {
    env: cleanEnv, stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  children.add(child);
  const url = `http://127.0.0.1:${port}/v3`;
  const stop = async () => {
    children.delete(child);
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 3000).unref();
    });
  };
  try {
    await waitUntilServing(url, child, logFile, 60_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop };
}

/** Sets up and starts a Keystone; see the file comment. */
export async function startKeystone(options: KeystoneOptions): Promise<TestKeystone> {
  await ensureKeystone();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `climate-keystone-${options.provider}-`));
  const adminPassword = 'admin-secret';
  const region = 'RegionOne';
  const conf = path.join(dir, 'keystone.conf');
  const logFile = path.join(dir, 'keystone.log');
  const processes: KeystoneProcess[] = [];
  const cleanup = async () => {
    for (const p of processes.splice(0)) await p.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const sub of ['fernet', 'cred', 'jws/private', 'jws/public']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
    fs.writeFileSync(conf, configText(dir, options.provider, options.tokenExpiration ?? 3600));
    const owner = ['--keystone-user', os.userInfo().username, '--keystone-group', (await run('id', ['-gn'])).trim()];
    const manage = (...args: string[]) => run(KEYSTONE_MANAGE, ['--config-file', conf, ...args], { cwd: dir });
    // Independent steps run side by side (each keystone-manage is a few seconds of Python start-up).
    await Promise.all([
      manage('db_sync').then(() => run(SYSTEM_PYTHON, ['-c',
        // Catalog writes fail with "database is locked" in SQLite's default journal mode; WAL avoids it.
        'import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute("PRAGMA journal_mode=WAL")', path.join(dir, 'keystone.db')])),
      manage('fernet_setup', ...owner),
      manage('credential_setup', ...owner),
      run(KEYSTONE_MANAGE, ['--config-file', conf, 'create_jws_keypair', ...owner], { cwd: path.join(dir, 'jws') }).then(() => {
        fs.renameSync(path.join(dir, 'jws', 'private.pem'), path.join(dir, 'jws', 'private', 'private.pem'));
        fs.renameSync(path.join(dir, 'jws', 'public.pem'), path.join(dir, 'jws', 'public', 'public.pem'));
      }),
    ]);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/v3`;
    await manage('bootstrap', '--bootstrap-password', adminPassword, '--bootstrap-public-url', url, '--bootstrap-region-id', region);
    const main = await serve(conf, port, logFile);
    processes.push(main);
    return {
      url, provider: options.provider, adminPassword, region,
      jwsPublicKeyRepository: path.join(dir, 'jws', 'public'),
      log: () => readTail(logFile),
      startShortLived: async (seconds: number) => {
        const shortConf = path.join(dir, `keystone-${seconds}s.conf`);
        fs.writeFileSync(shortConf, configText(dir, options.provider, seconds));
        const extra = await serve(shortConf, await freePort(), path.join(dir, `keystone-${seconds}s.log`));
        processes.push(extra);
        return extra;
      },
      stop: cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
