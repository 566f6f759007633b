/**
 * virtual:instance reservations against a real OpenStack (tools/ensure-openstack.sh): the flavor, server group and
 * aggregate in the real Nova, the child resource providers with the reservation's custom class in the real
 * Placement 8, and the real scheduler (Placement's candidates, then Climate's filter) holding servers of the
 * flavor to the reserved slots.
 */
import { reservationResourceClass, slotsProviderName } from '../../src/plugins/virtual-instance';
import { CLOUD_START_TIMEOUT_MS, waitFor } from './cloud';
import { e2eWorld, reservationSlots, type E2eWorld } from './world';

jest.setTimeout(10 * 60_000);

let w: E2eWorld;
beforeAll(async () => {
  w = await e2eWorld({ manager: { plugins: ['physical:host', 'virtual:instance'] } });
  // compute-3 stays out of Climate: servers of other flavors go there.
  await w.register('compute-1', 'compute-2');
}, CLOUD_START_TIMEOUT_MS);
afterAll(async () => { await w?.close(); });

describe('instance leases on a real Nova and Placement', () => {
  let leaseId = '';
  let rid = '';
  let reservation: Record<string, any> = {}; // eslint-disable-line @typescript-eslint/no-explicit-any
  const flavorServers: string[] = [];
  let bystander = '';

  const bootOnFlavor = async (name: string) => w.novaAdmin.settled(await w.novaDemo.boot(name, {}, reservation.flavor_id as string));

  it('a lease starting makes the flavor, server group, aggregate and the slots in Placement', async () => {
    const lease = (await w.api('POST', '/leases', w.demo, {
      name: 'e2e-instances', start_date: 'now', end_date: new Date(Date.now() + 3600_000).toISOString(),
      reservations: [{ resource_type: 'virtual:instance', amount: 1, vcpus: 1, memory_mb: 64, disk_gb: 1, affinity: 'False', resource_properties: '' }],
    }, [201])).lease;
    leaseId = lease.id as string;
    rid = lease.reservations[0].id as string;
    reservation = (await w.leaseReaches(leaseId, 'ACTIVE')).reservations[0];

    const flavor = (await w.novaAdmin.call('GET', `/flavors/${reservation.flavor_id}`)).flavor;
    expect(flavor).toMatchObject({ vcpus: 1, ram: 64, disk: 1, 'os-flavor-access:is_public': false });
    expect((await w.novaAdmin.call('GET', `/flavors/${reservation.flavor_id}/os-extra_specs`)).extra_specs).toEqual({
      'climate:reservation': rid, 'aggregate_instance_extra_specs:climate:reservation_id': rid, [`resources:${reservationResourceClass(rid)}`]: '1',
    });
    const access = (await w.novaAdmin.call('GET', `/flavors/${reservation.flavor_id}/os-flavor-access`)).flavor_access;
    expect(access.map((a: { tenant_id: string }) => a.tenant_id)).toContain(w.demo.projectId);
    const group = (await w.novaAdmin.call('GET', `/os-server-groups/${reservation.server_group_id}`)).server_group;
    expect(group.policy).toBe('anti-affinity');
    const aggregate = (await w.novaAdmin.call('GET', `/os-aggregates/${reservation.aggregate_id}`)).aggregate;
    expect(aggregate.hosts).toHaveLength(1);
    expect(aggregate.metadata).toMatchObject({
      'climate:reservation_id': rid, 'climate:owner_project_id': w.demo.projectId, 'climate:reservation_type': 'virtual:instance',
    });
    expect(await w.placement.hasResourceClass(reservationResourceClass(rid))).toBe(true);
    expect(await reservationSlots(w, rid)).toEqual({ [aggregate.hosts[0]]: 1 });
    expect(await w.climate.services.reconciler!.runOnce()).toEqual([]);
  });

  it('a server of the flavor lands on the reserved host; one more than the amount gets no valid host', async () => {
    const [host] = Object.keys(await reservationSlots(w, rid));
    const first = await bootOnFlavor('e2e-slot-1');
    flavorServers.push(first.id as string);
    expect(first.status).toBe('ACTIVE');
    expect(first['OS-EXT-SRV-ATTR:host']).toBe(host);
    expect(await w.placement.allocations(first.id as string)).toMatchObject({ [reservationResourceClass(rid)]: 1 });

    const extra = await bootOnFlavor('e2e-slot-extra');
    expect(extra.status).toBe('ERROR');
    expect(extra.fault?.message).toMatch(/No valid host/i);
    await w.novaAdmin.deleteServer(extra.id as string);
  });

  it('a server of another flavor goes to a host outside Climate and takes none of the slots', async () => {
    const server = await w.novaAdmin.settled(await w.novaDemo.boot('e2e-bystander'));
    bystander = server.id as string;
    expect(server.status).toBe('ACTIVE');
    expect(server['OS-EXT-SRV-ATTR:host']).toBe('compute-3');
    expect(Object.keys(await w.placement.allocations(bystander))).not.toContain(reservationResourceClass(rid));
  });

  it('raising the amount after the start adds a slot on another host (anti-affinity), which a server then uses', async () => {
    await w.api('PUT', `/leases/${leaseId}`, w.demo, { reservations: [{ id: rid, amount: 2 }] }, [200]);
    const grown = await waitFor('two hosts with a slot', async () => {
      const now = await reservationSlots(w, rid);
      return Object.keys(now).length === 2 ? now : null;
    });
    expect(Object.values(grown)).toEqual([1, 1]);
    const aggregate = (await w.novaAdmin.call('GET', `/os-aggregates/${reservation.aggregate_id}`)).aggregate;
    expect([...aggregate.hosts].sort()).toEqual(Object.keys(grown).sort());

    const second = await bootOnFlavor('e2e-slot-2');
    flavorServers.push(second.id as string);
    expect(second.status).toBe('ACTIVE');
    const hosts = await Promise.all(flavorServers.map(async (id) => (await w.novaAdmin.server(id))!['OS-EXT-SRV-ATTR:host']));
    expect([...hosts].sort()).toEqual(Object.keys(grown).sort());
  });

  it('the lease ending deletes the servers of the flavor and everything it made but the slots providers; other servers stay', async () => {
    await w.endLease(leaseId);
    for (const id of flavorServers) expect(await w.novaAdmin.server(id)).toBeNull();
    expect((await w.novaAdmin.server(bystander))!.status).toBe('ACTIVE');
    await w.novaAdmin.call('GET', `/flavors/${reservation.flavor_id}`, undefined, [404]);
    await w.novaAdmin.call('GET', `/os-server-groups/${reservation.server_group_id}`, undefined, [404]);
    expect((await w.novaAdmin.aggregates()).map((a) => a.name)).toEqual([w.cloud.freepool]);
    expect(((await w.novaAdmin.aggregateNamed(w.cloud.freepool))!.hosts as string[]).sort()).toEqual(['compute-1', 'compute-2']);
    const slotsProviders = (await w.placement.providers()).filter((p) => (p.name as string).startsWith('climate-slots-'));
    expect(slotsProviders.map((p) => p.name).sort()).toEqual(['compute-1', 'compute-2'].map(slotsProviderName));
    for (const p of slotsProviders) expect(await w.placement.inventories(p.uuid as string)).toEqual({});
    expect(await w.placement.hasResourceClass(reservationResourceClass(rid))).toBe(false);
    await w.novaDemo.deleteServer(bystander);
  });

  it('a server of another flavor builds at once on a host where the lease just ended (nova-compute\'s cached provider tree still holds)', async () => {
    for (const host of ['compute-1', 'compute-2']) {
      // An admin names the host: it is in the freepool, which Climate's filter keeps servers without a hint out of.
      const server = await w.novaAdmin.settled(await w.novaAdmin.boot(`e2e-after-${host}`, {}, undefined, `nova:${host}`));
      expect(server.fault?.message).toBeUndefined();
      expect(server.status).toBe('ACTIVE');
      expect(server['OS-EXT-SRV-ATTR:host']).toBe(host);
      await w.novaAdmin.deleteServer(server.id as string);
    }
  });
});
