/**
 * README.md's "Walkthrough with the openstack CLI", run as written (issue 12, item 2): its shell blocks are read
 * from README.md, split into commands, and each command is run by bash (the block's `alias` lines first, with
 * `expand_aliases`) against a fresh compiled all-in-one, the block's endpoint 127.0.0.1:1234 replaced by the test
 * service's. Every command must exit 0, and after each one the service must hold what the walkthrough says: the
 * hosts it registers, the lease it creates, prolongs and deletes. If README drifts from what the real CLI (or
 * Climate) accepts, this fails.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ensureBuilt, freePort, ROOT, start, type Running } from '../support/processes';
import { ensureOpenstackCli, INSTALL_TIMEOUT_MS, run, type RunResult } from './cli-support';

const SECTION = '## Walkthrough with the openstack CLI';
/** The endpoint README's commands use (`npm start`'s). */
const README_ENDPOINT = '127.0.0.1:1234';
/** One CLI run is a Python start-up, about a second; generous for a loaded machine. */
const COMMAND_TIMEOUT_MS = 2 * 60_000;

jest.setTimeout(10 * 60_000);

type Json = Record<string, unknown>;

/** The ```sh blocks of README's walkthrough section, in order. */
function walkthroughBlocks(): string[] {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n${SECTION}\n`);
  if (start < 0) throw new Error(`README.md has no "${SECTION}" section`);
  const end = readme.indexOf('\n## ', start + SECTION.length + 2);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

/** Whether bash reads `text` as complete commands (no open quote, no dangling `\` or pipe). */
async function complete(text: string): Promise<boolean> {
  if (/\\\s*$/.test(text)) return false;
  return (await run('bash', ['-n', '-c', text], { timeout: 60_000 })).code === 0;
}

/** A block's commands, each with its continuation lines, without comments and blank lines; `alias` lines apart. */
async function commandsOf(block: string): Promise<{ aliases: string[]; commands: string[] }> {
  const aliases: string[] = [];
  const commands: string[] = [];
  let pending = '';
  for (const line of block.split('\n')) {
    if (!pending && (/^\s*(#|$)/.test(line))) continue;
    pending = pending ? `${pending}\n${line}` : line;
    if (!(await complete(pending))) continue;
    (/^alias\s/.test(pending) ? aliases : commands).push(pending);
    pending = '';
  }
  if (pending) throw new Error(`README walkthrough: unfinished command:\n${pending}`);
  return { aliases, commands };
}

let dir: string;
let service: Running;
let base = '';

/** Runs one README command as written (its aliases defined first), against the test service. */
async function runCommand(aliases: string[], command: string): Promise<RunResult> {
  const script = path.join(dir, 'step.sh');
  const retarget = (text: string) => text.split(README_ENDPOINT).join(base.replace(/^http:\/\//, ''));
  writeFileSync(script, ['shopt -s expand_aliases', ...aliases.map(retarget), retarget(command), ''].join('\n'));
  return run('bash', [script], { timeout: COMMAND_TIMEOUT_MS });
}

async function api(urlPath: string, headers: Record<string, string> = {}): Promise<Json> {
  const res = await fetch(`${base}${urlPath}`, { headers });
  if (res.status !== 200) throw new Error(`GET ${urlPath}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Json;
}

const hosts = async () => (await api('/v1/os-hosts')).hosts as Json[];
const leaseNamed = async (name: string, headers: Record<string, string> = {}) =>
  ((await api('/v1/leases', headers)).leases as Json[]).find((l) => l.name === name);
/** `2030-01-01 12:00` (as the CLI takes it) in Climate's wire format. */
const wireDate = (cliDate: string) => `${cliDate.replace(' ', 'T')}:00.000000`;
const DURATION_MS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };
const wireMs = (date: unknown) => Date.parse(`${String(date).slice(0, 19)}Z`);
/** The value of `--name VALUE` or `--name "VALUE"` in a command. */
const optionOf = (command: string, name: string) => command.match(new RegExp(`--${name}\\s+(?:"([^"]*)"|(\\S+))`))?.slice(1).find(Boolean);

beforeAll(async () => {
  await ensureOpenstackCli();
  await ensureBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'climate-readme-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const conf = path.join(dir, 'climate.conf');
  writeFileSync(conf, `[DEFAULT]\nport = ${port}\n\n[database]\nconnection = sqlite:///${path.join(dir, 'climate.sqlite')}\n\n`
    + '[manager]\npoll_interval = 0.2\n\n[notifications]\ndriver = noop\n');
  service = start('climate', ['--config-file', conf]);
  await service.waitFor('manager running as');
}, INSTALL_TIMEOUT_MS + 3 * 60_000);

afterAll(async () => {
  if (service) {
    service.child.kill('SIGTERM');
    await service.exited().catch(() => service.child.kill('SIGKILL'));
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('README has the walkthrough: the CLI block, then the curl block', () => {
  const blocks = walkthroughBlocks();
  expect(blocks).toHaveLength(2);
  expect(blocks[0]).toMatch(/^alias res='openstack --os-auth-type none --os-endpoint http:\/\/127\.0\.0\.1:1234\/v1 reservation'$/m);
  expect(blocks[1]).toMatch(/^curl /m);
});

it('every command of the CLI block works as written, and does what the walkthrough says', async () => {
  const { aliases, commands } = await commandsOf(walkthroughBlocks()[0]);
  expect(aliases).toHaveLength(1);
  const done: string[] = [];
  for (const command of commands) {
    const before = await hosts();
    // One line, without the trailing comment, to read the command's words.
    const words = command.replace(/\\\n\s*/g, ' ').replace(/\s+#[^'"]*$/, '').replace(/^res\s+/, '').trim();
    const leaseName = words.match(/^lease (?:create|show|set|delete)\b.*\s(\S+)$/)?.[1];
    const leaseBefore = leaseName ? await leaseNamed(leaseName) : undefined;
    const result = await runCommand(aliases, command);
    if (result.code !== 0) throw new Error(`README command failed (${result.code}):\n${command}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
    if (/^host create\b/.test(words)) {
      const name = words.split(/\s+/).at(-1)!;
      const host = (await hosts()).find((h) => h.hypervisor_hostname === name);
      expect(host).toBeDefined();
      for (const [, key, value] of words.matchAll(/--extra (\w+)=(\S+)/g)) expect(host![key]).toBe(value);
      expect(await hosts()).toHaveLength(before.length + 1);
      done.push('host create');
    } else if (/^host (list|property list)\b/.test(words)) {
      for (const h of before) if (/^host list/.test(words)) expect(result.stdout).toContain(String(h.hypervisor_hostname));
      done.push(words.replace(/ --.*/, ''));
    } else if (/^lease create\b/.test(words)) {
      expect(leaseBefore).toBeUndefined();
      const lease = await leaseNamed(leaseName!);
      expect(lease).toMatchObject({ status: 'PENDING' });
      const startDate = optionOf(words, 'start-date');
      const endDate = optionOf(words, 'end-date');
      if (startDate) expect(lease!.start_date).toBe(wireDate(startDate));
      if (endDate) expect(lease!.end_date).toBe(wireDate(endDate));
      const reservations = lease!.reservations as Json[];
      expect(reservations).toHaveLength([...words.matchAll(/--reservation\s/g)].length);
      // What it reserved: a host that matches its filter (gpu=True in the walkthrough) is allocated to it.
      // As Blazar, ?lease_id= lists every host, those the lease does not hold with no reservations.
      const allocated = ((await api(`/v1/os-hosts/allocations?lease_id=${String(lease!.id)}`)).allocations as Json[])
        .filter((a) => (a.reservations as Json[]).length > 0);
      expect(allocated).toHaveLength(Number(words.match(/\bmin=(\d+)/)?.[1] ?? 1));
      const gpu = words.match(/"\$gpu", "(\w+)"/)?.[1];
      if (gpu) for (const a of allocated) expect(before.find((h) => h.id === a.resource_id)).toMatchObject({ gpu });
      done.push('lease create');
    } else if (/^lease show\b/.test(words)) {
      expect(leaseBefore).toBeDefined();
      expect(result.stdout).toContain(String(leaseBefore!.id));
      done.push('lease show');
    } else if (/^lease set\b/.test(words)) {
      const prolong = words.match(/--prolong-for (\d+)([dhms])\b/);
      expect(prolong).not.toBeNull();
      const after = await leaseNamed(leaseName!);
      expect(wireMs(after!.end_date) - wireMs(leaseBefore!.end_date)).toBe(Number(prolong![1]) * DURATION_MS[prolong![2]]);
      expect(after!.start_date).toBe(leaseBefore!.start_date);
      // What the README's comment says it now ends on.
      const said = command.match(/# now ends on (\S+ \S+)/)?.[1];
      if (said) expect(after!.end_date).toBe(wireDate(said));
      done.push('lease set --prolong-for');
    } else if (/^lease delete\b/.test(words)) {
      expect(leaseBefore).toBeDefined();
      expect(await leaseNamed(leaseName!)).toBeUndefined();
      done.push('lease delete');
    } else {
      throw new Error(`the test does not know what to check after this README command; teach it:\n${command}`);
    }
  }
  // What the walkthrough shows, in this order.
  expect(done).toEqual(['host create', 'host create', 'host list', 'host property list', 'lease create', 'lease show',
    'lease set --prolong-for', 'lease delete']);
});

it('every command of the curl block works as written (after the CLI block, as a reader runs them)', async () => {
  const { aliases, commands } = await commandsOf(walkthroughBlocks()[1]);
  expect(commands.length).toBeGreaterThanOrEqual(4);
  let leaseId = '';
  for (const command of commands) {
    const result = await runCommand(aliases, command);
    if (result.code !== 0) throw new Error(`README command failed (${result.code}):\n${command}\nstderr: ${result.stderr}`);
    // curl -s exits 0 on an HTTP error too: the body tells. Blazar's error bodies carry error_code/error_message.
    const body = JSON.parse(result.stdout) as Json;
    expect(body).not.toHaveProperty('error_message');
    const project = command.match(/-H 'X-Project-Id: (\w+)'/)?.[1];
    const headers: Record<string, string> = project ? { 'X-Project-Id': project, 'X-Roles': 'member' } : {};
    if (/-X POST \S+\/v1\/os-hosts /.test(command)) {
      const host = body.host as Json;
      expect((await hosts()).find((h) => h.id === host.id)).toMatchObject({ hypervisor_hostname: host.hypervisor_hostname });
    } else if (/-X POST \S+\/v1\/leases /.test(command)) {
      const lease = body.lease as Json;
      leaseId = String(lease.id);
      expect(await leaseNamed(String(lease.name), headers)).toMatchObject({ id: leaseId, project_id: project });
    } else if (/\/v1\/leases\?/.test(command)) {
      expect((body.leases as Json[]).map((l) => l.id)).toContain(leaseId);
    } else if (/\/v1\/os-hosts\/allocations/.test(command)) {
      const leases = (body.allocations as { reservations: Json[] }[]).flatMap((a) => a.reservations.map((r) => r.lease_id));
      expect(leases).toContain(leaseId);
    } else {
      throw new Error(`the test does not know what to check after this README command; teach it:\n${command}`);
    }
  }
  expect(leaseId).not.toBe('');
});
