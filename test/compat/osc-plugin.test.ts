/**
 * Climate's OpenStackClient plugin (src/osc_plugin, installed by tools/ensure-osc-plugin.sh): the real
 * `openstack reservation capacity show`, `usage show` and `slot find` against Climate listening on 127.0.0.1
 * without Keystone (`--os-auth-type none --os-endpoint <url>/v1`, so the requests are the noauth admin's). What
 * the CLI prints with `-f json` is compared with the service's state: known figures of the leases set up here,
 * and the same request answered by the API directly. Each CLI run is a Python start-up, so there are few of them.
 */
import * as path from 'node:path';
import request from 'supertest';
import { startTestService, type TestService } from '../support/service';
import { ADMIN, createHost, createLease, hostReservation, leaseBody, member } from '../api/helpers';
import { ensureOscPlugin, INSTALL_TIMEOUT_MS, OPENSTACK, run, type RunResult } from './cli-support';

/** One CLI run normally takes a few seconds on a loaded machine. */
const CLI_TIMEOUT_MS = 2 * 60_000;
jest.setTimeout(5 * 60_000);

type Json = Record<string, unknown>;

const GPU = '["==", "$gpu", "true"]';
const DAY = { start: '2031-01-01 00:00', end: '2031-01-02 00:00' };

let svc: TestService;

/** `openstack reservation <args>` against the test service, whatever its exit code. */
function cliRun(args: string[]): Promise<RunResult> {
  return run(OPENSTACK, ['--os-auth-type', 'none', '--os-endpoint', `${svc.url}/v1`, 'reservation', ...args], { timeout: CLI_TIMEOUT_MS });
}

/** The `-f json` document of `openstack reservation <args>`; fails unless it exits with 0. */
async function cliJson<T = Json[]>(args: string[]): Promise<T> {
  const result = await cliRun([...args, '-f', 'json']);
  if (result.code !== 0) {
    throw new Error(`openstack reservation ${args.join(' ')} exited with ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  }
  return JSON.parse(result.stdout) as T;
}

/** The plugin's Python unit tests (--reservation parsing, slot rendering). */
const PYTHON_TESTS = path.resolve(__dirname, '../osc_plugin');

const byProject = (rows: Json[]) => [...rows].sort((a, b) => String(a.project_id).localeCompare(String(b.project_id)));

beforeAll(async () => {
  await ensureOscPlugin();
  svc = await startTestService({ listen: true });
  await createHost(svc.app, { name: 'gpu-1', vcpus: 8, memory_mb: 16384, local_gb: 100, gpu: 'true' });
  await createHost(svc.app, { name: 'gpu-2', vcpus: 8, memory_mb: 16384, local_gb: 100, gpu: 'true' });
  await createHost(svc.app, { name: 'cpu-1', vcpus: 8, memory_mb: 16384, local_gb: 100, gpu: 'false' });
  // alpha: one GPU host 02:00-05:00 (3 host-hours); beta: both GPU hosts 08:00-10:00 (4 host-hours).
  await createLease(svc.app, leaseBody('alpha-gpu', {
    start_date: '2031-01-01 02:00', end_date: '2031-01-01 05:00', reservations: [hostReservation({ resource_properties: GPU })],
  }), member('alpha'));
  await createLease(svc.app, leaseBody('beta-gpu', {
    start_date: '2031-01-01 08:00', end_date: '2031-01-01 10:00',
    reservations: [hostReservation({ min: 2, max: 2, resource_properties: GPU })],
  }), member('beta'));
}, INSTALL_TIMEOUT_MS + 60_000);

afterAll(async () => {
  await svc?.close();
});

describe('the plugin\'s own logic', () => {
  it('passes its Python unit tests (test/osc_plugin)', async () => {
    const result = await run('/usr/bin/python3', ['-B', '-m', 'unittest', 'discover', '-s', PYTHON_TESTS, '-v'], { timeout: CLI_TIMEOUT_MS });
    if (result.code !== 0) throw new Error(`python3 -m unittest exited ${result.code}:\n${result.stderr}${result.stdout}`);
    expect(result.stderr).toMatch(/^Ran [1-9]\d* tests/m);
    expect(result.stderr).toMatch(/^OK\s*$/m);
  });
});

describe('openstack reservation capacity show', () => {
  it('lists the host counts of every step, as the API answers them', async () => {
    const shown = await cliJson(['capacity', 'show', '--start', '2031-01-01 00:00', '--end', '2031-01-01 12:00',
      '--step', '4h', '--resource-properties', GPU]);
    const api = await request(svc.app).get('/v1/os-hosts/capacity').set(ADMIN)
      .query({ start: '2031-01-01 00:00', end: '2031-01-01 12:00', step: '4h', resource_properties: GPU });
    expect(api.status).toBe(200);
    expect(shown).toEqual(api.body.capacity.steps);
    // Known figures: two GPU hosts; alpha holds one from 02:00 to 05:00, beta both from 08:00 to 10:00.
    expect(shown.map((step) => [step.start_date, step.total, step.allocated, step.free])).toEqual([
      ['2031-01-01T00:00:00.000000', 2, 1, 1],
      ['2031-01-01T04:00:00.000000', 2, 1, 1],
      ['2031-01-01T08:00:00.000000', 2, 2, 0],
    ]);
  });

  it('exits 1 with Climate\'s message when the range is wrong', async () => {
    const query = { start: '2031-01-02 00:00', end: '2031-01-01 00:00' };
    const api = await request(svc.app).get('/v1/os-hosts/capacity').set(ADMIN).query(query);
    expect(api.status).toBe(400);
    const refused = await cliRun(['capacity', 'show', '--start', query.start, '--end', query.end]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`Climate answered 400: ${api.body.error_message}`);
  });
});

describe('openstack reservation usage show', () => {
  it('lists every project\'s hours, as the API answers them', async () => {
    const shown = await cliJson(['usage', 'show', '--start', DAY.start, '--end', DAY.end]);
    const api = await request(svc.app).get('/v1/usage').set(ADMIN).query(DAY);
    expect(api.status).toBe(200);
    expect(byProject(shown)).toEqual(byProject(api.body.usage));
    expect(byProject(shown)).toEqual([
      { project_id: 'alpha', resource_type: 'physical:host', host_hours: 3, instance_slot_hours: 0, leases: 1 },
      { project_id: 'beta', resource_type: 'physical:host', host_hours: 4, instance_slot_hours: 0, leases: 1 },
    ]);
  });

  it('--project narrows it to one project', async () => {
    const result = await cliRun(['usage', 'show', '--start', DAY.start, '--end', DAY.end, '--project', 'beta', '-f', 'value']);
    expect([result.code, result.stderr]).toEqual([0, '']);
    expect(result.stdout.trim().split('\n')).toEqual(['beta physical:host 4 0 1']);
  });
});

describe('openstack reservation slot find', () => {
  it('lists the earliest windows where the reservations fit, as the API answers them', async () => {
    const body = {
      reservations: [{ resource_type: 'physical:host', min: 2, max: 2, resource_properties: GPU }],
      duration: '2h', not_before: '2031-01-01 00:00', not_after: '2031-01-01 16:00', limit: 2,
    };
    const shown = await cliJson(['slot', 'find', '--reservation', `resource_type=physical:host,min=2,max=2,resource_properties=${GPU}`,
      '--duration', '2h', '--not-before', body.not_before, '--not-after', body.not_after, '--limit', '2']);
    const api = await request(svc.app).post('/v1/leases/availability').set(ADMIN).send(body);
    expect(api.status).toBe(200);
    expect(shown).toEqual(api.body.slots);
    // Both GPU hosts are free 00:00-02:00, then not before alpha's end at 05:00, then again after beta's at 10:00.
    expect(shown.map((slot) => [slot.start_date, slot.end_date])).toEqual([
      ['2031-01-01T00:00:00.000000', '2031-01-01T02:00:00.000000'],
      ['2031-01-01T05:00:00.000000', '2031-01-01T07:00:00.000000'],
    ]);
    // The noauth caller is the admin: the hosts are named.
    expect(shown[0].reservations).toEqual([{ resource_type: 'physical:host', count: 2, hosts: expect.any(Array) }]);
    const hosts = (shown[0].reservations as { hosts: { hypervisor_hostname: string }[] }[])[0].hosts;
    expect(hosts.map((host) => host.hypervisor_hostname).sort()).toEqual(['gpu-1', 'gpu-2']);
  });
});
