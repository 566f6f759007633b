/**
 * virtual:stack reservations against the real Heat and Nova: at the start Climate creates the tenant's stack
 * through the real heat-engine with a token of the lease's real Keystone trust, its servers are placed by the
 * real scheduler on the reservation's hosts, and the end deletes the stack and what the reservation made.
 */
import { CLOUD_START_TIMEOUT_MS } from './cloud';
import { e2eWorld, type E2eWorld } from './world';

jest.setTimeout(10 * 60_000);

/** Two servers on the reservation's flavor (m1.tiny-sized by default), without network (compute 2.37). */
const TEMPLATE = `heat_template_version: 2021-04-16
parameters:
  size: {type: number, default: 2}
  image: {type: string, default: fake-image}
  reservation_flavor: {type: string, default: m1.tiny}
  reservation_id: {type: string, default: ""}
resources:
  web:
    type: OS::Heat::ResourceGroup
    properties:
      count: {get_param: size}
      resource_def:
        type: OS::Nova::Server
        properties:
          name: web-%index%
          image: {get_param: image}
          flavor: {get_param: reservation_flavor}
          networks: [{allocate_network: none}]
          user_data_format: RAW
          scheduler_hints: {reservation: {get_param: reservation_id}}
`;

let w: E2eWorld;
beforeAll(async () => {
  w = await e2eWorld({
    manager: { plugins: ['physical:host', 'virtual:instance', 'virtual:stack'] },
    heat: { stackCreateTimeoutMs: 300_000, stackDeleteTimeoutMs: 300_000, stackPollIntervalMs: 1000 },
  });
  await w.register('compute-1', 'compute-2');
}, CLOUD_START_TIMEOUT_MS);
afterAll(async () => { await w?.close(); });

describe('stack leases on a real Heat', () => {
  let leaseId = '';
  let reservation: Record<string, any> = {}; // eslint-disable-line @typescript-eslint/no-explicit-any
  let servers: Record<string, any>[] = []; // eslint-disable-line @typescript-eslint/no-explicit-any

  it('the start creates the owner\'s stack through Heat with the lease\'s trust; its servers run on the reserved hosts', async () => {
    const lease = (await w.api('POST', '/leases', w.demo, {
      name: 'e2e-stack', start_date: 'now', end_date: new Date(Date.now() + 3600_000).toISOString(),
      reservations: [{ resource_type: 'virtual:stack', stack_name: `e2e-stack-${Date.now()}`, template: TEMPLATE, affinity: 'False' }],
    }, [201])).lease;
    leaseId = lease.id as string;
    reservation = (await w.leaseReaches(leaseId, 'ACTIVE', 400_000)).reservations[0];
    expect(reservation).toMatchObject({ amount: 2, stack_status: 'CREATE_COMPLETE' });

    const stacks = await w.novaDemo.call('GET', '/servers/detail');
    servers = (stacks.servers as Record<string, unknown>[]).filter((s) => (s.name as string).startsWith('web-'));
    expect(servers).toHaveLength(2);
    const hosts = await Promise.all(servers.map(async (s) => (await w.novaAdmin.server(s.id as string))!['OS-EXT-SRV-ATTR:host']));
    const aggregate = (await w.novaAdmin.call('GET', `/os-aggregates/${reservation.aggregate_id}`)).aggregate;
    expect([...hosts].sort()).toEqual([...aggregate.hosts].sort());
    for (const s of servers) {
      expect(s).toMatchObject({ tenant_id: w.demo.projectId, user_id: w.demo.userId, status: 'ACTIVE' });
      expect(s.flavor.original_name).toBe(reservation.flavor_id);
    }
  });

  it('the end deletes the stack, its servers and the reservation\'s flavor and aggregate', async () => {
    await w.endLease(leaseId);
    for (const s of servers) expect(await w.novaAdmin.server(s.id as string)).toBeNull();
    await w.novaAdmin.call('GET', `/flavors/${reservation.flavor_id}`, undefined, [404]);
    expect((await w.novaAdmin.aggregates()).map((a) => a.name)).toEqual([w.cloud.freepool]);
  });
});
