import request from 'supertest';
import type { HostHealer } from '../../../src/manager';
import { DIALECTS } from '../../support/database';
import { ADMIN_CTX, novaWorld, type NovaWorld } from './world';

jest.setTimeout(60_000);

const HOSTS = ['compute-1', 'compute-2', 'compute-3'];

const lease = (name: string, extra: Record<string, unknown> = {}, reservation: Record<string, unknown> = {}) => ({
  name, start_date: '2030-01-02 12:00', end_date: '2030-01-02 13:00',
  reservations: [{ resource_type: 'physical:host', min: 1, max: 1, hypervisor_properties: '', resource_properties: '', ...reservation }],
  ...extra,
});

describe.each(DIALECTS)('host healing (compute driver nova, %s)', (dialect) => {
  let w: NovaWorld;
  let ids: Record<string, string>;
  let healer: HostHealer;

  beforeEach(async () => {
    w = await novaWorld({}, (fake) => { for (const h of HOSTS) fake.addHypervisor(h); }, { dialect });
    const registered = await w.register(...HOSTS);
    ids = Object.fromEntries(HOSTS.map((h, i) => [h, registered[i]]));
    healer = w.svc.services.healer!;
  });
  afterEach(async () => { await w.close(); });

  const nova = (name: string) => w.fake.hypervisors.find((h) => h.hypervisorHostname === name)!;
  const host = async (name: string) => (await request(w.svc.app).get(`/v1/os-hosts/${ids[name]}`)).body.host;
  const view = (id: string) => w.svc.services.leases.get(ADMIN_CTX, id);
  const held = async (reservationId: string) =>
    (await w.svc.services.repos.hostAllocations.list({ reservationId })).map((a) => String(a.hostId)).sort();
  const notifications = async (type?: string) => (await w.svc.services.repos.outbox.pending(1000))
    .filter((n) => n.eventType.startsWith('reservation.') && (!type || n.eventType === type))
    .map((n) => ({ type: n.eventType, priority: n.priority, payload: JSON.parse(n.payload) as Record<string, unknown> }));
  /** A second run must find nothing to do. */
  async function expectIdempotent(): Promise<void> {
    const before = await notifications();
    const again = await healer.runOnce();
    expect(again).toEqual({ failed: [], recovered: [], degraded: [], healed: [], replaced: [], synced: [] });
    expect(await notifications()).toEqual(before);
  }

  it('replaces a down host of a pending reservation, announces it, and keeps new leases off the host', async () => {
    const l = await w.svc.services.leases.create(ADMIN_CTX, lease('pending'));
    const rid = l.reservations[0].id as string;
    expect(await held(rid)).toEqual([ids['compute-1']]);

    nova('compute-1').state = 'down';
    const report = await healer.runOnce();
    expect(report.failed).toEqual([{ hostId: Number(ids['compute-1']), status: 'down' }]);
    expect(report.replaced).toEqual([{ reservationId: rid, removed: [Number(ids['compute-1'])], added: [Number(ids['compute-2'])] }]);
    expect(await held(rid)).toEqual([ids['compute-2']]);
    expect(await host('compute-1')).toMatchObject({ reservable: false, status: 'down' });

    const after = await view(l.id);
    expect(after.degraded).toBe(false);
    expect(after.reservations[0]).toMatchObject({ missing_resources: false, resources_changed: true });
    const sent = await notifications();
    expect(sent.map((n) => [n.type, n.priority])).toEqual([['reservation.degraded', 'WARN'], ['reservation.healed', 'INFO']]);
    expect(sent[0].payload).toMatchObject({ id: l.id, reservation_id: rid, missing_host_ids: [ids['compute-1']] });
    expect(sent[1].payload).toMatchObject({ id: l.id, reservation_id: rid, replacement_host_ids: [ids['compute-2']] });
    expect((sent[1].payload.reservations as Record<string, unknown>[])[0]).toMatchObject({ resources_changed: true });
    await expectIdempotent();

    // New leases avoid the failed host: compute-2 is taken, compute-1 is down, compute-3 is what is left.
    const next = await w.svc.services.leases.create(ADMIN_CTX, lease('next'));
    expect(await held(next.reservations[0].id as string)).toEqual([ids['compute-3']]);

    nova('compute-1').state = 'up';
    const back = await healer.runOnce();
    expect(back.recovered).toEqual([Number(ids['compute-1'])]);
    expect(await host('compute-1')).toMatchObject({ reservable: true, status: null });
    expect(back.healed).toEqual([]); // nothing was missing any more
    await expectIdempotent();
  });

  it('a disabled service counts as down; with no free host the lease stays degraded until the host is back', async () => {
    const a = await w.svc.services.leases.create(ADMIN_CTX, lease('a'));
    const b = await w.svc.services.leases.create(ADMIN_CTX, lease('b'));
    const c = await w.svc.services.leases.create(ADMIN_CTX, lease('c'));
    const rid = a.reservations[0].id as string;
    expect(await held(rid)).toEqual([ids['compute-1']]);
    expect([await held(b.reservations[0].id as string), await held(c.reservations[0].id as string)])
      .toEqual([[ids['compute-2']], [ids['compute-3']]]);

    Object.assign(nova('compute-1'), { status: 'disabled', disabledReason: 'maintenance' });
    const report = await healer.runOnce();
    expect(report).toMatchObject({ failed: [{ hostId: Number(ids['compute-1']), status: 'disabled' }], replaced: [], degraded: [rid] });
    expect(await held(rid)).toEqual([ids['compute-1']]);
    const degraded = await view(a.id);
    expect(degraded.degraded).toBe(true);
    expect(degraded.reservations[0]).toMatchObject({ missing_resources: true, resources_changed: false });
    expect((await view(b.id)).degraded).toBe(false);
    const [notice] = await notifications();
    expect(notice).toMatchObject({ type: 'reservation.degraded', priority: 'WARN' });
    expect(notice.payload).toMatchObject({ id: a.id, degraded: true, reservation_id: rid, missing_host_ids: [ids['compute-1']] });
    await expectIdempotent();

    Object.assign(nova('compute-1'), { status: 'enabled', disabledReason: null });
    const back = await healer.runOnce();
    expect(back).toMatchObject({ recovered: [Number(ids['compute-1'])], healed: [rid], replaced: [] });
    const healed = await view(a.id);
    expect(healed.degraded).toBe(false);
    expect(healed.reservations[0]).toMatchObject({ missing_resources: false, resources_changed: false });
    const last = (await notifications()).at(-1)!;
    expect(last).toMatchObject({ type: 'reservation.healed', priority: 'INFO' });
    expect(last.payload).toMatchObject({ id: a.id, degraded: false, reservation_id: rid, replacement_host_ids: [] });
    await expectIdempotent();
  });

  it('a degraded reservation is replaced later, when a matching host becomes free', async () => {
    const a = await w.svc.services.leases.create(ADMIN_CTX, lease('a', {}, { min: 2, max: 2 }));
    const b = await w.svc.services.leases.create(ADMIN_CTX, lease('b'));
    const rid = a.reservations[0].id as string;
    nova('compute-2').state = 'down';
    expect((await healer.runOnce()).degraded).toEqual([rid]);
    expect((await view(a.id)).degraded).toBe(true);

    await w.svc.services.leases.delete(ADMIN_CTX, b.id); // frees compute-3
    const report = await healer.runOnce();
    expect(report).toMatchObject({ degraded: [], healed: [rid], replaced: [{ reservationId: rid, removed: [Number(ids['compute-2'])], added: [Number(ids['compute-3'])] }] });
    expect(await held(rid)).toEqual([ids['compute-1'], ids['compute-3']]);
    expect((await view(a.id)).degraded).toBe(false);
    await expectIdempotent();
  });

  it('a degraded lease moved by an update to a window with free hosts is healed by the next run', async () => {
    const a = await w.svc.services.leases.create(ADMIN_CTX, lease('a'));
    await w.svc.services.leases.create(ADMIN_CTX, lease('b'));
    await w.svc.services.leases.create(ADMIN_CTX, lease('c'));
    const rid = a.reservations[0].id as string;
    nova('compute-1').state = 'down';
    await healer.runOnce();
    expect((await view(a.id)).degraded).toBe(true);
    await w.svc.services.leases.update(ADMIN_CTX, a.id, { start_date: '2030-01-03 12:00', end_date: '2030-01-03 13:00' });
    expect(await held(rid)).toEqual([ids['compute-2']]); // the update left the failed host
    expect(await healer.runOnce()).toMatchObject({ healed: [rid], replaced: [] });
    expect((await view(a.id)).degraded).toBe(false);
    await expectIdempotent();
  });

  it('a replacement matches the reservation\'s filters', async () => {
    await w.svc.services.hosts.update(ids['compute-1'], { gpu: 'True' });
    await w.svc.services.hosts.update(ids['compute-3'], { gpu: 'True' });
    const l = await w.svc.services.leases.create(ADMIN_CTX, lease('gpu', {}, { resource_properties: '["==", "$gpu", "True"]' }));
    const rid = l.reservations[0].id as string;
    expect(await held(rid)).toEqual([ids['compute-1']]);
    nova('compute-1').state = 'down';
    await healer.runOnce();
    expect(await held(rid)).toEqual([ids['compute-3']]); // not compute-2, which has no gpu
  });

  it('a hypervisor gone from Nova counts as missing', async () => {
    const l = await w.svc.services.leases.create(ADMIN_CTX, lease('gone'));
    const rid = l.reservations[0].id as string;
    w.fake.hypervisors.splice(w.fake.hypervisors.indexOf(nova('compute-1')), 1);
    const report = await healer.runOnce();
    expect(report.failed).toEqual([{ hostId: Number(ids['compute-1']), status: 'missing' }]);
    expect(await host('compute-1')).toMatchObject({ reservable: false, status: 'missing' });
    expect(await held(rid)).toEqual([ids['compute-2']]);
    await expectIdempotent();
  });

  it('replaces a failed host of an active reservation in its aggregate too', async () => {
    const l = await w.svc.services.leases.create(ADMIN_CTX, lease('active', { start_date: 'now' }));
    await w.svc.services.runner.runDueOnce();
    const started = await view(l.id);
    expect(started.status).toBe('ACTIVE');
    const rid = started.reservations[0].id as string;
    expect(w.fake.aggregateNamed(rid)!.hosts).toEqual(['compute-1']);
    w.fake.addServer('compute-1');

    nova('compute-1').state = 'down';
    const report = await healer.runOnce();
    expect(report).toMatchObject({ replaced: [{ reservationId: rid, added: [Number(ids['compute-2'])] }], synced: [rid] });
    expect(await held(rid)).toEqual([ids['compute-2']]);
    expect(w.fake.aggregateNamed(rid)!.hosts).toEqual(['compute-2']);
    expect(w.fake.aggregateNamed('freepool')!.hosts.sort()).toEqual(['compute-1', 'compute-3']);
    expect(w.fake.servers.size).toBe(0); // the instance left on the failed host went, as at lease end
    const after = await view(l.id);
    expect(after.degraded).toBe(false);
    expect(after.reservations[0]).toMatchObject({ status: 'active', missing_resources: false, resources_changed: true });
    await expectIdempotent();

    // The lease still ends cleanly.
    w.clock.set(new Date('2030-01-02T13:00:00Z'));
    await w.svc.services.runner.runDueOnce();
    expect((await view(l.id)).status).toBe('TERMINATED');
    expect([...w.fake.aggregates.values()].map((a) => a.name)).toEqual(['freepool']);
    expect(w.fake.aggregateNamed('freepool')!.hosts.sort()).toEqual(HOSTS);
  });

  it('an active reservation whose host is gone from Nova gets a replacement in its aggregate', async () => {
    const l = await w.svc.services.leases.create(ADMIN_CTX, lease('active', { start_date: 'now' }));
    await w.svc.services.runner.runDueOnce();
    const rid = (await view(l.id)).reservations[0].id as string;
    w.fake.hypervisors.splice(w.fake.hypervisors.indexOf(nova('compute-1')), 1);
    const report = await healer.runOnce();
    expect(report).toMatchObject({ failed: [{ status: 'missing' }], replaced: [{ reservationId: rid, added: [Number(ids['compute-2'])] }] });
    expect(w.fake.aggregateNamed(rid)!.hosts).toContain('compute-2');
    expect(w.fake.aggregateNamed('freepool')!.hosts).not.toContain('compute-2');
    await expectIdempotent();
  });

  it('a Nova failure while moving hosts of an active reservation is completed by the next run', async () => {
    const l = await w.svc.services.leases.create(ADMIN_CTX, lease('active', { start_date: 'now' }));
    await w.svc.services.runner.runDueOnce();
    const rid = (await view(l.id)).reservations[0].id as string;
    nova('compute-1').state = 'down';
    w.fake.fault('POST /os-aggregates/{id}/action:add_host', { status: 500 });
    const first = await healer.runOnce();
    expect(first.replaced).toHaveLength(1);
    expect(first.synced).toEqual([]);
    expect(w.fake.aggregateNamed(rid)!.hosts).toEqual(['compute-1']);
    const second = await healer.runOnce();
    expect(second).toMatchObject({ replaced: [], synced: [rid] });
    expect(w.fake.aggregateNamed(rid)!.hosts).toEqual(['compute-2']);
    await expectIdempotent();
  });

  it('changes nothing when Nova cannot be read', async () => {
    await w.svc.services.leases.create(ADMIN_CTX, lease('l'));
    nova('compute-1').state = 'down';
    w.fake.fault('GET /os-services', { status: 500, times: 5 });
    await expect(healer.runOnce()).rejects.toThrow(/HTTP 500/);
    expect(await host('compute-1')).toMatchObject({ reservable: true });
    expect(await notifications()).toEqual([]);
  });
});

describe('host healing wiring', () => {
  it('runs as a manager job every [nova] healing_interval; 0 turns it off', async () => {
    const on = await novaWorld({ nova: { healingIntervalMs: 5000 } }, (fake) => fake.addHypervisor('compute-1'));
    const off = await novaWorld({ nova: { healingIntervalMs: 0 } }, (fake) => fake.addHypervisor('compute-1'));
    try {
      expect(on.svc.services.managerJobs).toHaveLength(1); // the reconciler is off in these worlds
      expect(off.svc.services.managerJobs).toHaveLength(0);
      expect(off.svc.services.healer).not.toBeNull(); // still runnable on demand
    } finally {
      await on.close();
      await off.close();
    }
  });
});
