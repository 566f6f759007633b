/**
 * Heat's Blazar resources against Climate: the real heat-engine (Heat 19) finds Climate through the catalog's
 * `reservation` endpoint (tools/ensure-openstack.sh --reservation-url) and calls it with the stack owner's token,
 * as it would call Blazar.
 */
import { CLOUD_START_TIMEOUT_MS, http, login, waitFor, type Session } from './cloud';
import { e2eWorld, type E2eWorld } from './world';

jest.setTimeout(10 * 60_000);

/** A host lease and an instance lease (for 2030, so they stay PENDING) and a host registration, as a tenant would write them. */
const TEMPLATE = {
  heat_template_version: '2021-04-16',
  resources: {
    lease: {
      type: 'OS::Blazar::Lease',
      properties: {
        name: 'heat-lease', start_date: '2030-01-01 10:00', end_date: '2030-01-01 12:00',
        reservations: [{ resource_type: 'physical:host', min: 1, max: 1, hypervisor_properties: '', resource_properties: '' }],
      },
    },
    instances: {
      type: 'OS::Blazar::Lease',
      properties: {
        name: 'heat-instances', start_date: '2030-01-01 10:00', end_date: '2030-01-01 12:00',
        reservations: [{ resource_type: 'virtual:instance', amount: 1, vcpus: 1, memory_mb: 64, disk_gb: 1, affinity: false, resource_properties: '' }],
      },
    },
    host: { type: 'OS::Blazar::Host', properties: { name: 'compute-2' } },
  },
  outputs: {
    lease_id: { value: { get_resource: 'lease' } }, instances_id: { value: { get_resource: 'instances' } }, host_id: { value: { get_resource: 'host' } },
  },
};

let w: E2eWorld;
/** The admin, logged in after the reservation endpoint was registered (Heat reads the catalog of the token). */
let admin: Session;
beforeAll(async () => {
  w = await e2eWorld({ manager: { plugins: ['physical:host', 'virtual:instance'] } }, { reservationEndpoint: true });
  admin = await login(w.cloud, w.cloud.admin);
  // Heat's OS::Blazar::Lease refuses to validate while Blazar lists no host; the two leases take one host each.
  await w.register('compute-1', 'compute-3');
}, CLOUD_START_TIMEOUT_MS);
afterAll(async () => { await w?.close(); });

const heat = (method: string, path: string, body?: unknown, expected?: number[]) =>
  http(method, `${w.cloud.endpoints.orchestration}/${admin.projectId}${path}`, admin.token, body, {}, expected);

/** Waits until the stack leaves its IN_PROGRESS state; returns it (null once it is gone). */
async function settledStack(path: string): Promise<Record<string, any> | null> { // eslint-disable-line @typescript-eslint/no-explicit-any
  return waitFor(`stack ${path} settled`, async () => {
    const res = await heat('GET', path, undefined, [200, 404]);
    if (res.status === 404) return { gone: true };
    return (res.json.stack.stack_status as string).endsWith('_IN_PROGRESS') ? null : res.json.stack;
  }, 300_000).then((stack) => (stack.gone ? null : stack));
}

describe('Heat OS::Blazar::Lease and OS::Blazar::Host on Climate', () => {
  let stackPath = '';
  let leaseId = '';
  let instancesId = '';

  it('the real heat-engine creates the leases and registers the host in Climate', async () => {
    // A name of its own: a stack an interrupted run left behind would clash.
    const name = `e2e-blazar-${Date.now()}`;
    const created = await heat('POST', '/stacks', { stack_name: name, template: TEMPLATE, timeout_mins: 10 }, [201]);
    stackPath = `/stacks/${name}/${created.json.stack.id}`;
    const stack = (await settledStack(stackPath))!;
    expect({ status: stack.stack_status, reason: stack.stack_status_reason }).toEqual({ status: 'CREATE_COMPLETE', reason: expect.anything() });
    const outputs = Object.fromEntries((stack.outputs as { output_key: string; output_value: string }[]).map((o) => [o.output_key, o.output_value]));
    leaseId = outputs.lease_id;

    const lease = (await w.api('GET', `/leases/${leaseId}`, admin)).lease;
    expect(lease).toMatchObject({ name: 'heat-lease', project_id: admin.projectId, status: 'PENDING' });
    expect(lease.reservations).toEqual([expect.objectContaining({ resource_type: 'physical:host', min: 1, max: 1 })]);
    const instances = (await w.api('GET', `/leases/${outputs.instances_id}`, admin)).lease;
    expect(instances).toMatchObject({ name: 'heat-instances', status: 'PENDING' });
    expect(instances.reservations).toEqual([expect.objectContaining({
      resource_type: 'virtual:instance', amount: 1, vcpus: 1, memory_mb: 64, disk_gb: 1, affinity: false,
    })]);
    instancesId = outputs.instances_id;
    const host = (await w.api('GET', `/os-hosts/${outputs.host_id}`, admin)).host;
    expect(host.hypervisor_hostname).toBe('compute-2');
    expect(((await w.novaAdmin.aggregateNamed(w.cloud.freepool))!.hosts as string[]).sort()).toEqual(['compute-1', 'compute-2', 'compute-3']);
  });

  it('deleting the stack deletes the leases and unregisters the host', async () => {
    await heat('DELETE', stackPath, undefined, [204]);
    const stack = await settledStack(stackPath);
    expect(stack?.stack_status ?? 'gone').toMatch(/DELETE_COMPLETE|gone/);
    await w.api('GET', `/leases/${leaseId}`, admin, undefined, [404]);
    await w.api('GET', `/leases/${instancesId}`, admin, undefined, [404]);
    expect((await w.api('GET', '/os-hosts', admin)).hosts.map((h: { hypervisor_hostname: string }) => h.hypervisor_hostname).sort()).toEqual(['compute-1', 'compute-3']);
    expect(((await w.novaAdmin.aggregateNamed(w.cloud.freepool))!.hosts as string[]).sort()).toEqual(['compute-1', 'compute-3']);
  });
});
