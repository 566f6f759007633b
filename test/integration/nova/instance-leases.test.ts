/**
 * virtual:instance leases with [compute] driver = nova, against the fake Nova/Placement with the real clients, on
 * SQLite and MariaDB: what start makes (flavor, group, aggregate, access, resource class, and a child resource
 * provider per host with the inventory), what end removes, and faults on one start step and one end step
 * retried to completion with nothing orphaned.
 */
import { reservationResourceClass, slotsProviderName } from '../../../src/plugins/virtual-instance';
import { DIALECTS } from '../../support/database';
import { expectNothingLeft, faultsOn, instanceLease, placementSlots } from './support';
import { ADMIN_CTX, novaWorld, type NovaWorld } from './world';

jest.setTimeout(60_000);

/** Nothing of the reservation left: only the freepool aggregate with every host, no flavor, group, class, provider or inventory. */
function expectClean(w: NovaWorld, rid: string): void {
  expect(w.fake.resourceClasses.has(reservationResourceClass(rid))).toBe(false);
  expectNothingLeft(w.fake);
}

describe.each(DIALECTS)('instance leases in Nova (%s)', (dialect) => {
  let w: NovaWorld;
  beforeEach(async () => {
    w = await novaWorld({ manager: { plugins: ['physical:host', 'virtual:instance'] } }, (fake) => {
      // 8 vCPU, 16 GiB, 100 GB each: 4 slots of the flavor above.
      for (const name of ['compute-1', 'compute-2', 'compute-3']) fake.addHypervisor(name);
    }, { dialect });
    await w.register('compute-1', 'compute-2', 'compute-3');
  });
  afterEach(async () => { await w.close(); });

  const get = (id: string) => w.svc.services.leases.get(ADMIN_CTX, id);

  it('start makes the flavor, group, aggregate and inventory; end deletes the instances and all of it', async () => {
    const lease = await w.svc.services.leases.create(ADMIN_CTX, instanceLease('full'));
    await w.svc.services.runner.runDueOnce();
    const started = await get(lease.id);
    expect(started.status).toBe('ACTIVE');
    const r = started.reservations[0];
    const rid = r.id as string;
    const rc = reservationResourceClass(rid);

    const flavor = w.fake.flavors.get(r.flavor_id as string)!;
    expect(flavor).toMatchObject({ id: rid, name: rid, vcpus: 2, ram: 4096, disk: 10, isPublic: false, access: ['p1'] });
    expect(flavor.extraSpecs).toEqual({
      'climate:reservation': rid, 'aggregate_instance_extra_specs:climate:reservation_id': rid, [`resources:${rc}`]: '1',
    });
    const group = w.fake.serverGroups.get(r.server_group_id as string)!;
    expect(group.policy).toBe('anti-affinity');
    const aggregate = w.fake.aggregates.get(r.aggregate_id as number)!;
    expect(aggregate.hosts.sort()).toEqual(['compute-1', 'compute-2', 'compute-3']);
    expect(aggregate.metadata).toMatchObject({
      'climate:reservation_id': rid, 'climate:owner_project_id': 'p1', 'climate:reservation_type': 'virtual:instance',
    });
    expect(w.fake.aggregateNamed('freepool')!.hosts.sort()).toEqual(['compute-1', 'compute-2', 'compute-3']);
    expect(w.fake.resourceClasses.has(rc)).toBe(true);
    // The slots are on a child of each compute node's provider, which nova-compute rewrites without touching it.
    expect(placementSlots(w.fake, rid)).toEqual({ 'compute-1': 1, 'compute-2': 1, 'compute-3': 1 });
    for (const h of w.fake.hypervisors) w.fake.providers.get(h.providerUuid)!.inventories = { VCPU: { total: 8 }, MEMORY_MB: { total: 16384 }, DISK_GB: { total: 100 } };
    expect(placementSlots(w.fake, rid)).toEqual({ 'compute-1': 1, 'compute-2': 1, 'compute-3': 1 });
    // The reconciler has nothing to say about instance aggregates.
    expect(await w.svc.services.reconciler!.runOnce()).toEqual([]);

    w.fake.serverDeleteDelayMs = 50;
    // Booting with the flavor allocates the reservation's class from the host's child provider: one per host here.
    w.fake.addServer('compute-1', { flavorId: flavor.id, tenantId: 'p1' });
    w.fake.addServer('compute-2', { flavorId: flavor.id, tenantId: 'p1' });
    expect(() => w.fake.addServer('compute-2', { flavorId: flavor.id, tenantId: 'p1' })).toThrow(/No valid host/);
    expect(w.fake.allocations.size).toBe(2);
    const bystander = w.fake.addServer('compute-3', { flavorId: '1' });
    w.clock.set(new Date('2030-01-01T13:00:00Z'));
    await w.svc.services.runner.runDueOnce();
    const ended = await get(lease.id);
    expect(ended.status).toBe('TERMINATED');
    expect(ended.reservations[0]).toMatchObject({ flavor_id: rid, aggregate_id: aggregate.id, server_group_id: group.id });
    expect([...w.fake.servers.keys()]).toEqual([bystander.id]);
    expectClean(w, rid);
    // nova-compute on compute-1 cached the slots provider when it built the reservation's server: it is still
    // there, so a server of another flavor builds on that host at once.
    expect(w.fake.addServer('compute-1', { flavorId: '1' }).host).toBe('compute-1');
  });

  it('affinity true puts every slot on one host with an affinity group; null makes no group', async () => {
    const together = await w.svc.services.leases.create(ADMIN_CTX, instanceLease('together', { amount: 4, affinity: true }));
    const spread = await w.svc.services.leases.create(ADMIN_CTX, instanceLease('spread', { amount: 5, affinity: 'None' }));
    await w.svc.services.runner.runDueOnce();
    const t = (await get(together.id)).reservations[0];
    const s = (await get(spread.id)).reservations[0];
    expect(w.fake.serverGroups.get(t.server_group_id as string)!.policy).toBe('affinity');
    expect(w.fake.aggregates.get(t.aggregate_id as number)!.hosts).toEqual(['compute-1']);
    expect(s.server_group_id).toBeNull();
    expect(w.fake.serverGroups.size).toBe(1);
    expect(placementSlots(w.fake, s.id as string)).toEqual({ 'compute-2': 4, 'compute-3': 1 });
    expect(placementSlots(w.fake, t.id as string)).toEqual({ 'compute-1': 4 });
  });

  it('a start finds the slots provider made before; a provider of that name elsewhere fails it', async () => {
    const lease = await w.svc.services.leases.create(ADMIN_CTX, instanceLease('found', { amount: 1 }));
    const rid = lease.reservations[0].id as string;
    const node = w.fake.hypervisors[0].providerUuid;
    w.fake.providers.set('11111111-1111-4111-8111-111111111111', {
      uuid: '11111111-1111-4111-8111-111111111111', name: slotsProviderName('compute-1'), generation: 0, parentUuid: node, inventories: {},
    });
    w.fake.raceInventoryWrites(2); // nova-compute writing its node meanwhile: the generation is read again
    await w.svc.services.runner.runDueOnce();
    expect((await get(lease.id)).status).toBe('ACTIVE');
    expect(w.fake.providers.get('11111111-1111-4111-8111-111111111111')!.inventories).toMatchObject({ [reservationResourceClass(rid)]: { total: 1 } });
    expect(placementSlots(w.fake, rid)).toEqual({ 'compute-1': 1 });

    const other = await w.svc.services.leases.create(ADMIN_CTX, instanceLease('clash', { amount: 1, affinity: 'True' }, { end_date: '2030-01-01 12:30' }));
    // Whichever host it gets, a provider with its slots provider's name is not a child of the host's node.
    w.fake.providers.get('11111111-1111-4111-8111-111111111111')!.parentUuid = null;
    for (const [i, host] of ['compute-2', 'compute-3'].entries()) {
      const uuid = `2222222${i}-2222-4222-8222-222222222222`;
      w.fake.providers.set(uuid, { uuid, name: slotsProviderName(host), generation: 0, parentUuid: null, inventories: {} });
    }
    await w.svc.services.runner.runDueOnce();
    const clash = await get(other.id);
    expect(clash.status).toBe('STARTING');
    expect(clash.events.find((e) => e.event_type === 'start_lease')).toMatchObject({ status: 'UNDONE' });
    const [row] = await w.svc.services.db.select<{ last_error: string }>('SELECT last_error FROM events WHERE lease_id = ? AND event_type = ?',
      [other.id, 'start_lease']);
    expect(row.last_error).toMatch(/exists under no parent/);
  });

  // "Reply lost": the step was done but answered 500 (twice: the client's retry too). Placement's inventory write
  // carries the provider generation, so a lost reply there is recovered within the attempt: it fails outright instead.
  // A provider create whose reply was lost is recovered within the attempt too (the client's retry gets a 409 on
  // the name and finds it): `true` marks the steps whose first attempt succeeds anyway.
  const lost = { status: 500, afterHandling: true, times: 2 };
  const startSteps: [string, typeof lost | { status: number; times: number }, boolean][] = [
    ['POST /flavors', lost, false], ['POST /os-server-groups', lost, false], ['POST /os-aggregates', lost, false],
    ['POST /os-aggregates/{id}/action:add_host', lost, false], ['POST /flavors/{id}/os-extra_specs', lost, false],
    ['POST /flavors/{id}/action:addTenantAccess', lost, false], ['PUT /resource_classes/{id}', lost, false],
    ['POST /resource_providers', lost, true], ['POST /resource_providers', { status: 503, times: 2 }, false],
    ['POST /resource_providers/{id}/inventories', { status: 503, times: 2 }, false], ['POST /resource_providers/{id}/inventories', lost, false],
  ];
  it.each(faultsOn(dialect, startSteps))('a start whose "%s" fails (%j) is retried to completion', async (route, fault, firstAttempt) => {
    const lease = await w.svc.services.leases.create(ADMIN_CTX, instanceLease(`s-${route}`));
    w.fake.fault(route, fault);
    await w.svc.services.runner.runDueOnce();
    expect((await get(lease.id)).status).toBe(firstAttempt ? 'ACTIVE' : 'STARTING');
    expect(w.fake.calls(route).length).toBeGreaterThanOrEqual(firstAttempt ? 2 : 1);
    await w.runEvents(3);
    const active = await get(lease.id);
    expect(active.status).toBe('ACTIVE');
    const r = active.reservations[0];
    expect(w.fake.flavors.size).toBe(1);
    expect(w.fake.flavors.get(r.flavor_id as string)!.access).toEqual(['p1']);
    expect([...w.fake.serverGroups.keys()]).toEqual([r.server_group_id]);
    expect([...w.fake.aggregates.values()].map((a) => a.name).sort()).toEqual(['freepool', `reservation-${r.id}`]);
    expect(w.fake.aggregates.get(r.aggregate_id as number)!.hosts).toHaveLength(3);
    expect(placementSlots(w.fake, r.id as string)).toEqual({ 'compute-1': 1, 'compute-2': 1, 'compute-3': 1 });
    // Then the end removes everything the retried start made.
    w.clock.set(new Date('2030-01-01T13:00:00Z'));
    await w.runEvents(2);
    expect((await get(lease.id)).status).toBe('TERMINATED');
    expectClean(w, r.id as string);
  });

  const endSteps = ['GET /servers/detail', 'DELETE /flavors/{id}', 'DELETE /os-server-groups/{id}', 'POST /os-aggregates/{id}/action:remove_host',
    'GET /resource_providers', 'DELETE /resource_providers/{id}/inventories/{id}', 'DELETE /resource_classes/{id}'];
  it.each(faultsOn(dialect, endSteps))('an end whose "%s" fails is retried to completion, nothing orphaned', async (route) => {
    const lease = await w.svc.services.leases.create(ADMIN_CTX, instanceLease(`e-${route}`));
    await w.svc.services.runner.runDueOnce();
    const r = (await get(lease.id)).reservations[0];
    w.fake.addServer('compute-2', { flavorId: r.flavor_id as string });
    w.fake.fault(route, { status: 503, times: 2 });
    w.clock.set(new Date('2030-01-01T13:00:00Z'));
    await w.svc.services.runner.runDueOnce();
    expect((await get(lease.id)).status).toBe('TERMINATING');
    await w.runEvents(3);
    expect((await get(lease.id)).status).toBe('TERMINATED');
    expect(w.fake.servers.size).toBe(0);
    expectClean(w, r.id as string);
  });

  it('an end waits for Placement to drop the allocations of its class before deleting the inventory (409 until then)', async () => {
    const lease = await w.svc.services.leases.create(ADMIN_CTX, instanceLease('held'));
    await w.svc.services.runner.runDueOnce();
    const rid = (await get(lease.id)).reservations[0].id as string;
    const rc = reservationResourceClass(rid);
    const child = [...w.fake.providers.values()].find((p) => p.name === slotsProviderName('compute-3'))!;
    // An instance Nova no longer lists whose allocation Placement still has (Nova removes it a moment later).
    w.fake.allocations.set('a1b2c3d4-0000-4000-8000-000000000000', { [child.uuid]: { [rc]: 1 } });
    w.clock.set(new Date('2030-01-01T13:00:00Z'));
    await w.svc.services.runner.runDueOnce();
    expect((await get(lease.id)).status).toBe('TERMINATING');
    expect(w.fake.calls('DELETE /resource_providers/{id}/inventories/{id}').length).toBeGreaterThan(0);
    expect(w.fake.providers.get(child.uuid)!.inventories[rc]).toBeDefined();
    w.fake.allocations.clear();
    await w.runEvents(3);
    expect((await get(lease.id)).status).toBe('TERMINATED');
    expectClean(w, rid);
  });

  it('a start that keeps failing leaves the lease in ERROR; end_lease still removes what it made', async () => {
    const lease = await w.svc.services.leases.create(ADMIN_CTX, instanceLease('doomed'));
    w.fake.fault('POST /os-aggregates/{id}/action:add_host', { status: 500, times: Infinity });
    await w.runEvents(5);
    const failed = await get(lease.id);
    expect(failed.status).toBe('ERROR');
    expect(failed.status_reason).toMatch(/start_lease failed after 4 attempt\(s\)/);
    expect(w.fake.flavors.size).toBe(1);
    w.fake.clearFaults();
    w.clock.set(new Date('2030-01-01T13:00:00Z'));
    await w.svc.services.runner.runDueOnce();
    expect((await get(lease.id)).status).toBe('TERMINATED');
    expectClean(w, failed.reservations[0].id as string);
  });

  it('deleting an active lease removes what its start made', async () => {
    const lease = await w.svc.services.leases.create(ADMIN_CTX, instanceLease('deleted', { affinity: 'True' }));
    await w.svc.services.runner.runDueOnce();
    const rid = (await get(lease.id)).reservations[0].id as string;
    await w.svc.services.leases.delete(ADMIN_CTX, lease.id);
    expectClean(w, rid);
  });
});
