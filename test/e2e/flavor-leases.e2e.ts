/**
 * flavor:instance reservations (Blazar's flavor plugin) against a real OpenStack (tools/ensure-openstack.sh): an
 * existing flavor of the real Nova sizes the slots; at start its private copy (Blazar's contract: id = the
 * reservation id, the source's extra specs plus the reservation's, one unit of CUSTOM_RESERVATION_<ID>) and the
 * inventory of that class on the slots providers in the real Placement; the real scheduler then puts servers of
 * the copy on the reserved hosts only, and no more than `amount` of them. At the end all of it goes, the flavor
 * asked for stays, and the hosts take ordinary servers again.
 */
import { reservationResourceClass } from '../../src/plugins/virtual-instance';
import { CLOUD_START_TIMEOUT_MS } from './cloud';
import { e2eWorld, reservationSlots, type E2eWorld } from './world';

jest.setTimeout(10 * 60_000);

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const AMOUNT = 2;
/** A trait every compute node's provider gets for this file (the copy's trait is on the node, its class on the child). */
const TRAIT = 'CUSTOM_E2E_FLAVOR_LEASES';
/**
 * Extra specs of the flavor asked for, which its copy must carry (harmless to the fake virt driver); Nova schedules
 * 2 GB of disk instead of the flavor's 1 GB, and Climate counts the slots with that.
 */
const SOURCE_SPECS = { 'hw:cpu_policy': 'shared', [`trait:${TRAIT}`]: 'required', 'resources:DISK_GB': '2' };

/** Traits of one compute node each, for the test of the hosts a flavor's trait specs allow. */
const ONLY_ONE = 'CUSTOM_E2E_ONLY_COMPUTE_1';
const ONLY_THREE = 'CUSTOM_E2E_ONLY_COMPUTE_3';

/** Adds or removes a trait on a provider (retried when nova-compute moved its generation meanwhile). */
async function setTrait(uuid: string, present: boolean, trait = TRAIT): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const { traits, resource_provider_generation: generation } = await w.placement.call('GET', `/resource_providers/${uuid}/traits`);
    const wanted = (traits as string[]).filter((t) => t !== trait).concat(present ? [trait] : []);
    const res = await w.placement.call('PUT', `/resource_providers/${uuid}/traits`, { traits: wanted, resource_provider_generation: generation }, [200, 409]);
    if (res.traits) return;
    if (attempt >= 10) throw new Error(`could not ${present ? 'add' : 'remove'} ${trait} on provider ${uuid}: ${JSON.stringify(res)}`);
  }
}
const providerOf = async (host: string) => (await computeProviders()).find((p) => p.name === host)!.uuid as string;
const computeProviders = async () => (await w.placement.providers()).filter((p) => w.cloud.computes.includes(p.name as string));

let w: E2eWorld;
let source: Json;
beforeAll(async () => {
  w = await e2eWorld({ manager: { plugins: ['physical:host', 'flavor:instance'] } });
  // compute-3 stays out of Climate: servers of other flavors go there.
  await w.register('compute-1', 'compute-2');
  // A public flavor as an operator offers it (the cloud's reset deletes it with every flavor but its own).
  source = (await w.novaAdmin.call('POST', '/flavors', {
    flavor: { name: 'e2e-reservable', vcpus: 1, ram: 64, disk: 1, 'os-flavor-access:is_public': true },
  })).flavor as Json;
  await w.novaAdmin.call('POST', `/flavors/${source.id}/os-extra_specs`, { extra_specs: SOURCE_SPECS });
  await w.placement.call('PUT', `/traits/${TRAIT}`, undefined, [201, 204]);
  for (const p of await computeProviders()) await setTrait(p.uuid as string, true);
  for (const p of await computeProviders()) {
    expect((await w.placement.call('GET', `/resource_providers/${p.uuid}/traits`)).traits).toContain(TRAIT);
  }
}, CLOUD_START_TIMEOUT_MS);
afterAll(async () => {
  if (w) for (const p of await computeProviders()) for (const t of [TRAIT, ONLY_ONE, ONLY_THREE]) await setTrait(p.uuid as string, false, t);
  await w?.close();
});

describe('flavor leases on a real Nova and Placement', () => {
  let leaseId = '';
  let rid = '';
  let reserved: Record<string, number> = {};
  const servers: string[] = [];

  it('a lease of an existing flavor starts: its copy, slots in Placement, and no more than the amount of servers, on the reserved hosts only', async () => {
    const lease = (await w.api('POST', '/leases', w.demo, {
      name: 'e2e-flavor', start_date: 'now', end_date: new Date(Date.now() + 3600_000).toISOString(),
      // As Blazar's flavor plugin takes it: the flavor and the amount, no affinity.
      reservations: [{ resource_type: 'flavor:instance', flavor_id: source.id, amount: AMOUNT }],
    }, [201])).lease;
    leaseId = lease.id as string;
    rid = lease.reservations[0].id as string;
    const reservation = (await w.leaseReaches(leaseId, 'ACTIVE')).reservations[0] as Json;
    expect(reservation).toMatchObject({
      resource_type: 'flavor:instance', amount: AMOUNT, vcpus: 1, memory_mb: 64, disk_gb: 2, flavor_id: rid,
      source_flavor: { id: source.id, vcpus: 1, ram: 64, disk: 1, extra_specs: SOURCE_SPECS },
    });

    const copy = (await w.novaAdmin.call('GET', `/flavors/${rid}`)).flavor as Json;
    expect(copy).toMatchObject({ vcpus: 1, ram: 64, disk: 1, 'OS-FLV-EXT-DATA:ephemeral': 0, 'os-flavor-access:is_public': false });
    expect((await w.novaAdmin.call('GET', `/flavors/${rid}/os-extra_specs`)).extra_specs).toEqual({
      ...SOURCE_SPECS, 'climate:reservation': rid, 'aggregate_instance_extra_specs:climate:reservation_id': rid,
      [`resources:${reservationResourceClass(rid)}`]: '1',
    });
    const access = (await w.novaAdmin.call('GET', `/flavors/${rid}/os-flavor-access`)).flavor_access as Json[];
    expect(access.map((a) => a.tenant_id)).toEqual([w.demo.projectId]);

    reserved = await reservationSlots(w, rid);
    expect(Object.values(reserved).reduce((a, b) => a + b, 0)).toBe(AMOUNT);
    const aggregate = (await w.novaAdmin.call('GET', `/os-aggregates/${reservation.aggregate_id}`)).aggregate as Json;
    expect([...aggregate.hosts].sort()).toEqual(Object.keys(reserved).sort());
    expect(await w.climate.services.reconciler!.runOnce()).toEqual([]);

    // Blazar's users boot with the reservation's flavor; Climate's filter also takes the `reservation` hint with it.
    for (let i = 0; i < AMOUNT; i++) {
      const hints: Record<string, string> = i % 2 ? { reservation: rid } : {};
      const server = await w.novaAdmin.settled(await w.novaDemo.boot(`e2e-flavor-${i}`, hints, rid));
      servers.push(server.id as string);
      expect(server.fault?.message).toBeUndefined();
      expect(server.status).toBe('ACTIVE');
      expect(Object.keys(reserved)).toContain(server['OS-EXT-SRV-ATTR:host']);
      expect(await w.placement.allocations(server.id as string)).toMatchObject({ [reservationResourceClass(rid)]: 1, VCPU: 1, MEMORY_MB: 64, DISK_GB: 2 });
    }
    const extra = await w.novaAdmin.settled(await w.novaDemo.boot('e2e-flavor-extra', {}, rid));
    expect(extra.status).toBe('ERROR');
    expect(extra.fault?.message).toMatch(/No valid host/i);
    await w.novaAdmin.deleteServer(extra.id as string);

    // The flavor asked for is not pinned: its servers go where Climate does not manage the hosts.
    const plain = await w.novaAdmin.settled(await w.novaDemo.boot('e2e-flavor-source', {}, source.id as string));
    expect(plain.status).toBe('ACTIVE');
    expect(plain['OS-EXT-SRV-ATTR:host']).toBe('compute-3');
    await w.novaDemo.deleteServer(plain.id as string);
  });

  it('the end deletes the servers, the copy, the aggregate and the inventory; the flavor asked for stays and the hosts boot ordinary servers', async () => {
    await w.endLease(leaseId);
    for (const id of servers) expect(await w.novaAdmin.server(id)).toBeNull();
    await w.novaAdmin.call('GET', `/flavors/${rid}`, undefined, [404]);
    expect((await w.novaAdmin.call('GET', `/flavors/${source.id}/os-extra_specs`)).extra_specs).toEqual(SOURCE_SPECS);
    expect((await w.novaAdmin.aggregates()).map((a) => a.name)).toEqual([w.cloud.freepool]);
    for (const p of (await w.placement.providers()).filter((p) => (p.name as string).startsWith('climate-slots-'))) {
      expect(await w.placement.inventories(p.uuid as string)).toEqual({});
    }
    expect(await w.placement.hasResourceClass(reservationResourceClass(rid))).toBe(false);

    for (const host of Object.keys(reserved)) {
      // An admin names the host: it is in the freepool, which Climate's filter keeps servers without a hint out of.
      const server = await w.novaAdmin.settled(await w.novaAdmin.boot(`e2e-after-${host}`, {}, source.id as string, `nova:${host}`));
      expect(server.fault?.message).toBeUndefined();
      expect(server.status).toBe('ACTIVE');
      expect(server['OS-EXT-SRV-ATTR:host']).toBe(host);
      await w.novaAdmin.deleteServer(server.id as string);
    }
  });

  it('a flavor the project cannot see is refused (400, nothing written) until Nova shares it; the CLI\'s numeric id is taken', async () => {
    // A private flavor with a numeric id, as the CLI's `flavor_id=4242` sends it (a JSON number).
    await w.novaAdmin.call('POST', '/flavors', { flavor: { id: '4242', name: 'e2e-private', vcpus: 1, ram: 64, disk: 1, 'os-flavor-access:is_public': false } });
    const body = (flavorId: unknown) => ({
      name: 'e2e-private', start_date: new Date(Date.now() + 3600_000).toISOString(), end_date: new Date(Date.now() + 7200_000).toISOString(),
      reservations: [{ resource_type: 'flavor:instance', flavor_id: flavorId, amount: 1 }],
    });
    const before = (await w.api('GET', '/leases', w.demo)).leases.length as number;
    for (const id of [4242, 'e2e-no-such-flavor']) {
      const refused = await w.api('POST', '/leases', w.demo, body(id), [400]);
      expect(refused.error_message).toMatch(new RegExp(`${id}.*No such flavor visible to project ${w.demo.projectId}`));
    }
    expect((await w.api('GET', '/leases', w.demo)).leases).toHaveLength(before);

    await w.novaAdmin.call('POST', '/flavors/4242/action', { addTenantAccess: { tenant: w.demo.projectId } });
    const lease = (await w.api('POST', '/leases', w.demo, body(4242), [201])).lease;
    expect(lease.reservations[0]).toMatchObject({ flavor_id: null, source_flavor: { id: '4242', name: 'e2e-private' } });
    await w.api('DELETE', `/leases/${lease.id}`, w.demo, undefined, [200, 204]);
  });

  it('only hosts whose compute node has the flavor\'s required traits and none of its forbidden ones are held (the real Placement decides)', async () => {
    for (const t of [ONLY_ONE, ONLY_THREE]) await w.placement.call('PUT', `/traits/${t}`, undefined, [201, 204]);
    await setTrait(await providerOf('compute-1'), true, ONLY_ONE);
    await setTrait(await providerOf('compute-3'), true, ONLY_THREE);
    const flavorWith = async (name: string, specs: Record<string, string>) => {
      const f = (await w.novaAdmin.call('POST', '/flavors', { flavor: { name, vcpus: 1, ram: 64, disk: 1, 'os-flavor-access:is_public': true } })).flavor as Json;
      await w.novaAdmin.call('POST', `/flavors/${f.id}/os-extra_specs`, { extra_specs: specs });
      return f.id as string;
    };
    const lease = (flavorId: string, name: string) => ({
      name, start_date: 'now', end_date: new Date(Date.now() + 3600_000).toISOString(),
      reservations: [{ resource_type: 'flavor:instance', flavor_id: flavorId, amount: 1 }],
    });
    const before = (await w.api('GET', '/leases', w.demo)).leases.length as number;
    // Only compute-3 has it, and compute-3 is not Climate's: refused, nothing written (Nova would answer NoValidHost).
    const onThree = await flavorWith('e2e-trait-three', { [`trait:${ONLY_THREE}`]: 'required' });
    const refused = await w.api('POST', '/leases', w.demo, lease(onThree, 'e2e-trait-three'), [409]);
    expect(refused.error_message).toMatch(new RegExp(`0 reservable host\\(s\\) with trait\\(s\\) ${ONLY_THREE} in Placement`));
    expect((await w.api('GET', '/leases', w.demo)).leases).toHaveLength(before);
    // Required on compute-1 only: held there, and the real scheduler boots the server there.
    const onOne = await flavorWith('e2e-trait-one', { [`trait:${ONLY_ONE}`]: 'required' });
    const one = (await w.api('POST', '/leases', w.demo, lease(onOne, 'e2e-trait-one'), [201])).lease;
    const oneRid = one.reservations[0].id as string;
    await w.leaseReaches(one.id as string, 'ACTIVE');
    expect(await reservationSlots(w, oneRid)).toEqual({ 'compute-1': 1 });
    const server = await w.novaAdmin.settled(await w.novaDemo.boot('e2e-trait-one', {}, oneRid));
    expect(server.status).toBe('ACTIVE');
    expect(server['OS-EXT-SRV-ATTR:host']).toBe('compute-1');
    await w.novaDemo.deleteServer(server.id as string);
    await w.api('DELETE', `/leases/${one.id}`, w.demo, undefined, [200, 204]);
    // Forbidden on compute-1: compute-2 only.
    const notOne = await flavorWith('e2e-trait-not-one', { [`trait:${ONLY_ONE}`]: 'forbidden' });
    const other = (await w.api('POST', '/leases', w.demo, lease(notOne, 'e2e-trait-not-one'), [201])).lease;
    await w.leaseReaches(other.id as string, 'ACTIVE');
    expect(await reservationSlots(w, other.reservations[0].id as string)).toEqual({ 'compute-2': 1 });
    await w.api('DELETE', `/leases/${other.id}`, w.demo, undefined, [200, 204]);
  });
});
