/**
 * The compiled entry points (dist/src/cli/*.js) as operators run them: spawned with node, their output collected,
 * their exit awaited. The build is made once if dist/ is missing (`npm test` builds first).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';

export const ROOT = path.resolve(__dirname, '../..');
export const ENTRY_POINTS = ['climate', 'climate-api', 'climate-manager', 'climate-manage', 'climate-provisioner'] as const;
export type EntryPoint = (typeof ENTRY_POINTS)[number];

/** Path of a compiled entry point. */
export const bin = (name: EntryPoint) => path.join(ROOT, 'dist/src/cli', `${name}.js`);

/** Builds dist/ unless it is there. */
export async function ensureBuilt(): Promise<void> {
  if (!existsSync(bin('climate'))) await promisify(execFile)('npm', ['run', 'build'], { cwd: ROOT });
}

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A running entry point, with what it has printed so far. */
export interface Running {
  child: ChildProcess;
  output(): string;
  /** Resolves when stdout or stderr has contained `text`; rejects after `ms` or when the process exits first. */
  waitFor(text: string | RegExp, ms?: number): Promise<void>;
  /** Exit code (or the signal's name); rejects when still running after `ms`. */
  exited(ms?: number): Promise<number | string>;
}

/** Environment without CLIMATE_CONFIG_FILE (a developer's own would change what the tests read). */
function cleanEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  if (!('CLIMATE_CONFIG_FILE' in extra)) delete env.CLIMATE_CONFIG_FILE;
  return env;
}

/** Starts `node dist/src/cli/<name>.js args...`. */
export function start(name: EntryPoint, args: string[], env: NodeJS.ProcessEnv = {}): Running {
  const child = spawn(process.execPath, [bin(name), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv(env) });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const exit = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  const output = () => `${stdout}${stderr}`;
  return {
    child, output,
    waitFor: (text, ms = 60_000) => new Promise((resolve, reject) => {
      const seen = () => (typeof text === 'string' ? output().includes(text) : text.test(output()));
      const poll = setInterval(() => {
        if (seen()) { clearInterval(poll); clearTimeout(timer); resolve(); }
      }, 50);
      const timer = setTimeout(() => { clearInterval(poll); reject(new Error(`no ${String(text)} within ${ms} ms; output:\n${output()}`)); }, ms);
      void exit.then((code) => setTimeout(() => {
        if (seen()) return;
        clearInterval(poll); clearTimeout(timer);
        reject(new Error(`${name} exited (${code}) before printing ${String(text)}; output:\n${output()}`));
      }, 100));
    }),
    exited: (ms = 60_000) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} still running after ${ms} ms; output:\n${output()}`)), ms);
      void exit.then((code) => { clearTimeout(timer); resolve(code); });
    }),
  };
}

/** Runs an entry point to its end: exit code, stdout and stderr apart. Kills it (and fails) if it runs past `ms`. */
export async function runToEnd(name: EntryPoint, args: string[], env: NodeJS.ProcessEnv = {}, ms = 60_000):
  Promise<{ code: number | string; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [bin(name), ...args], { env: cleanEnv(env), timeout: ms, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        if (error && (error as { killed?: boolean }).killed) {
          reject(new Error(`${name} ${args.join(' ')} still running after ${ms} ms (killed); output:\n${stdout}${stderr}`));
          return;
        }
        resolve({ code: child.exitCode ?? (error as { code?: number } | null)?.code ?? 0, stdout, stderr });
      });
  });
}

/** Waits until the process prints `text` (stdout or stderr), or fails after `ms` with what it printed; resolves to that output. */
export function waitForOutput(child: ChildProcess, text: string, ms = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`no "${text}" within ${ms} ms; output:\n${seen}`)), ms);
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(text)) { clearTimeout(timer); resolve(seen); }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
  });
}
