/**
 * The real OpenStack CLI (python3-openstackclient + python3-blazarclient) against Climate in keystone mode:
 * the CLI logs in to a real Keystone with a password, finds Climate in the catalog (type "reservation", URL
 * ending in /v1) and sends the token it got. A member manages leases; the admin manages hosts; a member asking
 * for hosts is told the policy refuses.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import request from 'supertest';
import { cleanEnv, startKeystone, KEYSTONE_INSTALL_TIMEOUT_MS, KEYSTONE_START_TIMEOUT_MS, type TestKeystone } from '../../support/keystone';
import { KeystoneAdmin, login, trustsOf } from '../../support/keystone-admin';
import { startTestService, type TestService } from '../../support/service';

const OPENSTACK = '/usr/bin/openstack';
const ENSURE_CLI = path.resolve(__dirname, '../../../tools/ensure-openstack-cli.sh');
const PASSWORD = 'pw-for-cli';
type Json = Record<string, unknown>;

jest.setTimeout(120_000);

interface Result {
  code: number | string | null;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], timeout = 60_000): Promise<Result> {
  return new Promise((resolve) => {
    execFile(file, args, { env: cleanEnv, timeout, killSignal: 'SIGKILL', maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number | string }).code ?? null) : 0, stdout, stderr });
    });
  });
}

let keystone: TestKeystone;
let svc: TestService;
const ids: Record<string, string> = {};

/** `openstack reservation ...` as a Keystone user (password login, catalog look-up by the CLI). */
function cli(user: string, password: string, project: string, args: string[]): Promise<Result> {
  return run(OPENSTACK, [
    '--os-auth-type', 'password', '--os-auth-url', keystone.url, '--os-identity-api-version', '3',
    '--os-username', user, '--os-password', password, '--os-project-name', project,
    '--os-user-domain-name', 'Default', '--os-project-domain-name', 'Default',
    '--os-region-name', keystone.region, '--os-interface', 'public',
    'reservation', ...args,
  ]);
}

async function ok(result: Result, what: string): Promise<string> {
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
  const ensured = await run('bash', [ENSURE_CLI], KEYSTONE_INSTALL_TIMEOUT_MS);
  if (ensured.code !== 0) throw new Error(`tools/ensure-openstack-cli.sh failed (${ensured.code}):\n${ensured.stderr}`);
  keystone = await startKeystone({ provider: 'jws' });
  try {
    const admin = await KeystoneAdmin.connect(keystone.url, keystone.adminPassword);
    ids.alpha = await admin.createProject('alpha');
    ids.service = await admin.createProject('service');
    ids.climate = await admin.createMember('climate', PASSWORD, ids.service, 'service');
    ids.alice = await admin.createMember('alice', PASSWORD, ids.alpha, 'member');
    svc = await startTestService({
      listen: true,
      config: {
        default: { authStrategy: 'keystone' },
        keystoneAuthtoken: {
          authUrl: keystone.url, username: 'climate', password: PASSWORD, projectName: 'service',
          jwsPublicKeyRepository: keystone.jwsPublicKeyRepository,
        },
      },
    });
    await admin.registerService('reservation', 'climate', `${svc.url}/v1`, keystone.region);
  } catch (error) {
    await svc?.close();
    await keystone.stop();
    throw error;
  }
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
