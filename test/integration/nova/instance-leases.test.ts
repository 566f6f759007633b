/**
 * virtual:instance leases with [compute] driver = nova, against the fake Nova/Placement with the real clients:
 * what start makes (flavor, group, aggregate, access, resource class and inventory), what end removes, and
 * faults on one start step and one end step retried to completion with nothing orphaned.
 */
import { reservationResourceClass } from '../../../src/plugins/virtual-instance';
import { ADMIN_CTX, novaWorld, type NovaWorld } from './world';

const instanceLease = (name: string, extra: Record<string, unknown> = {}) => ({
  name, start_date: 'now', end_date: '2030-01-01 13:00',
  reservations: [{
    resource_type: 'virtual:instance', amount: 3, vcpus: 2, memory_mb: 4096, disk_gb: 10, affinity: 'False', resource_properties: '', ...extra,
  }],
});

/** Nothing of the reservation left: only the freepool aggregate with every host, no flavor, group, class or inventory. */
function expectClean(w: NovaWorld, rid: string): void {
  expect([...w.fake.aggregates.values()].map((a) => a.name)).toEqual(['freepool']);
  expect(w.fake.aggregateNamed('freepool')!.hosts.sort()).toEqual(['compute-1', 'compute-2', 'compute-3']);
  expect(w.fake.flavors.size).toBe(0);
  expect(w.fake.serverGroups.size).toBe(0);
  expect(w.fake.resourceClasses.has(reservationResourceClass(rid))).toBe(false);
  for (const p of w.fake.providers.values()) expect(Object.keys(p.inventories).sort()).toEqual(['DISK_GB', 'MEMORY_MB', 'VCPU']);
}

describe('instance leases in Nova', () => {
  let w: NovaWorld;
  beforeEach(async () => {
    w = await novaWorld({ manager: { plugins: ['physical:host', 'virtual:instance'] } }, (fake) => {
      // 8 vCPU, 16 GiB, 100 GB each: 4 slots of the flavor above.
      for (const name of ['compute-1', 'compute-2', 'compute-3']) fake.addHypervisor(name);
    });
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
    for (const p of w.fake.providers.values()) expect(p.inventories[rc]).toMatchObject({ total: 1 });
    // The reconciler has nothing to say about instance aggregates.
    expect(await w.svc.services.reconciler!.runOnce()).toEqual([]);

    w.fake.serverDeleteDelayMs = 50;
    w.fake.addServer('compute-1', { flavorId: flavor.id, tenantId: 'p1' });
    w.fake.addServer('compute-2', { flavorId: flavor.id, tenantId: 'p1' });
    const bystander = w.fake.addServer('compute-3', { flavorId: '1' });
    w.clock.set(new Date('2030-01-01T13:00:00Z'));
    await w.svc.services.runner.runDueOnce();
    const ended = await get(lease.id);
    expect(ended.status).toBe('TERMINATED');
    expect(ended.reservations[0]).toMatchObject({ flavor_id: rid, aggregate_id: aggregate.id, server_group_id: group.id });
    expect([...w.fake.servers.keys()]).toEqual([bystander.id]);
    expectClean(w, rid);
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
    const rc = reservationResourceClass(s.id as string);
    const totals = [...w.fake.providers.values()].map((p) => [p.name, p.inventories[rc]?.total]).sort();
    expect(totals).toEqual([['compute-1', undefined], ['compute-2', 4], ['compute-3', 1]]);
  });

  // "Reply lost": the step was done but answered 500 (twice: the client's retry too). Placement's inventory write
  // carries the provider generation, so a lost reply there is recovered within the attempt: it fails outright instead.
  const lost = { status: 500, afterHandling: true, times: 2 };
  const startSteps: [string, typeof lost | { status: number; times: number }][] = [
    ['POST /flavors', lost], ['POST /os-server-groups', lost], ['POST /os-aggregates', lost], ['POST /os-aggregates/{id}/action:add_host', lost],
    ['POST /flavors/{id}/os-extra_specs', lost], ['POST /flavors/{id}/action:addTenantAccess', lost], ['PUT /resource_classes/{id}', lost],
    ['PUT /resource_providers/{id}/inventories/{id}', { status: 503, times: 2 }],
  ];
  it.each(startSteps)('a start whose "%s" fails is retried to completion', async (route, fault) => {
    const lease = await w.svc.services.leases.create(ADMIN_CTX, instanceLease(`s-${route}`));
    w.fake.fault(route, fault);
    await w.svc.services.runner.runDueOnce();
    expect((await get(lease.id)).status).toBe('STARTING');
    await w.runEvents(3);
    const active = await get(lease.id);
    expect(active.status).toBe('ACTIVE');
    const r = active.reservations[0];
    expect(w.fake.flavors.size).toBe(1);
    expect(w.fake.flavors.get(r.flavor_id as string)!.access).toEqual(['p1']);
    expect([...w.fake.serverGroups.keys()]).toEqual([r.server_group_id]);
    expect([...w.fake.aggregates.values()].map((a) => a.name).sort()).toEqual(['freepool', `reservation-${r.id}`]);
    expect(w.fake.aggregates.get(r.aggregate_id as number)!.hosts).toHaveLength(3);
    // Then the end removes everything the retried start made.
    w.clock.set(new Date('2030-01-01T13:00:00Z'));
    await w.runEvents(2);
    expect((await get(lease.id)).status).toBe('TERMINATED');
    expectClean(w, r.id as string);
  });

  const endSteps = ['GET /servers/detail', 'DELETE /flavors/{id}', 'DELETE /os-server-groups/{id}', 'POST /os-aggregates/{id}/action:remove_host',
    'DELETE /resource_providers/{id}/inventories/{id}', 'DELETE /resource_classes/{id}'];
  it.each(endSteps)('an end whose "%s" fails is retried to completion, nothing orphaned', async (route) => {
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
