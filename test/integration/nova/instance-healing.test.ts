/**
 * Host healing of virtual:instance reservations (compute driver nova), on SQLite and MariaDB: the slots a
 * reservation holds on a failed host move to hosts with room (a pending one in the database only; an active one
 * also in Nova and Placement, through the update_lease event its healing schedules), the reservation is flagged
 * and announced as for host reservations, and faults while the cloud follows are retried with nothing orphaned.
 */
import type { HostHealer } from '../../../src/manager';
import { DIALECTS } from '../../support/database';
import { COMPUTE, expectNothingLeft, instanceLease, placementSlots } from './support';
import { ADMIN_CTX, novaWorld, type NovaWorld } from './world';

jest.setTimeout(60_000);

const NOTHING = { failed: [], recovered: [], degraded: [], healed: [], replaced: [], synced: [] };

describe.each(DIALECTS)('instance healing (%s)', (dialect) => {
  let w: NovaWorld;
  let ids: Record<string, number>;
  let healer: HostHealer;

  beforeEach(async () => {
    w = await novaWorld({ manager: { plugins: ['physical:host', 'virtual:instance'] } }, (fake) => {
      // 4 slots of the lease's flavor on each.
      for (const h of COMPUTE) fake.addHypervisor(h);
    }, { dialect });
    const registered = await w.register(...COMPUTE);
    ids = Object.fromEntries(COMPUTE.map((h, i) => [h, Number(registered[i])]));
    healer = w.svc.services.healer!;
  });
  afterEach(async () => { await w.close(); });

  const nova = (name: string) => w.fake.hypervisors.find((h) => h.hypervisorHostname === name)!;
  const view = (id: string) => w.svc.services.leases.get(ADMIN_CTX, id);
  const slots = async (rid: string) => {
    const out: Record<number, number> = {};
    for (const a of await w.svc.services.repos.instanceAllocations.list({ reservationId: rid })) out[a.hostId] = (out[a.hostId] ?? 0) + a.slots;
    return out;
  };
  const notifications = async () => (await w.svc.services.repos.outbox.pending(1000))
    .filter((n) => n.eventType.startsWith('reservation.'))
    .map((n) => ({ type: n.eventType, payload: JSON.parse(n.payload) as Record<string, unknown> }));
  async function expectIdempotent(): Promise<void> {
    const before = await notifications();
    expect(await healer.runOnce()).toEqual(NOTHING);
    expect(await notifications()).toEqual(before);
  }

  it('moves a pending reservation\'s slots off a down host, onto the hosts it holds first', async () => {
    const l = await w.svc.services.leases.create(ADMIN_CTX, instanceLease('pending', { amount: 6, affinity: 'None' },
      { start_date: '2030-01-02 12:00', end_date: '2030-01-02 13:00' }));
    const rid = l.reservations[0].id as string;
    expect(await slots(rid)).toEqual({ [ids['compute-1']]: 4, [ids['compute-2']]: 2 });

    nova('compute-1').state = 'down';
    const report = await healer.runOnce();
    expect(report.replaced).toEqual([{ reservationId: rid, removed: [ids['compute-1']], added: [ids['compute-2'], ids['compute-3']] }]);
    expect(await slots(rid)).toEqual({ [ids['compute-2']]: 4, [ids['compute-3']]: 2 });
    const after = await view(l.id);
    expect(after.degraded).toBe(false);
    expect(after.reservations[0]).toMatchObject({ missing_resources: false, resources_changed: true, amount: 6 });
    expect(after.events.map((e) => e.event_type)).not.toContain('update_lease'); // nothing in the cloud yet
    const sent = await notifications();
    expect(sent.map((n) => n.type)).toEqual(['reservation.degraded', 'reservation.healed']);
    expect(sent[0].payload).toMatchObject({ reservation_id: rid, missing_host_ids: [String(ids['compute-1'])] });
    expect(sent[1].payload).toMatchObject({ replacement_host_ids: [String(ids['compute-2']), String(ids['compute-3'])] });
    await expectIdempotent();

    // It starts on the hosts it now holds.
    w.clock.set(new Date('2030-01-02T12:00:00Z'));
    await w.svc.services.runner.runDueOnce();
    expect((await view(l.id)).status).toBe('ACTIVE');
    expect(placementSlots(w.fake, rid)).toEqual({ 'compute-2': 4, 'compute-3': 2 });
    expect(w.fake.aggregateNamed(`reservation-${rid}`)!.hosts.sort()).toEqual(['compute-2', 'compute-3']);
  });

  it('moves an active reservation\'s slot: the new host joins, the failed one leaves with its instance and provider', async () => {
    const l = await w.svc.services.leases.create(ADMIN_CTX, instanceLease('active', { amount: 2, affinity: 'False' }));
    await w.svc.services.runner.runDueOnce();
    const r = (await view(l.id)).reservations[0];
    const rid = r.id as string;
    expect(placementSlots(w.fake, rid)).toEqual({ 'compute-1': 1, 'compute-2': 1 });
    const mine = w.fake.addServer('compute-1', { flavorId: r.flavor_id as string, tenantId: 'p1' });
    const kept = w.fake.addServer('compute-2', { flavorId: r.flavor_id as string, tenantId: 'p1' });
    const bystander = w.fake.addServer('compute-1', { flavorId: '1' });
    w.clock.set(new Date('2030-01-01T12:20:00Z'));

    nova('compute-1').state = 'down';
    const report = await healer.runOnce();
    expect(report).toMatchObject({ replaced: [{ reservationId: rid, removed: [ids['compute-1']], added: [ids['compute-3']] }], synced: [] });
    const rows = await w.svc.services.repos.instanceAllocations.list({ reservationId: rid });
    expect(rows.map((a) => [a.hostId, a.slots, a.startDate.toISOString()])).toEqual([
      [ids['compute-2'], 1, '2030-01-01T12:00:00.000Z'], [ids['compute-3'], 1, '2030-01-01T12:20:00.000Z']]);
    const healed = await view(l.id);
    expect(healed.reservations[0]).toMatchObject({ status: 'active', missing_resources: false, resources_changed: true });
    expect(healed.events.find((e) => e.event_type === 'update_lease')).toMatchObject({ status: 'UNDONE' });
    expect(placementSlots(w.fake, rid)).toEqual({ 'compute-1': 1, 'compute-2': 1 }); // committed first, cloud next

    await w.svc.services.runner.runDueOnce();
    expect((await view(l.id)).events.find((e) => e.event_type === 'update_lease')).toMatchObject({ status: 'DONE' });
    expect(placementSlots(w.fake, rid)).toEqual({ 'compute-2': 1, 'compute-3': 1 });
    expect(w.fake.aggregateNamed(`reservation-${rid}`)!.hosts.sort()).toEqual(['compute-2', 'compute-3']);
    expect([...w.fake.servers.keys()].sort()).toEqual([kept.id, bystander.id].sort());
    expect(w.fake.servers.has(mine.id)).toBe(false);
    expect([...w.fake.allocations.keys()]).toEqual([kept.id]);
    await expectIdempotent();

    w.clock.set(new Date('2030-01-01T13:00:00Z'));
    await w.runEvents(2);
    expect((await view(l.id)).status).toBe('TERMINATED');
    expectNothingLeft(w.fake);
    expect([...w.fake.servers.keys()]).toEqual([bystander.id]);
  });

  it('affinity: the whole reservation moves to one host with room for all of it', async () => {
    const l = await w.svc.services.leases.create(ADMIN_CTX, instanceLease('together', { amount: 3, affinity: 'True' },
      { start_date: '2030-01-02 12:00', end_date: '2030-01-02 13:00' }));
    await w.svc.services.leases.create(ADMIN_CTX, instanceLease('other', { amount: 2, affinity: 'True' },
      { start_date: '2030-01-02 12:00', end_date: '2030-01-02 13:00' })); // compute-2 then has 2 left: not enough
    const rid = l.reservations[0].id as string;
    expect(await slots(rid)).toEqual({ [ids['compute-1']]: 3 });
    Object.assign(nova('compute-1'), { status: 'disabled', disabledReason: 'maintenance' });
    await healer.runOnce();
    expect(await slots(rid)).toEqual({ [ids['compute-3']]: 3 });
  });

  it('with no room the reservation stays degraded, its failed host left alone in the cloud, until the host is back', async () => {
    const a = await w.svc.services.leases.create(ADMIN_CTX, instanceLease('a', { amount: 4, affinity: 'True' }));
    await w.svc.services.leases.create(ADMIN_CTX, instanceLease('b', { amount: 8, affinity: 'None' }));
    await w.svc.services.runner.runDueOnce();
    const rid = (await view(a.id)).reservations[0].id as string;
    Object.assign(nova('compute-1'), { status: 'disabled', disabledReason: 'maintenance' });
    const report = await healer.runOnce();
    expect(report).toMatchObject({ degraded: [rid], replaced: [] });
    const degraded = await view(a.id);
    expect(degraded.degraded).toBe(true);
    expect(degraded.reservations[0]).toMatchObject({ missing_resources: true, resources_changed: false });
    expect(degraded.events.map((e) => e.event_type)).not.toContain('update_lease');
    expect(placementSlots(w.fake, rid)).toEqual({ 'compute-1': 4 });
    await expectIdempotent();

    Object.assign(nova('compute-1'), { status: 'enabled', disabledReason: null });
    expect(await healer.runOnce()).toMatchObject({ recovered: [ids['compute-1']], healed: [rid] });
    expect((await view(a.id)).degraded).toBe(false);
    await expectIdempotent();
    await w.svc.services.runner.runDueOnce();
    expect(placementSlots(w.fake, rid)).toEqual({ 'compute-1': 4 });
  });

  it('a host gone from Nova when the lease starts is left out of the cloud, and brought in once it is back', async () => {
    const window = { start_date: '2030-01-02 12:00', end_date: '2030-01-02 13:00' };
    const a = await w.svc.services.leases.create(ADMIN_CTX, instanceLease('a', { amount: 4, affinity: 'True' }, window));
    await w.svc.services.leases.create(ADMIN_CTX, instanceLease('b', { amount: 8, affinity: 'None' }, window));
    const rid = a.reservations[0].id as string;
    const gone = nova('compute-1');
    w.fake.hypervisors.splice(w.fake.hypervisors.indexOf(gone), 1);
    for (const agg of w.fake.aggregates.values()) agg.hosts = agg.hosts.filter((h) => h !== 'compute-1');
    expect(await healer.runOnce()).toMatchObject({ failed: [{ status: 'missing' }], degraded: [rid], replaced: [] });

    w.clock.set(new Date('2030-01-02T12:00:00Z'));
    await w.svc.services.runner.runDueOnce();
    expect((await view(a.id)).status).toBe('ACTIVE');
    expect(w.fake.aggregateNamed(`reservation-${rid}`)!.hosts).toEqual([]);
    expect(placementSlots(w.fake, rid)).toEqual({});

    w.fake.hypervisors.unshift(gone);
    w.fake.aggregateNamed('freepool')!.hosts.push('compute-1');
    expect(await healer.runOnce()).toMatchObject({ recovered: [ids['compute-1']], healed: [rid] });
    await w.svc.services.runner.runDueOnce();
    expect(placementSlots(w.fake, rid)).toEqual({ 'compute-1': 4 });
    expect(w.fake.aggregateNamed(`reservation-${rid}`)!.hosts).toEqual(['compute-1']);
  });

  it('a host gone from Nova: its slots move to another host\'s slots provider', async () => {
    const l = await w.svc.services.leases.create(ADMIN_CTX, instanceLease('gone', { amount: 1, affinity: 'None' }));
    await w.svc.services.runner.runDueOnce();
    const rid = (await view(l.id)).reservations[0].id as string;
    // Nova deletes a removed compute service's host from its aggregates.
    w.fake.hypervisors.splice(w.fake.hypervisors.indexOf(nova('compute-1')), 1);
    for (const agg of w.fake.aggregates.values()) agg.hosts = agg.hosts.filter((h) => h !== 'compute-1');
    expect(await healer.runOnce()).toMatchObject({ failed: [{ status: 'missing' }], replaced: [{ reservationId: rid, added: [ids['compute-2']] }] });
    await w.svc.services.runner.runDueOnce();
    expect(placementSlots(w.fake, rid)).toEqual({ 'compute-2': 1 });
    expect(w.fake.aggregateNamed(`reservation-${rid}`)!.hosts).toEqual(['compute-2']);
  });

  // The cloud follows a healed active reservation through update_lease: faults on its steps are retried.
  const steps: [string, { status: number; times: number; afterHandling?: boolean }][] = [
    ['POST /resource_providers', { status: 503, times: 2 }],
    ['GET /servers/detail', { status: 503, times: 2 }],
    ['DELETE /servers/{id}', { status: 503, times: 2 }],
    ['POST /os-aggregates/{id}/action:remove_host', { status: 500, times: 2, afterHandling: true }],
    ['DELETE /resource_providers/{id}/inventories/{id}', { status: 503, times: 2 }],
  ];
  it.each(steps)('a healed active reservation whose "%s" fails is completed by the retried event, nothing orphaned', async (route, fault) => {
    const l = await w.svc.services.leases.create(ADMIN_CTX, instanceLease('active', { amount: 2, affinity: 'False' }));
    await w.svc.services.runner.runDueOnce();
    const r = (await view(l.id)).reservations[0];
    const rid = r.id as string;
    w.fake.addServer('compute-1', { flavorId: r.flavor_id as string, tenantId: 'p1' });
    nova('compute-1').state = 'down';
    await healer.runOnce();
    w.fake.fault(route, fault);
    await w.svc.services.runner.runDueOnce();
    expect((await view(l.id)).events.find((e) => e.event_type === 'update_lease')).toMatchObject({ status: 'UNDONE' });
    await w.runEvents(3);
    const done = await view(l.id);
    expect(done.status).toBe('ACTIVE');
    expect(done.events.find((e) => e.event_type === 'update_lease')).toMatchObject({ status: 'DONE' });
    expect(placementSlots(w.fake, rid)).toEqual({ 'compute-2': 1, 'compute-3': 1 });
    expect(w.fake.aggregateNamed(`reservation-${rid}`)!.hosts.sort()).toEqual(['compute-2', 'compute-3']);
    expect(w.fake.servers.size).toBe(0);

    w.clock.set(new Date('2030-01-01T13:00:00Z'));
    await w.runEvents(2);
    expect((await view(l.id)).status).toBe('TERMINATED');
    expectNothingLeft(w.fake);
  });
});

describe('instance healing wiring', () => {
  it('runs with virtual:instance alone, as with physical:host alone', async () => {
    const only = await novaWorld({ manager: { plugins: ['virtual:instance'] }, nova: { healingIntervalMs: 5000 } },
      (fake) => fake.addHypervisor('compute-1'));
    const none = await novaWorld({ manager: { plugins: ['physical:host'] } }, (fake) => fake.addHypervisor('compute-1'));
    try {
      expect(only.svc.services.healer).not.toBeNull();
      expect(only.svc.services.managerJobs).toHaveLength(1);
      await only.register('compute-1');
      const l = await only.svc.services.leases.create(ADMIN_CTX, instanceLease('l', { amount: 1 }, { start_date: '2030-01-02 12:00', end_date: '2030-01-02 13:00' }));
      only.fake.hypervisors[0].state = 'down';
      expect(await only.svc.services.healer!.runOnce()).toMatchObject({ degraded: [l.reservations[0].id] });
      expect(none.svc.services.healer).not.toBeNull();
    } finally {
      await only.close();
      await none.close();
    }
  });
});
