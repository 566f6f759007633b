/**
 * The real OpenStack CLI (python3-openstackclient + python3-blazarclient) against Climate in keystone mode:
 * the CLI logs in to a real Keystone with a password, finds Climate in the catalog (type "reservation", URL
 * ending in /v1) and sends the token it got. A member manages leases; the admin manages hosts; a member asking
 * for hosts is told the policy refuses.
 */
import request from 'supertest';
import { ensureOpenstackCli, keystoneCliOptions, OPENSTACK, run, type RunResult } from '../../compat/cli-support';
import { startKeystone, KEYSTONE_INSTALL_TIMEOUT_MS, KEYSTONE_START_TIMEOUT_MS, type TestKeystone } from '../../support/keystone';
import { keystoneMode, KeystoneAdmin, login, trustsOf } from '../../support/keystone-admin';
import { startTestService, type TestService } from '../../support/service';

const PASSWORD = 'pw-for-cli';
type Json = Record<string, unknown>;

jest.setTimeout(120_000);

let keystone: TestKeystone;
let svc: TestService;
let ids: Record<string, string>;

/** `openstack reservation ...` as a Keystone user (password login, catalog look-up by the CLI). */
function cli(user: string, password: string, project: string, args: string[]): Promise<RunResult> {
  return run(OPENSTACK, [...keystoneCliOptions(keystone, user, password, project), 'reservation', ...args], { timeout: 60_000 });
}

async function ok(result: RunResult, what: string): Promise<string> {
  if (result.code !== 0) throw new Error(`${what} exited with ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  return result.stdout;
}

/** The JSON document of `-f json` output (create commands print a line before it). */
function json<T = Json>(stdout: string): T {
  const start = stdout.search(/^[[{]/m);
  if (start < 0) throw new Error(`no JSON in: ${stdout}`);
  return JSON.parse(stdout.slice(start)) as T;
}

const alice = (args: string[]) => cli('alice', PASSWORD, 'alpha', args);
const adminCli = (args: string[]) => cli('admin', keystone.adminPassword, 'admin', args);

beforeAll(async () => {
  await ensureOpenstackCli();
  keystone = await startKeystone({ provider: 'jws' });
  const admin = await KeystoneAdmin.connect(keystone.url, keystone.adminPassword);
  ids = await admin.createWorld(PASSWORD, [['alice', 'alpha', 'member']]);
  svc = await startTestService({ listen: true, config: keystoneMode(keystone, PASSWORD) });
  await admin.registerService('reservation', 'climate', `${svc.url}/v1`, keystone.region);
}, KEYSTONE_INSTALL_TIMEOUT_MS * 2 + KEYSTONE_START_TIMEOUT_MS);

afterAll(async () => {
  await svc?.close();
  await keystone?.stop();
});

describe('openstack reservation CLI with Keystone credentials', () => {
  let hostId = '';
  let leaseId = '';

  it('the admin registers and lists hosts', async () => {
    const created = json(await ok(await adminCli(['host', 'create', '--extra', 'pool=cli', 'compute-cli', '-f', 'json']), 'host create'));
    expect(created).toMatchObject({ hypervisor_hostname: 'compute-cli', pool: 'cli' });
    hostId = String(created.id);
    const listed = json<Json[]>(await ok(await adminCli(['host', 'list', '-f', 'json']), 'host list'));
    expect(listed.map((h) => h.hypervisor_hostname)).toEqual(['compute-cli']);
  });

  it('a member asking for hosts is refused by policy', async () => {
    const result = await alice(['host', 'list']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("Policy doesn't allow climate:oshosts:get to be performed.");
  });

  it('a member creates a host lease (in their project; no trust: Climate handles hosts with its own token)', async () => {
    const day = 86_400_000;
    const start = Math.ceil(Date.now() / day) * day + 10 * day;
    const date = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
    const lease = json(await ok(await alice([
      'lease', 'create', '--start-date', date(start), '--end-date', date(start + day),
      '--reservation', 'resource_type=physical:host,min=1,max=1,hypervisor_properties=,resource_properties=["==", "$pool", "cli"]',
      'cli-lease', '-f', 'json',
    ]), 'lease create'));
    expect(lease).toMatchObject({ name: 'cli-lease', status: 'PENDING', project_id: ids.alpha, user_id: ids.alice });
    leaseId = String(lease.id);
    // (The CLI prints the API's null trust_id as an empty string.)
    expect(lease.trust_id).toBe('');
    const token = (await login(keystone.url, 'alice', PASSWORD, { project: 'alpha' })).token;
    expect(await trustsOf(keystone.url, token, ids.alice)).toEqual([]);
    const allocations = await request(svc.app).get('/v1/os-hosts/allocations').query({ lease_id: leaseId })
      .set('X-Auth-Token', (await login(keystone.url, 'admin', keystone.adminPassword, { project: 'admin' })).token);
    expect(allocations.body.allocations.filter((a: { reservations: unknown[] }) => a.reservations.length))
      .toEqual([expect.objectContaining({ resource_id: hostId })]);
  });

  it('a member lists and shows their leases', async () => {
    const listed = json<Json[]>(await ok(await alice(['lease', 'list', '-f', 'json']), 'lease list'));
    expect(listed.map((l) => [l.id, l.name])).toEqual([[leaseId, 'cli-lease']]);
    const shown = json(await ok(await alice(['lease', 'show', 'cli-lease', '-f', 'json']), 'lease show'));
    expect(shown).toMatchObject({ id: leaseId, project_id: ids.alpha, trust_id: '' });
  });

  it('the admin lists the member\'s lease too', async () => {
    const listed = json<Json[]>(await ok(await adminCli(['lease', 'list', '-f', 'json']), 'lease list (admin)'));
    expect(listed.map((l) => l.id)).toEqual([leaseId]);
  });

  it('a member deletes their lease', async () => {
    expect(await ok(await alice(['lease', 'delete', 'cli-lease']), 'lease delete')).toContain('Deleted lease: cli-lease');
    expect(json<Json[]>(await ok(await alice(['lease', 'list', '-f', 'json']), 'lease list'))).toEqual([]);
    const token = (await login(keystone.url, 'alice', PASSWORD, { project: 'alpha' })).token;
    expect(await trustsOf(keystone.url, token, ids.alice)).toEqual([]);
  });
});
