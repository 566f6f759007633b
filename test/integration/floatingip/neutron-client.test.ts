/** NeutronClient against the fake Neutron: request shapes, typed errors (404, 409) and the idempotent helpers. */
import { silentLogger } from '../../../src/common';
import { configWith } from '../../../src/config';
import { OpenStackConflict, OpenStackHttpError, OpenStackNotFound } from '../../../src/openstack';
import { buildNeutronClient, type NeutronClient } from '../../../src/openstack/neutron';
import { FakeNeutron } from '../../fakes/neutron';

const NET = '5e2b3d0c-8f7a-4a7e-9b39-6c1f4b5d2e10';
const INTERNAL = '9d1e8f7a-0b2c-4d3e-8f4a-5b6c7d8e9f00';

describe('NeutronClient', () => {
  let fake: FakeNeutron;
  let client: NeutronClient;

  beforeEach(async () => {
    fake = await new FakeNeutron().start();
    fake.addNetwork(NET, { addresses: ['172.24.4.101', '172.24.4.102'] });
    fake.addNetwork(INTERNAL, { external: false });
    client = buildNeutronClient(configWith({ neutron: { endpointOverride: fake.url }, nova: { requestRetries: 0 } }),
      { keystone: null, logger: silentLogger });
  });
  afterEach(async () => { await fake.stop(); });

  it('creates a floating IP for a project, finds it by address, tags, detaches and deletes it', async () => {
    const ip = await client.createFloatingIp({ floatingNetworkId: NET, floatingIpAddress: '172.24.4.101', projectId: 'p1', description: 'd' });
    expect(ip).toMatchObject({ floating_network_id: NET, floating_ip_address: '172.24.4.101', project_id: 'p1', port_id: null, description: 'd' });
    expect(fake.calls('POST /v2.0/floatingips')[0].body).toEqual({
      floatingip: { floating_network_id: NET, floating_ip_address: '172.24.4.101', project_id: 'p1', description: 'd' },
    });
    expect(fake.calls('POST /v2.0/floatingips')[0].headers['x-auth-token']).toBeUndefined();
    expect((await client.findFloatingIps(NET, '172.24.4.101')).map((f) => f.id)).toEqual([ip.id]);
    expect(await client.findFloatingIps(NET, '172.24.4.102')).toEqual([]);
    expect(fake.calls('GET /v2.0/floatingips')[0].path).toBe(`/v2.0/floatingips?floating_network_id=${NET}&floating_ip_address=172.24.4.101`);

    await client.addFloatingIpTag(ip.id, 'reservation:r1');
    await client.addFloatingIpTag(ip.id, 'reservation:r1');
    expect(fake.floatingIps.get(ip.id)!.tags).toEqual(['reservation:r1']);
    expect(fake.calls('PUT /v2.0/floatingips/{id}/tags/{tag}')[0].path).toBe(`/v2.0/floatingips/${ip.id}/tags/reservation%3Ar1`);

    const port = fake.addReachablePort(NET, 'p1');
    expect(fake.associate(ip.id, port.id)).toMatchObject({ portId: port.id, fixedIpAddress: port.fixedIps[0].ipAddress });
    expect(await client.disassociateFloatingIp(ip.id)).toMatchObject({ port_id: null, fixed_ip_address: null, router_id: null });
    await client.deleteFloatingIp(ip.id);
    await client.deleteFloatingIp(ip.id); // already gone: fine
    expect(fake.floatingIps.size).toBe(0);
  });

  it('maps Neutron errors to typed errors with Neutron\'s message', async () => {
    await client.createFloatingIp({ floatingNetworkId: NET, floatingIpAddress: '172.24.4.101', projectId: 'p1' });
    const taken = client.createFloatingIp({ floatingNetworkId: NET, floatingIpAddress: '172.24.4.101', projectId: 'p2' });
    await expect(taken).rejects.toBeInstanceOf(OpenStackConflict);
    await expect(client.createFloatingIp({ floatingNetworkId: NET, floatingIpAddress: '172.24.4.101', projectId: 'p2' }))
      .rejects.toThrow(/172\.24\.4\.101 already allocated/);
    await expect(client.createFloatingIp({ floatingNetworkId: 'nope', floatingIpAddress: '172.24.4.101', projectId: 'p1' }))
      .rejects.toBeInstanceOf(OpenStackNotFound);
    const internal = client.createFloatingIp({ floatingNetworkId: INTERNAL, floatingIpAddress: '10.0.0.5', projectId: 'p1' });
    await expect(internal).rejects.toBeInstanceOf(OpenStackHttpError);
    await expect(client.createFloatingIp({ floatingNetworkId: NET, floatingIpAddress: '10.9.9.9', projectId: 'p1' }))
      .rejects.toThrow(/not a valid IP for any of the subnets/);
    await expect(client.disassociateFloatingIp('00000000-0000-4000-8000-000000000000')).rejects.toBeInstanceOf(OpenStackNotFound);
    await expect(client.addFloatingIpTag('00000000-0000-4000-8000-000000000000', 'x')).rejects.toBeInstanceOf(OpenStackNotFound);
  });

  // The fake's association is what Climate's tests rely on; it must refuse what Neutron refuses.
  it('the fake associates a floating IP as Neutron does: a known port reachable through a router, filled in and cleared', async () => {
    const ip = await client.createFloatingIp({ floatingNetworkId: NET, floatingIpAddress: '172.24.4.101', projectId: 'p1' });
    const put = async (floatingip: Record<string, unknown>) => {
      const res = await fetch(`${fake.url}/v2.0/floatingips/${ip.id}`, {
        method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ floatingip }),
      });
      return { status: res.status, body: await res.json() as Record<string, Record<string, unknown>> };
    };
    const unknown = await put({ port_id: '00000000-0000-4000-8000-000000000001' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.NeutronError).toMatchObject({ type: 'PortNotFound', message: 'Port 00000000-0000-4000-8000-000000000001 could not be found.' });
    const isolated = fake.addPort(INTERNAL);
    const unreachable = await put({ port_id: isolated.id });
    expect(unreachable.status).toBe(404);
    expect(unreachable.body.NeutronError.type).toBe('ExternalGatewayForFloatingIPNotFound');
    expect((await put({ fixed_ip_address: '10.0.0.9' })).status).toBe(400);
    expect(fake.floatingIps.get(ip.id)).toMatchObject({ portId: null, fixedIpAddress: null, routerId: null });

    const port = fake.addReachablePort(NET, 'p1');
    const router = [...fake.routers.values()].find((r) => r.subnetIds.includes(port.fixedIps[0].subnetId))!;
    const attached = await put({ port_id: port.id });
    expect(attached.status).toBe(200);
    expect(attached.body.floatingip).toMatchObject({ port_id: port.id, fixed_ip_address: port.fixedIps[0].ipAddress, router_id: router.id });
    // A description change keeps the association; a second floating IP cannot take the same port and address.
    expect((await put({ description: 'web' })).body.floatingip).toMatchObject({ port_id: port.id, router_id: router.id });
    const second = await client.createFloatingIp({ floatingNetworkId: NET, floatingIpAddress: '172.24.4.102', projectId: 'p1' });
    expect(() => fake.associate(second.id, port.id)).toThrow(/already has a floating IP/);
    expect(await client.disassociateFloatingIp(ip.id)).toMatchObject({ port_id: null, fixed_ip_address: null, router_id: null });
  });

  it('does not repeat a create whose answer was lost (POST is not idempotent)', async () => {
    fake.fault('POST /v2.0/floatingips', { status: 503, afterHandling: true });
    const retrying = buildNeutronClient(configWith({ neutron: { endpointOverride: fake.url }, nova: { requestRetries: 3, retryDelayMs: 0 } }),
      { keystone: null, logger: silentLogger });
    await expect(retrying.createFloatingIp({ floatingNetworkId: NET, floatingIpAddress: '172.24.4.102', projectId: 'p1' })).rejects.toThrow(/503/);
    expect(fake.calls('POST /v2.0/floatingips')).toHaveLength(1);
    expect(fake.byAddress('172.24.4.102')).toHaveLength(1);
  });
});
