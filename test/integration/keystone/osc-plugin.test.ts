/**
 * Climate's OpenStackClient plugin (src/osc_plugin) with Keystone credentials: the real `openstack reservation
 * usage show` / `capacity show` log in to a real Keystone with a password, find Climate in the catalog (type
 * "reservation", URL ending in /v1) as python-blazarclient does, and send the token they got; Climate scopes and
 * authorises the answer by it. A member sees their own project's usage only, and free slots as counts without
 * host names; the admin sees the host capacity.
 */
import request from 'supertest';
import { startKeystone, KEYSTONE_INSTALL_TIMEOUT_MS, KEYSTONE_START_TIMEOUT_MS, type TestKeystone } from '../../support/keystone';
import { keystoneMode, KeystoneAdmin, login } from '../../support/keystone-admin';
import { startTestService, type TestService } from '../../support/service';
import { ensureOscPlugin, INSTALL_TIMEOUT_MS, keystoneCliOptions, OPENSTACK, run, type RunResult } from '../../compat/cli-support';

const PASSWORD = 'pw-for-osc-plugin';
const RANGE = ['--start', '2031-03-01 00:00', '--end', '2031-03-02 00:00'];
type Json = Record<string, unknown>;

jest.setTimeout(3 * 60_000);

let keystone: TestKeystone;
let svc: TestService;
let ids: Record<string, string>;

/** `openstack reservation <args> -f json` as a Keystone user (password login, catalog look-up by the CLI). */
async function cliJson(user: string, password: string, project: string, args: string[]): Promise<Json[]> {
  const result = await cliAs(user, password, project, [...args, '-f', 'json']);
  if (result.code !== 0) throw new Error(`openstack reservation ${args.join(' ')} exited with ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  return JSON.parse(result.stdout) as Json[];
}

/** `openstack reservation <args>` as a Keystone user, whatever its exit code. */
function cliAs(user: string, password: string, project: string, args: string[]): Promise<RunResult> {
  return run(OPENSTACK, [...keystoneCliOptions(keystone, user, password, project), 'reservation', ...args], { timeout: 2 * 60_000 });
}

/** Creates a one-host lease of 2031-03-01 `from`:00 to `to`:00 with the user's token. */
async function leaseAs(user: string, project: string, name: string, from: number, to: number): Promise<void> {
  const token = (await login(keystone.url, user, PASSWORD, { project })).token;
  const hour = (h: number) => `2031-03-01 ${String(h).padStart(2, '0')}:00`;
  const res = await request(svc.app).post('/v1/leases').set('X-Auth-Token', token).send({
    name, start_date: hour(from), end_date: hour(to), events: [],
    reservations: [{ resource_type: 'physical:host', min: 1, max: 1, hypervisor_properties: '', resource_properties: '' }],
  });
  if (res.status !== 201) throw new Error(`lease ${name}: ${res.status} ${JSON.stringify(res.body)}`);
}

beforeAll(async () => {
  await ensureOscPlugin();
  keystone = await startKeystone({ provider: 'jws' });
  const admin = await KeystoneAdmin.connect(keystone.url, keystone.adminPassword);
  ids = await admin.createWorld(PASSWORD, [['alice', 'alpha', 'member'], ['bob', 'beta', 'member']]);
  svc = await startTestService({ listen: true, config: keystoneMode(keystone, PASSWORD) });
  await admin.registerService('reservation', 'climate', `${svc.url}/v1`, keystone.region);
  const adminToken = (await login(keystone.url, 'admin', keystone.adminPassword, { project: 'admin' })).token;
  for (const name of ['k1', 'k2']) {
    const res = await request(svc.app).post('/v1/os-hosts').set('X-Auth-Token', adminToken).send({ name });
    if (res.status !== 201) throw new Error(`host ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  await leaseAs('alice', 'alpha', 'alpha-lease', 1, 4);
  await leaseAs('bob', 'beta', 'beta-lease', 2, 3);
}, INSTALL_TIMEOUT_MS + KEYSTONE_INSTALL_TIMEOUT_MS + KEYSTONE_START_TIMEOUT_MS);

afterAll(async () => {
  await svc?.close();
  await keystone?.stop();
});

it('a member\'s usage show lists their own project only, even when naming another', async () => {
  expect(await cliJson('alice', PASSWORD, 'alpha', ['usage', 'show', ...RANGE, '--project', ids.beta])).toEqual([
    { project_id: ids.alpha, resource_type: 'physical:host', host_hours: 3, instance_slot_hours: 0, leases: 1 },
  ]);
});

it('the admin\'s capacity show counts both leases\' hosts', async () => {
  const steps = await cliJson('admin', keystone.adminPassword, 'admin', ['capacity', 'show', ...RANGE, '--step', '1h']);
  expect(steps.slice(0, 5).map((step) => [step.start_date, step.total, step.allocated, step.free])).toEqual([
    ['2031-03-01T00:00:00.000000', 2, 0, 2],
    ['2031-03-01T01:00:00.000000', 2, 1, 1],
    ['2031-03-01T02:00:00.000000', 2, 2, 0],
    ['2031-03-01T03:00:00.000000', 2, 1, 1],
    ['2031-03-01T04:00:00.000000', 2, 0, 2],
  ]);
  expect(steps).toHaveLength(24);
});

it('a member\'s slot find gets the windows as counts, without host names', async () => {
  const slots = await cliJson('alice', PASSWORD, 'alpha', ['slot', 'find', '--reservation', 'resource_type=physical:host,min=2,max=2',
    '--duration', '1h', '--not-before', '2031-03-01 00:00', '--not-after', '2031-03-01 06:00', '--limit', '3']);
  // Both hosts are free 00:00-01:00, then only from 04:00 (alpha 01:00-04:00, beta 02:00-03:00).
  expect(slots).toEqual([
    { start_date: '2031-03-01T00:00:00.000000', end_date: '2031-03-01T01:00:00.000000', reservations: [{ resource_type: 'physical:host', count: 2 }] },
    { start_date: '2031-03-01T04:00:00.000000', end_date: '2031-03-01T05:00:00.000000', reservations: [{ resource_type: 'physical:host', count: 2 }] },
    { start_date: '2031-03-01T05:00:00.000000', end_date: '2031-03-01T06:00:00.000000', reservations: [{ resource_type: 'physical:host', count: 2 }] },
  ]);
});

it('a member\'s quota show, without a project, shows their own project\'s; quota set is refused', async () => {
  const quota = await cliJson('alice', PASSWORD, 'alpha', ['quota', 'show']) as unknown as Json;
  expect(quota).toMatchObject({ project_id: ids.alpha, hosts: -1, leases: -1, project_limits: '' });
  const refused = await cliAs('alice', PASSWORD, 'alpha', ['quota', 'set', ids.alpha, '--hosts', '100']);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain('Climate answered 403');
});
