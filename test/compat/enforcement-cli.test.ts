/**
 * Usage enforcement seen from the real OpenStack CLI (`openstack reservation lease create/set`): a lease
 * refused by MaxLeaseDurationFilter or by the external service exits 1 with the refusal's message, and nothing is
 * created. Climate listens on 127.0.0.1 without Keystone (`--os-auth-type none`).
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import request from 'supertest';
import { FakeEnforcementService } from '../support/enforcement-service';
import { startTestService, type TestService } from '../support/service';

const OPENSTACK = '/usr/bin/openstack';
const ENSURE_CLI = path.resolve(__dirname, '../../tools/ensure-openstack-cli.sh');
jest.setTimeout(5 * 60_000);

interface RunResult { code: number | string | null; stdout: string; stderr: string }

/** The environment without anything that could point the CLI at another cloud or another Python. */
const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(OS_|PYTHON)/.test(key)));

function run(file: string, args: string[], timeout: number): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(file, args, { env, timeout, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number | string }).code ?? null) : 0, stdout, stderr });
    });
  });
}

describe('usage enforcement through openstack reservation', () => {
  let svc: TestService;
  const service = new FakeEnforcementService();
  const cli = (args: string[]) => run(OPENSTACK, ['--os-auth-type', 'none', '--os-endpoint', `${svc.url}/v1`, 'reservation', ...args], 60_000);

  beforeAll(async () => {
    const ensured = await run('bash', [ENSURE_CLI], 15 * 60_000);
    if (ensured.code !== 0) throw new Error(`tools/ensure-openstack-cli.sh failed (${ensured.code}):\n${ensured.stderr}${ensured.stdout}`);
    await service.start();
    svc = await startTestService({
      listen: true, config: {
        enforcement: {
          enabledFilters: ['MaxLeaseDurationFilter', 'ExternalServiceFilter'], maxLeaseDurationSeconds: 86_400,
          externalServiceEndpoint: service.url, externalServiceToken: 'operator-token',
        },
      },
    });
    expect((await request(svc.app).post('/v1/os-hosts').send({ name: 'h1' })).status).toBe(201);
  });
  afterAll(async () => {
    await svc?.close();
    await service.stop();
  });

  const HOST = ['--reservation', 'resource_type=physical:host,min=1,max=1,hypervisor_properties=,resource_properties='];

  it('prints the refusal and creates nothing', async () => {
    const tooLong = await cli(['lease', 'create', '--start-date', '2031-01-01 00:00', '--end-date', '2031-01-03 00:00', ...HOST, 'cli-too-long']);
    expect(tooLong.code).toBe(1);
    expect(tooLong.stderr).toContain('ERROR: Lease duration of 172800 seconds must be less than or equal to the maximum lease duration of 86400 seconds.');
    expect(service.calls).toEqual([]);

    service.answer('/check-create', { status: 403, body: '{"message": "Project admin has used up its allocation"}' });
    const refused = await cli(['lease', 'create', '--start-date', '2031-01-01 00:00', '--end-date', '2031-01-01 12:00', ...HOST, 'cli-refused']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('ERROR: Project admin has used up its allocation');
    expect(service.callsTo('/check-create')).toHaveLength(1);
    expect((await request(svc.app).get('/v1/leases')).body.leases).toEqual([]);

    service.answer('/check-create', { status: 204 });
    const created = await cli(['lease', 'create', '--start-date', '2031-01-01 00:00', '--end-date', '2031-01-01 12:00', ...HOST, 'cli-ok', '-f', 'json']);
    expect(created.code).toBe(0);
    service.answer('/check-update', { status: 403, body: '{"message": "No allocation left to extend"}' });
    const extend = await cli(['lease', 'set', '--prolong-for', '1h', 'cli-ok']);
    expect(extend.code).toBe(1);
    expect(extend.stderr).toContain('ERROR: No allocation left to extend');
    expect((await request(svc.app).get('/v1/leases')).body.leases).toEqual([expect.objectContaining({ name: 'cli-ok', end_date: '2031-01-01T12:00:00.000000' })]);
  });
});
