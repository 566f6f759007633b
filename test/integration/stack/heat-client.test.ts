/**
 * The Heat client against the fake: the contract it relies on (create, list by name, show, delete, a deleted
 * stack shown as DELETE_COMPLETE), Heat's error body read into typed errors, the per-call token, and the
 * catalog URL cut back to the service root.
 */
import { HeatClient, heatRoot, OpenStackConflict, OpenStackHttpError, OpenStackUnavailable, ServiceClient, stackTags } from '../../../src/openstack';
import { FakeHeat } from '../../fakes/heat';

const TEMPLATE = { heat_template_version: '2018-08-31', parameters: { n: { type: 'number' } }, resources: {} };
const stack = (name: string, extra: Partial<Parameters<HeatClient['createStack']>[1]> = {}) => ({
  stackName: name, template: TEMPLATE, parameters: { n: 1 }, environment: null, timeoutMins: 10, disableRollback: true, tags: ['t1'], ...extra,
});

describe('Heat client', () => {
  let fake: FakeHeat;
  let heat: HeatClient;
  beforeEach(async () => {
    fake = await new FakeHeat().start();
    heat = new HeatClient(new ServiceClient({
      service: 'heat', baseUrl: async () => heatRoot(`${fake.endpoint}/v1/service-project`), token: async () => 'service-token',
      timeoutMs: 2000, retries: 1, retryDelayMs: 5,
    }));
  });
  afterEach(async () => { await fake.stop(); });

  it('cuts a catalog URL back to the service root', () => {
    expect(heatRoot('http://ctl:8004/v1/abc123')).toBe('http://ctl:8004');
    expect(heatRoot('http://ctl/heat-api/v1/abc123/')).toBe('http://ctl/heat-api');
    expect(heatRoot('http://ctl:8004')).toBe('http://ctl:8004');
  });

  it('creates in the project of the path, lists by name with tags, shows, deletes; a deleted stack shows DELETE_COMPLETE', async () => {
    // Still being created until the test says otherwise (no race with a busy machine's clock).
    fake.createDelayMs = 3_600_000;
    const id = await heat.createStack('p1', stack('one'));
    expect(fake.calls('POST /stacks')[0]).toMatchObject({
      path: '/v1/p1/stacks',
      body: { stack_name: 'one', template: TEMPLATE, parameters: { n: 1 }, timeout_mins: 10, disable_rollback: true, tags: 't1' },
    });
    await heat.createStack('p1', stack('two'));
    const listed = await heat.listStacks('p1', 'one');
    expect(listed.map((s) => [s.id, s.stack_status])).toEqual([[id, 'CREATE_IN_PROGRESS']]);
    expect(stackTags(listed[0])).toEqual(['t1']);
    expect(await heat.listStacks('p2', 'one')).toEqual([]);
    fake.createDelayMs = 0;
    expect(await heat.getStack('p1', 'one', id)).toMatchObject({ id, stack_name: 'one', stack_status: 'CREATE_COMPLETE' });
    await heat.deleteStack('p1', 'one', id);
    expect((await heat.getStack('p1', 'one', id))!.stack_status).toBe('DELETE_COMPLETE');
    expect(await heat.listStacks('p1', 'one')).toEqual([]);
    // Already gone: success; unknown: null.
    await heat.deleteStack('p1', 'one', id);
    expect(await heat.getStack('p1', 'one', '00000000-0000-0000-0000-000000000000')).toBeNull();
  });

  it('reads Heat\'s error body: message and exception type, 409 for a taken name', async () => {
    const bad = await heat.createStack('p1', stack('bad', { template: { resources: {} } })).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(OpenStackHttpError);
    expect(bad).toMatchObject({ remoteStatus: 400, remoteMessage: 'Template format version not found.', remoteCode: 'InvalidTemplateVersion' });
    const unknown = await heat.createStack('p1', stack('x', { parameters: { n: 1, m: 2 } })).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ remoteStatus: 400, remoteMessage: 'The Parameter (m) was not defined in template.', remoteCode: 'UnknownUserParameter' });
    await heat.createStack('p1', stack('taken'));
    const taken = await heat.createStack('p1', stack('taken')).catch((e: unknown) => e);
    expect(taken).toBeInstanceOf(OpenStackConflict);
    expect((taken as Error).message).toMatch(/answered 409: The Stack \(taken\) already exists\./);
  });

  it('sends the token given for a call instead of its own, and does not repeat a create after a 5xx', async () => {
    await heat.listStacks('p1', 'a', { token: 'owner-token' });
    await heat.listStacks('p1', 'a');
    expect(fake.calls('GET /stacks').map((r) => r.headers['x-auth-token'])).toEqual(['owner-token', 'service-token']);
    fake.fault('POST /stacks', { status: 500 });
    const failed = await heat.createStack('p1', stack('once')).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(OpenStackUnavailable);
    expect(fake.calls('POST /stacks')).toHaveLength(1);
    // A GET is repeated once (retries: 1) before it fails.
    fake.fault('GET /stacks', { status: 503, times: 2 });
    const unavailable = await heat.listStacks('p1', 'a').catch((e: unknown) => e);
    expect(unavailable).toBeInstanceOf(OpenStackUnavailable);
    expect(unavailable).toMatchObject({ remoteStatus: 503 });
    expect(fake.calls('GET /stacks')).toHaveLength(4);
  });
});
