/**
 * Static checks of the DevStack plugin: shellcheck (installed by tools/ensure-shellcheck.sh when
 * missing), every CLIMATE_* variable the plugin uses is a setting, and every setting is documented.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PLUGIN_DIR, REPO } from './harness';

const PLUGIN = path.join(PLUGIN_DIR, 'plugin.sh');
const SETTINGS = path.join(PLUGIN_DIR, 'settings');
const README = path.join(PLUGIN_DIR, 'README.md');

function shellcheck(...args: string[]): { status: number; output: string } {
  const result = spawnSync('shellcheck', ['--format=gcc', ...args], { cwd: REPO, encoding: 'utf8' });
  if (result.error) throw result.error;
  return { status: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

/** The settings devstack/settings defines, in order. */
function settings(): string[] {
  return [...fs.readFileSync(SETTINGS, 'utf8').matchAll(/^(CLIMATE_[A-Z0-9_]+)=/gm)].map((m) => m[1]);
}

describe('shellcheck', () => {
  beforeAll(() => {
    execFileSync('bash', [path.join(REPO, 'tools', 'ensure-shellcheck.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
  }, 300_000);

  test('plugin.sh and settings, sourced by DevStack, are clean as bash', () => {
    const result = shellcheck('--shell=bash', '--severity=style', 'devstack/plugin.sh', 'devstack/settings');
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  test('both declare their dialect for editors and shellcheck (they have no shebang)', () => {
    for (const file of [PLUGIN, SETTINGS]) {
      expect(fs.readFileSync(file, 'utf8').split('\n')[0]).toBe('# shellcheck shell=bash');
    }
  });

  test('the test fakes and the tools/ensure-*.sh scripts are clean', () => {
    const ensure = fs.readdirSync(path.join(REPO, 'tools')).filter((f) => /^ensure-.*\.sh$/.test(f)).map((f) => `tools/${f}`);
    expect(ensure.length).toBeGreaterThanOrEqual(6);
    const result = shellcheck('--severity=style', '--external-sources', 'test/devstack/fake-devstack.sh', 'test/devstack/fake-command.sh',
      'tools/lib/apt-install.sh', 'tools/stop-openstack.sh', 'tools/cloud.sh', 'tools/openstack/compute.sh', ...ensure);
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('settings', () => {
  test('every CLIMATE_* variable plugin.sh uses is a setting', () => {
    const used = new Set([...fs.readFileSync(PLUGIN, 'utf8').matchAll(/\$\{?(CLIMATE_[A-Z0-9_]+)/g)].map((m) => m[1]));
    const defined = new Set(settings());
    expect([...used].filter((name) => !defined.has(name))).toEqual([]);
  });

  test('every setting keeps a value from local.conf (VAR=${VAR:-default})', () => {
    const text = fs.readFileSync(SETTINGS, 'utf8');
    for (const name of settings()) {
      expect(text).toMatch(new RegExp(`^${name}=\\$\\{${name}:-`, 'm'));
    }
  });

  test('the README documents every setting and shows enable_plugin in a complete local.conf', () => {
    const readme = fs.readFileSync(README, 'utf8');
    const documented = new Set([...readme.matchAll(/^\| `(CLIMATE_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]));
    expect(settings().filter((name) => !documented.has(name))).toEqual([]);
    expect([...documented].filter((name) => !settings().includes(name))).toEqual([]);
    expect(readme).toMatch(/\[\[local\|localrc\]\][\s\S]*enable_plugin climate \S+ \S+/);
    expect(readme).toContain('CLIMATE_SERVICE_PORT');
  });
});
