/**
 * virtual:floatingip and virtual:volume against a real Neutron (ML2, logger mechanism driver, router service
 * plugin, no agents) and a real Cinder (FakeLoggingVolumeDriver): the floating IPs of a lease exist in Neutron in
 * the owner's project, tagged with the reservation, from start to end; an address another project holds fails the
 * start with the reason; one the owner associated with a port of its own is disassociated and deleted at the end,
 * the port and its router left as they were; the volumes are made with the owner's trust, reach `available`, are
 * attached to a server of the owner and are detached and deleted at the end; `on_start: none` / `on_end: none`
 * leave both services alone.
 */
import { CLOUD_START_TIMEOUT_MS, http, waitFor, type Session } from './cloud';
import { e2eWorld, type E2eWorld } from './world';

jest.setTimeout(10 * 60_000);

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let w: E2eWorld;
let network = '';
// Addresses of the external network Climate manages here (another run may have left floating IPs on them).
const ADDRESSES = ['172.24.4.201', '172.24.4.202', '172.24.4.203', '172.24.4.204'];
/** The gateway address of the owner's router, out of ADDRESSES. */
const ROUTER_GATEWAY = '172.24.4.205';

const neutron = async (method: string, path: string, as: Session, body?: unknown, expected?: number[]) =>
  (await http(method, `${w.cloud.endpoints.network}/v2.0${path}`, as.token, body, {}, expected)).json;
const cinder = async (method: string, path: string, as: Session, body?: unknown, expected?: number[]) =>
  (await http(method, `${w.cloud.endpoints.volume}/${as.projectId}${path}`, as.token, body, { 'OpenStack-API-Version': 'volume 3.27' }, expected)).json;
/** The floating IPs Neutron holds on the addresses, any project's. */
const floatingIps = async (): Promise<Json[]> =>
  ((await neutron('GET', `/floatingips?floating_network_id=${network}`, w.admin)).floatingips as Json[])
    .filter((f) => ADDRESSES.includes(f.floating_ip_address as string));
const volume = async (id: string, as: Session = w.demo): Promise<Json | null> =>
  ((await cinder('GET', `/volumes/${id}`, as, undefined, [200, 404])).volume as Json | undefined) ?? null;
const window = () => ({ start_date: 'now', end_date: new Date(Date.now() + 3600_000).toISOString() });

beforeAll(async () => {
  w = await e2eWorld({ manager: { plugins: ['physical:host', 'virtual:floatingip', 'virtual:volume'] } });
  network = ((await neutron('GET', `/networks?name=${w.cloud.external_network}`, w.admin)).networks as Json[])[0].id as string;
  for (const f of await floatingIps()) await neutron('DELETE', `/floatingips/${f.id}`, w.admin, undefined, [204, 404]);
  for (const address of ADDRESSES) {
    await w.api('POST', '/floatingips', w.admin, { floating_network_id: network, floating_ip_address: address }, [201]);
  }
  await w.api('POST', '/volume-pools', w.admin, { name: w.cloud.volume_pool, capacity_gb: 100 }, [201]);
}, CLOUD_START_TIMEOUT_MS);
afterAll(async () => { await w?.close(); });

describe('floating IPs in a real Neutron', () => {
  let leaseId = '';
  let rid = '';
  let router: Json = {};
  let port: Json = {};
  /** Removes the owner's network, subnet, router and port, last made first. */
  const undo: (() => Promise<unknown>)[] = [];
  afterAll(async () => { for (const step of undo.reverse()) await step(); });

  it('a lease reserving two: at start they exist in the owner\'s project, tagged with the reservation', async () => {
    const lease = (await w.api('POST', '/leases', w.demo, {
      name: 'e2e-fips', ...window(),
      reservations: [{ resource_type: 'virtual:floatingip', network_id: network, amount: 2, required_floatingips: ADDRESSES.slice(0, 2) }],
    }, [201])).lease;
    leaseId = lease.id as string;
    rid = lease.reservations[0].id as string;
    const active = await w.leaseReaches(leaseId, 'ACTIVE');
    const tagged = (await neutron('GET', `/floatingips?tags=${encodeURIComponent(`reservation:${rid}`)}`, w.admin)).floatingips as Json[];
    expect(tagged.map((f) => f.floating_ip_address).sort()).toEqual(ADDRESSES.slice(0, 2));
    for (const f of tagged) expect(f).toMatchObject({ project_id: w.demo.projectId, floating_network_id: network, port_id: null });
    expect(active.reservations[0]).toMatchObject({ floatingips_status: 'created' });
    expect([...active.reservations[0].floatingip_ids].sort()).toEqual(tagged.map((f) => f.id).sort());
    // The owner sees them as theirs.
    const own = (await neutron('GET', `/floatingips?floating_network_id=${network}`, w.demo)).floatingips as Json[];
    expect(own.map((f) => f.id).sort()).toEqual(tagged.map((f) => f.id).sort());
  });

  it('an address another project already holds in Neutron fails the start with the reason', async () => {
    const taken = ADDRESSES[2];
    const held = (await neutron('POST', '/floatingips', w.admin, {
      floatingip: { floating_network_id: network, floating_ip_address: taken, project_id: w.altDemo.projectId },
    })).floatingip;
    const lease = (await w.api('POST', '/leases', w.demo, {
      name: 'e2e-fips-taken', ...window(),
      reservations: [{ resource_type: 'virtual:floatingip', network_id: network, amount: 1, required_floatingips: [taken] }],
    }, [201])).lease;
    const failed = await waitFor('the start failing', async () => {
      const now = (await w.api('GET', `/leases/${lease.id}`, w.demo)).lease;
      return now.reservations[0].floatingips_status === 'create_failed' ? now : null;
    }, 180_000);
    expect(failed.reservations[0].floatingips_status_reason).toContain(taken);
    // Nothing of the other project's was touched.
    expect((await neutron('GET', `/floatingips/${held.id}`, w.admin)).floatingip).toMatchObject({ project_id: w.altDemo.projectId });
    // Released, the address is the lease's at the start's next attempt.
    await neutron('DELETE', `/floatingips/${held.id}`, w.admin, undefined, [204]);
    await w.leaseReaches(lease.id as string, 'ACTIVE');
    await w.api('DELETE', `/leases/${lease.id}`, w.demo, undefined, [204]);
    await waitFor('its floating IP deleted', async () => ((await floatingIps()).some((f) => f.floating_ip_address === taken) ? null : true));
  });

  it('the owner associates one with a port of its own while the lease is active', async () => {
    // Tenant network behind a router whose gateway is on the external network: what Neutron needs to associate.
    const net = (await neutron('POST', '/networks', w.demo, { network: { name: 'e2e-fip-net' } })).network;
    undo.push(() => neutron('DELETE', `/networks/${net.id}`, w.demo, undefined, [204, 404]));
    const subnet = (await neutron('POST', '/subnets', w.demo, {
      subnet: { network_id: net.id, ip_version: 4, cidr: '10.19.0.0/24', enable_dhcp: false },
    })).subnet;
    undo.push(() => neutron('DELETE', `/subnets/${subnet.id}`, w.demo, undefined, [204, 404]));
    // Made by admin for the owner only to pin its gateway address (admin-only by policy): Neutron picks a free
    // address at random, which could be one of ADDRESSES that a later lease reserves.
    router = (await neutron('POST', '/routers', w.admin, {
      router: {
        name: 'e2e-fip-router', project_id: w.demo.projectId,
        external_gateway_info: { network_id: network, external_fixed_ips: [{ ip_address: ROUTER_GATEWAY }] },
      },
    })).router;
    undo.push(() => neutron('DELETE', `/routers/${router.id}`, w.demo, undefined, [204, 404]));
    await neutron('PUT', `/routers/${router.id}/add_router_interface`, w.demo, { subnet_id: subnet.id });
    undo.push(() => neutron('PUT', `/routers/${router.id}/remove_router_interface`, w.demo, { subnet_id: subnet.id }, [200, 404]));
    port = (await neutron('POST', '/ports', w.demo, { port: { network_id: net.id, name: 'e2e-fip-port' } })).port;
    undo.push(() => neutron('DELETE', `/ports/${port.id}`, w.demo, undefined, [204, 404]));

    const [ip] = (await neutron('GET', `/floatingips?tags=${encodeURIComponent(`reservation:${rid}`)}`, w.demo)).floatingips as Json[];
    const associated = (await neutron('PUT', `/floatingips/${ip.id}`, w.demo, { floatingip: { port_id: port.id } })).floatingip;
    expect(associated).toMatchObject({ port_id: port.id, router_id: router.id, fixed_ip_address: port.fixed_ips[0].ip_address });
  });

  it('the lease ending disassociates and deletes them from Neutron, leaving the port and the router', async () => {
    await w.endLease(leaseId);
    expect((await floatingIps()).map((f) => f.floating_ip_address)).toEqual([]);
    expect((await neutron('GET', `/floatingips?port_id=${port.id}`, w.demo)).floatingips).toEqual([]);
    const after = (await neutron('GET', `/ports/${port.id}`, w.demo)).port;
    expect(after.fixed_ips).toEqual(port.fixed_ips);
    expect((await neutron('GET', `/routers/${router.id}`, w.demo)).router.external_gateway_info).toMatchObject({ network_id: network });
    const interfaces = (await neutron('GET', `/ports?device_id=${router.id}&device_owner=network:router_interface`, w.demo)).ports as Json[];
    expect(interfaces).toHaveLength(1);
  });
});

describe('volumes in a real Cinder', () => {
  let leaseId = '';
  let volumeIds: string[] = [];
  let server = '';

  it('a lease reserving two: at start they are made in the owner\'s project with the owner\'s trust and are available', async () => {
    const lease = (await w.api('POST', '/leases', w.demo, {
      name: 'e2e-volumes', ...window(), reservations: [{ resource_type: 'virtual:volume', amount: 2, size_gb: 1 }],
    }, [201])).lease;
    leaseId = lease.id as string;
    const active = await w.leaseReaches(leaseId, 'ACTIVE');
    expect(active.reservations[0]).toMatchObject({ volumes_status: 'created' });
    volumeIds = active.reservations[0].volume_ids as string[];
    expect(volumeIds).toHaveLength(2);
    for (const id of volumeIds) {
      // Shown to the demo user in its project: the volume is the owner's.
      expect(await volume(id)).toMatchObject({ status: 'available', size: 1 });
    }
    const detail = (await http('GET', `${w.cloud.endpoints.volume}/${w.admin.projectId}/volumes/${volumeIds[0]}`, w.admin.token)).json.volume;
    expect(detail['os-vol-tenant-attr:tenant_id']).toBe(w.demo.projectId);
    expect(await w.trust(active.trust_id as string)).not.toBeNull();
  });

  it('a server of the owner attaches one', async () => {
    server = (await w.novaDemo.settled(await w.novaDemo.boot('e2e-volume-user'))).id as string;
    await w.novaDemo.call('POST', `/servers/${server}/os-volume_attachments`, { volumeAttachment: { volumeId: volumeIds[0] } });
    await waitFor('the volume in use', async () => ((await volume(volumeIds[0]))?.status === 'in-use' ? true : null), 180_000);
  });

  it('the lease ending detaches and deletes them', async () => {
    await w.endLease(leaseId);
    for (const id of volumeIds) expect(await volume(id)).toBeNull();
    const attachments = (await w.novaDemo.call('GET', `/servers/${server}/os-volume_attachments`)).volumeAttachments as Json[];
    expect(attachments).toEqual([]);
    await w.novaDemo.deleteServer(server);
  });
});

describe('on_start: none / on_end: none', () => {
  it('leave Neutron and Cinder alone', async () => {
    const reservations = (lifecycle: Json) => [
      { resource_type: 'virtual:floatingip', network_id: network, amount: 1, ...lifecycle },
      { resource_type: 'virtual:volume', amount: 1, size_gb: 1, ...lifecycle },
    ];
    const volumesOfDemo = async () => ((await cinder('GET', '/volumes', w.demo)).volumes as Json[]).map((v) => v.id as string);
    const before = await volumesOfDemo();

    const untouched = (await w.api('POST', '/leases', w.demo, {
      name: 'e2e-none', ...window(), reservations: reservations({ on_start: 'none', on_end: 'none' }),
    }, [201])).lease;
    await w.leaseReaches(untouched.id as string, 'ACTIVE');
    expect(await floatingIps()).toEqual([]);
    expect(await volumesOfDemo()).toEqual(before);
    await w.endLease(untouched.id as string);

    const kept = (await w.api('POST', '/leases', w.demo, {
      name: 'e2e-kept', ...window(), reservations: reservations({ on_end: 'none' }),
    }, [201])).lease;
    await w.leaseReaches(kept.id as string, 'ACTIVE');
    const made = await floatingIps();
    expect(made).toHaveLength(1);
    const madeVolumes = (await volumesOfDemo()).filter((id) => !before.includes(id));
    expect(madeVolumes).toHaveLength(1);
    await w.endLease(kept.id as string);
    expect((await floatingIps()).map((f) => f.id)).toEqual([made[0].id]);
    expect((await volume(madeVolumes[0]))?.status).toBe('available');
    await neutron('DELETE', `/floatingips/${made[0].id}`, w.admin, undefined, [204]);
    await cinder('DELETE', `/volumes/${madeVolumes[0]}`, w.demo, undefined, [202]);
  });
});
