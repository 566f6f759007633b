/**
 * Quotas seen from the real OpenStack CLI: Climate's plugin sets and shows them (`openstack reservation quota
 * set/show`), and python-blazarclient's `lease create` and `lease set` print the refusal of a lease over a quota
 * (exit 1, the limit, the use and the limit in the message) and create nothing. Climate listens on 127.0.0.1
 * without Keystone (`--os-auth-type none`: requests are the noauth admin's, of project "admin").
 */
import request from 'supertest';
import { startTestService, type TestService } from '../support/service';
import { ensureOscPlugin, INSTALL_TIMEOUT_MS, OPENSTACK, run } from './cli-support';

const CLI_TIMEOUT_MS = 2 * 60_000;
jest.setTimeout(5 * 60_000);

describe('quotas through openstack reservation', () => {
  let svc: TestService;
  const cli = (args: string[]) => run(OPENSTACK, ['--os-auth-type', 'none', '--os-endpoint', `${svc.url}/v1`, 'reservation', ...args],
    { timeout: CLI_TIMEOUT_MS });
  const HOST = ['--reservation', 'resource_type=physical:host,min=1,max=1,hypervisor_properties=,resource_properties='];

  beforeAll(async () => {
    await ensureOscPlugin();
    svc = await startTestService({ listen: true, config: { quotas: { defaults: { leases: 10 } } } });
    for (const name of ['h1', 'h2']) expect((await request(svc.app).post('/v1/os-hosts').send({ name })).status).toBe(201);
  }, INSTALL_TIMEOUT_MS + 60_000);
  afterAll(async () => { await svc?.close(); });

  it('quota set and show: the limits in effect, which are the project\'s own, bad values refused by the CLI', async () => {
    const set = await cli(['quota', 'set', 'admin', '--hosts', '1', '--max-extension', '3600', '-f', 'json']);
    expect([set.code, set.stderr]).toEqual([0, '']);
    expect(JSON.parse(set.stdout)).toEqual({
      project_id: 'admin', hosts: 1, host_hours: -1, instance_slots: -1, leases: 10, max_lease_duration: -1, max_extension: 3600,
      host_hours_period: 2_592_000, project_limits: 'hosts, max_extension',
    });
    const shown = await cli(['quota', 'show', 'admin', '-f', 'json']);
    expect(JSON.parse(shown.stdout)).toEqual(JSON.parse(set.stdout));
    const defaults = await cli(['quota', 'show', '--default', '-f', 'json']);
    expect(JSON.parse(defaults.stdout)).toMatchObject({ project_id: null, hosts: -1, leases: 10, project_limits: '' });
    const bad = await cli(['quota', 'set', 'admin', '--hosts', '-5']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('-5 is below -1');
  });

  it('lease create and lease set print the quota refusal, and nothing is created or changed', async () => {
    const created = await cli(['lease', 'create', '--start-date', '2031-01-01 00:00', '--end-date', '2031-01-01 12:00', ...HOST, 'q-first', '-f', 'json']);
    expect([created.code, created.stderr]).toEqual([0, '']);
    const refused = await cli(['lease', 'create', '--start-date', '2031-01-01 06:00', '--end-date', '2031-01-01 18:00', ...HOST, 'q-second']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('ERROR: Quota exceeded for hosts (hosts held at the same time) of project admin: at 2031-01-01 06:00:00 '
      + 'UTC it would have 2 hosts, 1 of them for lease q-second (1 in use without it), limit 1');
    const prolong = await cli(['lease', 'set', '--prolong-for', '2h', 'q-first']);
    expect(prolong.code).toBe(1);
    expect(prolong.stderr).toContain('ERROR: Quota exceeded for max_extension of project admin: this update moves the end of lease q-first '
      + '7200 seconds later, limit 3600 seconds per update');
    expect((await request(svc.app).get('/v1/leases')).body.leases).toEqual([
      expect.objectContaining({ name: 'q-first', end_date: '2031-01-01T12:00:00.000000' })]);
    // Back to the default (no limit), the same lease is accepted.
    expect((await cli(['quota', 'set', 'admin', '--hosts', 'default'])).code).toBe(0);
    const accepted = await cli(['lease', 'create', '--start-date', '2031-01-01 06:00', '--end-date', '2031-01-01 18:00', ...HOST, 'q-second']);
    expect([accepted.code, accepted.stderr]).toEqual([0, '']);
  });
});
