/**
 * Running real programs (the openstack CLI, bash, curl) from the compatibility tests: a clean environment, their
 * exit code whatever it is, and the Debian packages of the CLI installed when missing.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { cleanEnv } from '../support/keystone';

export const OPENSTACK = '/usr/bin/openstack';
/** Installs Debian's python3-openstackclient and python3-blazarclient when missing. */
export const ENSURE_CLI = path.resolve(__dirname, '../../tools/ensure-openstack-cli.sh');
/** apt-get update + install on a fresh machine. */
export const INSTALL_TIMEOUT_MS = 15 * 60_000;

export interface RunResult {
  code: number | string | null;
  stdout: string;
  stderr: string;
}

/**
 * The openstack CLI's options to log in to a Keystone as `user` in `project` (password, default domain) and
 * find services in its catalog (public interface of its region), before the command's own words.
 */
export function keystoneCliOptions(keystone: { url: string; region: string }, user: string, password: string, project: string): string[] {
  return [
    '--os-auth-type', 'password', '--os-auth-url', keystone.url, '--os-identity-api-version', '3',
    '--os-username', user, '--os-password', password, '--os-project-name', project,
    '--os-user-domain-name', 'Default', '--os-project-domain-name', 'Default',
    '--os-region-name', keystone.region, '--os-interface', 'public',
  ];
}

/** The environment without anything that could point the CLI at another cloud or another Python. */
export const cliEnv: NodeJS.ProcessEnv = cleanEnv;

/** Runs a program (no shell); resolves with its exit code whatever it is. */
export function run(file: string, args: string[], options: { timeout: number; signal?: AbortSignal }): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      file, args,
      { env: cliEnv, timeout: options.timeout, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024, signal: options.signal },
      (error, stdout, stderr) => {
        const code = error ? ((error as NodeJS.ErrnoException & { code?: number | string }).code ?? null) : 0;
        resolve({ code: error && (error as { killed?: boolean }).killed ? 'killed (timeout)' : code, stdout, stderr });
      },
    );
  });
}

/** Installs the CLI when missing; fails with the script's output otherwise. */
export async function ensureOpenstackCli(): Promise<void> {
  const ensured = await run('bash', [ENSURE_CLI], { timeout: INSTALL_TIMEOUT_MS });
  if (ensured.code !== 0) throw new Error(`tools/ensure-openstack-cli.sh failed (${ensured.code}):\n${ensured.stderr}${ensured.stdout}`);
}

/** Installs Climate's OpenStackClient plugin (src/osc_plugin) as it is in the checkout, the CLI with it. */
export const ENSURE_OSC_PLUGIN = path.resolve(__dirname, '../../tools/ensure-osc-plugin.sh');

/** Installs (or reinstalls, when the source changed) Climate's plugin; fails with the script's output otherwise. */
export async function ensureOscPlugin(): Promise<void> {
  const ensured = await run('bash', [ENSURE_OSC_PLUGIN], { timeout: INSTALL_TIMEOUT_MS });
  if (ensured.code !== 0) throw new Error(`tools/ensure-osc-plugin.sh failed (${ensured.code}):\n${ensured.stderr}${ensured.stdout}`);
}
