/**
 * flavor:instance leases (Blazar's type) with [compute] driver = nova, against the fake Nova/Placement with the
 * real clients, on SQLite and MariaDB: the flavor asked for sizes the slots (only flavors the lease's project
 * can see), create/show/update/delete through the API, no more than fits, and at start the same flavor copy,
 * group, aggregate and Placement inventory as virtual:instance, removed at end; faults on the start retried.
 */
import request from 'supertest';
import { reservationResourceClass } from '../../../src/plugins/virtual-instance';
import type { FakeNovaPlacement } from '../../fakes/nova-placement';
import { DIALECTS } from '../../support/database';
import { FakeEnforcementService } from '../../support/enforcement-service';
import { startTestService } from '../../support/service';
import { expectNothingLeft, faultsOn, placementSlots } from './support';
import { ADMIN_CTX, novaWorld, type NovaWorld } from './world';

jest.setTimeout(60_000);

const queryOf = (path: string) => Object.fromEntries(new URL(path, 'http://fake').searchParams);

/** Flavors of the cloud before any lease: public, shared with p1, shared with p2 only, and one sized by its disks. */
const SOURCES = ['f-medium', 'f-shared', 'f-other', 'f-disk', 'f-reserved', 'f-override', 'f-baremetal', 'f-not-slow', 'f-nowhere',
  'f-dedicated', 'f-pcpu'];
function addFlavors(fake: FakeNovaPlacement): void {
  const add = (id: string, fields: Partial<Parameters<FakeNovaPlacement['flavors']['set']>[1]>) => fake.flavors.set(id, {
    id, name: id, vcpus: 2, ram: 4096, disk: 10, isPublic: true, extraSpecs: {}, access: [], ...fields,
  });
  // 2 vCPU, 4 GiB, 10 GB: 4 slots on a fake host (8 vCPU, 16 GiB, 100 GB).
  add('f-medium', { extraSpecs: { 'hw:cpu_policy': 'shared', 'trait:CUSTOM_FAST': 'required' } });
  add('f-shared', { isPublic: false, access: ['p1'] });
  add('f-other', { isPublic: false, access: ['p2'] });
  // 20 GB root + 30 GB ephemeral: 2 slots on a fake host.
  add('f-disk', { vcpus: 1, ram: 1024, disk: 20, ephemeral: 30 });
  // Nova schedules `resources:DISK_GB` (50 GB) instead of the 1 GB disk: 2 slots on a fake host, as f-disk.
  add('f-override', { vcpus: 1, ram: 1024, disk: 1, extraSpecs: { 'resources:DISK_GB': '50' } });
  // An Ironic flavor: the standard classes zeroed, a custom one asked for instead.
  add('f-baremetal', { extraSpecs: { 'resources:VCPU': '0', 'resources:MEMORY_MB': '0', 'resources:DISK_GB': '0', 'resources:CUSTOM_BAREMETAL': '1' } });
  // Trait specs: hosts without CUSTOM_SLOW only; a trait Placement does not know (no host has it).
  add('f-not-slow', { extraSpecs: { 'trait:CUSTOM_SLOW': 'forbidden' } });
  add('f-nowhere', { extraSpecs: { 'trait:CUSTOM_NOWHERE': 'required' } });
  // Dedicated CPUs: Nova places them on PCPU inventory, which Climate does not count.
  add('f-dedicated', { extraSpecs: { 'hw:cpu_policy': 'dedicated' } });
  add('f-pcpu', { extraSpecs: { 'resources:VCPU': '0', 'resources:PCPU': '2' } });
  // The flavor of another reservation, shared with p1.
  add('f-reserved', { isPublic: false, access: ['p1'], extraSpecs: { 'climate:reservation': 'r-old', 'resources:CUSTOM_RESERVATION_R_OLD': '1' } });
}

const flavorLease = (name: string, extra: Record<string, unknown> = {}, lease: Record<string, unknown> = {}) => ({
  name, start_date: 'now', end_date: '2030-01-01 13:00',
  reservations: [{ resource_type: 'flavor:instance', amount: 3, flavor_id: 'f-medium', affinity: 'False', ...extra }],
  ...lease,
});

/** Nothing of any reservation left in Nova or Placement; the flavors of the cloud untouched. */
function expectClean(w: NovaWorld, rid: string): void {
  expect([...w.fake.flavors.keys()].sort()).toEqual([...SOURCES].sort());
  expect(w.fake.resourceClasses.has(reservationResourceClass(rid))).toBe(false);
  for (const id of SOURCES) w.fake.flavors.delete(id);
  expectNothingLeft(w.fake);
}

describe.each(DIALECTS)('flavor:instance leases in Nova (%s)', (dialect) => {
  let w: NovaWorld;
  beforeEach(async () => {
    w = await novaWorld({ manager: { plugins: ['physical:host', 'flavor:instance'] } }, (fake) => {
      for (const name of ['compute-1', 'compute-2', 'compute-3']) fake.addHypervisor(name);
      // f-medium requires CUSTOM_FAST: every host has it unless a test says otherwise.
      for (const name of ['compute-1', 'compute-2', 'compute-3']) fake.setTraits(name, ['CUSTOM_FAST']);
      addFlavors(fake);
    }, { dialect });
    await w.register('compute-1', 'compute-2', 'compute-3');
  });
  afterEach(async () => { await w.close(); });

  const api = () => request(w.svc.app);
  const P1 = { 'X-Project-Id': 'p1', 'X-User-Id': 'u1' };
  const get = (id: string) => w.svc.services.leases.get(ADMIN_CTX, id);
  const leaseCount = async () => (await w.svc.services.leases.list(ADMIN_CTX)).leases.length;

  it('create, show, update and delete through the API; start copies the flavor into Nova and Placement, end removes it', async () => {
    const created = await api().post('/v1/leases').set(P1).send(flavorLease('web'));
    expect(created.status).toBe(201);
    const lease = created.body.lease;
    expect(lease.reservations[0]).toMatchObject({
      resource_type: 'flavor:instance', amount: 3, vcpus: 2, memory_mb: 4096, disk_gb: 10, affinity: false, flavor_id: null,
      source_flavor: { id: 'f-medium', vcpus: 2, ram: 4096, disk: 10, ephemeral: 0 },
    });
    const rid = lease.reservations[0].id as string;
    const shown = await api().get(`/v1/leases/${lease.id}`).set(P1);
    expect(shown.status).toBe(200);
    expect(shown.body.lease.reservations[0]).toMatchObject({ id: rid, amount: 3, source_flavor: { id: 'f-medium' } });

    // Before the start: the amount changes (and the flavor sent back unchanged is fine); another flavor is refused.
    w.clock.set(new Date('2030-01-01T11:00:00Z'));
    const refused = await api().put(`/v1/leases/${lease.id}`).set(P1).send({ reservations: [{ id: rid, flavor_id: 'f-disk' }] });
    expect(refused.status).toBe(400);
    expect(refused.body.error_message).toMatch(/Cannot change flavor_id of a flavor:instance reservation/);
    // Anti-affinity on three hosts: four do not fit.
    const tooMany = await api().put(`/v1/leases/${lease.id}`).set(P1).send({ reservations: [{ id: rid, amount: 4 }] });
    expect(tooMany.status).toBe(409);
    expect(tooMany.body.error_message).toMatch(/Not enough capacity/);
    const updated = await api().put(`/v1/leases/${lease.id}`).set(P1).send({ reservations: [{ id: rid, amount: 2, flavor_id: 'f-medium', vcpus: 2 }] });
    expect(updated.status).toBe(200);
    expect(updated.body.lease.reservations[0]).toMatchObject({ amount: 2, vcpus: 2, source_flavor: { id: 'f-medium' } });
    w.clock.set(new Date('2030-01-01T12:00:00Z'));

    await w.svc.services.runner.runDueOnce();
    const started = await get(lease.id);
    expect(started.status).toBe('ACTIVE');
    const r = started.reservations[0];
    expect(r.flavor_id).toBe(rid);
    const rc = reservationResourceClass(rid);
    const copy = w.fake.flavors.get(rid)!;
    expect(copy).toMatchObject({ vcpus: 2, ram: 4096, disk: 10, isPublic: false, access: ['p1'] });
    expect(copy.extraSpecs).toEqual({
      'hw:cpu_policy': 'shared', 'trait:CUSTOM_FAST': 'required',
      'climate:reservation': rid, 'aggregate_instance_extra_specs:climate:reservation_id': rid, [`resources:${rc}`]: '1',
    });
    expect(w.fake.flavors.get('f-medium')!.extraSpecs).toEqual({ 'hw:cpu_policy': 'shared', 'trait:CUSTOM_FAST': 'required' });
    expect(w.fake.serverGroups.get(r.server_group_id as string)!.policy).toBe('anti-affinity');
    expect(w.fake.aggregates.get(r.aggregate_id as number)!.metadata).toMatchObject({ 'climate:reservation_id': rid, 'climate:owner_project_id': 'p1' });
    expect(placementSlots(w.fake, rid)).toEqual({ 'compute-1': 1, 'compute-2': 1 });

    // Booting with the reservation's flavor takes the reservation's slots in Placement.
    w.fake.addServer('compute-1', { flavorId: rid, tenantId: 'p1' });
    w.clock.set(new Date('2030-01-01T13:00:00Z'));
    await w.svc.services.runner.runDueOnce();
    expect((await get(lease.id)).status).toBe('TERMINATED');
    expect(w.fake.servers.size).toBe(0);
    const deleted = await api().delete(`/v1/leases/${lease.id}`).set(P1);
    expect(deleted.status).toBe(204);
    expectClean(w, rid);
  });

  it('holds no more than fits: slots from the flavor (root plus ephemeral disk); a refusal writes nothing', async () => {
    // f-disk: 50 GB each, 2 per host, 6 on the three hosts.
    const full = await w.svc.services.leases.create(ADMIN_CTX, flavorLease('full', { flavor_id: 'f-disk', amount: 6, affinity: null }));
    expect(full.reservations[0]).toMatchObject({ vcpus: 1, memory_mb: 1024, disk_gb: 50 });
    const before = await leaseCount();
    await expect(w.svc.services.leases.create(ADMIN_CTX, flavorLease('one more', { flavor_id: 'f-disk', amount: 1, affinity: null })))
      .rejects.toThrow(/Not enough capacity for flavor:instance: asked for 1 instance\(s\) of 1 vCPU, 1024 MB RAM, 50 GB disk/);
    const tooMany = await api().post('/v1/leases').set(P1).send(flavorLease('too many', { flavor_id: 'f-disk', amount: 7, affinity: null },
      { start_date: '2030-01-01 14:00', end_date: '2030-01-01 15:00' }));
    expect(tooMany.status).toBe(409);
    expect(await leaseCount()).toBe(before);
    // After the full lease: all 6 again; affinity true fits 2 on one host at most.
    const later = { start_date: '2030-01-01 14:00', end_date: '2030-01-01 15:00' };
    await w.svc.services.leases.create(ADMIN_CTX, flavorLease('later', { flavor_id: 'f-disk', amount: 6, affinity: null }, later));
    await expect(w.svc.services.leases.create(ADMIN_CTX, flavorLease('together', { flavor_id: 'f-disk', amount: 3, affinity: true },
      { start_date: '2030-01-01 16:00', end_date: '2030-01-01 17:00' }))).rejects.toThrow(/at most 2 instance\(s\) fit on a single host/);

    await w.svc.services.runner.runDueOnce();
    const rid = full.reservations[0].id as string;
    expect(placementSlots(w.fake, rid)).toEqual({ 'compute-1': 2, 'compute-2': 2, 'compute-3': 2 });
    expect(w.fake.flavors.get(rid)).toMatchObject({ vcpus: 1, ram: 1024, disk: 20, ephemeral: 30 });
  });

  it('counts what Nova schedules: a flavor\'s resources:VCPU/MEMORY_MB/DISK_GB extra specs replace its fields', async () => {
    const lease = await w.svc.services.leases.create(ADMIN_CTX, flavorLease('override', { flavor_id: 'f-override', amount: 6, affinity: null }));
    expect(lease.reservations[0]).toMatchObject({ vcpus: 1, memory_mb: 1024, disk_gb: 50 });
    await expect(w.svc.services.leases.create(ADMIN_CTX, flavorLease('one more', { flavor_id: 'f-override', amount: 1, affinity: null })))
      .rejects.toThrow(/Not enough capacity for flavor:instance/);
    const baremetal = await api().post('/v1/leases').set(P1).send(flavorLease('baremetal', { flavor_id: 'f-baremetal', amount: 1 }));
    expect(baremetal.status).toBe(400);
    expect(baremetal.body.error_message).toMatch(/Flavor f-baremetal asks for no vCPU, RAM or disk \(with its resources:\* extra specs\)/);
    expect(await leaseCount()).toBe(1);
  });

  it('finds windows in the flavor\'s slots, after what other leases hold; a lease at the window found is made', async () => {
    // f-disk: 2 slots per host, all 6 held until 13:00.
    await w.svc.services.leases.create(ADMIN_CTX, flavorLease('full', { flavor_id: 'f-disk', amount: 6, affinity: null }));
    const ask = { resource_type: 'flavor:instance', flavor_id: 'f-disk', amount: 4, affinity: null };
    const member = { ...P1, 'X-Roles': 'member' };
    const res = await api().post('/v1/leases/availability').set(member).send({ duration: '1h', limit: 1, reservations: [ask] });
    expect(res.status).toBe(200);
    expect(res.body.slots).toEqual([{
      start_date: '2030-01-01T13:00:00.000000', end_date: '2030-01-01T14:00:00.000000',
      reservations: [{ resource_type: 'flavor:instance', count: 4 }],
    }]);
    const made = await api().post('/v1/leases').set(member).send({ name: 'at-slot', start_date: '2030-01-01 13:00', end_date: '2030-01-01 14:00', reservations: [ask] });
    expect(made.status).toBe(201);
    // A flavor the project cannot see is refused as in a create.
    const hidden = await api().post('/v1/leases/availability').set(member).send({ duration: '1h', reservations: [{ ...ask, flavor_id: 'f-other' }] });
    expect(hidden.status).toBe(400);
  });

  it('refuses an unknown or invisible flavor, a bad amount and sizes with 400, writing nothing', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ flavor_id: 'nope' }, /flavor_id\. Value: "nope"\. No such flavor visible to project p1/],
      [{ flavor_id: 'f-other' }, /flavor_id\. Value: "f-other"\. No such flavor visible to project p1/],
      [{ flavor_id: undefined }, /Missing parameter flavor_id/],
      [{ flavor_id: 'f-reserved' }, /"f-reserved"\. It is the flavor of reservation r-old; name the flavor it was made from/],
      [{ amount: 0 }, /amount\. Value: 0\. Must be an integer of at least 1/],
      [{ amount: 'three' }, /field\/attribute amount/],
      [{ vcpus: 4 }, /vcpus: the flavor gives it/],
      [{ affinity: 'maybe' }, /affinity/],
      [{ resource_properties: '["=", "$nope", "x"]' }, /nope/],
      [{ flavor_id: 'f-dedicated' }, /Flavor f-dedicated asks for dedicated CPUs \(hw:cpu_policy=dedicated\): Nova places them on hosts' PCPU inventory/],
      [{ flavor_id: 'f-pcpu' }, /Flavor f-pcpu asks for dedicated CPUs \(resources:PCPU=2\)/],
    ];
    for (const [extra, message] of cases) {
      const res = await api().post('/v1/leases').set(P1).send(flavorLease('bad', extra));
      expect({ extra, status: res.status }).toEqual({ extra, status: 400 });
      expect(res.body.error_message).toMatch(message);
    }
    expect(await leaseCount()).toBe(0);
    // p1 may use the flavor shared with it; p2 may use f-other.
    expect((await api().post('/v1/leases').set(P1).send(flavorLease('shared', { flavor_id: 'f-shared', amount: 1 }))).status).toBe(201);
    const p2 = await api().post('/v1/leases').set({ 'X-Project-Id': 'p2' }).send(flavorLease('other', { flavor_id: 'f-other', amount: 1 }));
    expect(p2.status).toBe(201);
  });

  it('holds slots only on hosts whose compute node has the flavor\'s required traits and none of its forbidden ones', async () => {
    // CUSTOM_FAST on compute-3 only, CUSTOM_SLOW on compute-2: f-medium (4 slots a host) fits on compute-3 alone.
    w.fake.setTraits('compute-1', []);
    w.fake.setTraits('compute-2', ['CUSTOM_SLOW']);
    const five = await api().post('/v1/leases').set(P1).send(flavorLease('five', { amount: 5, affinity: null }));
    expect(five.status).toBe(409);
    expect(five.body.error_message).toMatch(/asked for 5 instance\(s\) .*; 1 reservable host\(s\) with trait\(s\) CUSTOM_FAST in Placement/);
    const four = await api().post('/v1/leases').set(P1).send(flavorLease('four', { amount: 4, affinity: null }));
    expect(four.status).toBe(201);
    await w.svc.services.runner.runDueOnce();
    const rid = four.body.lease.reservations[0].id as string;
    expect(placementSlots(w.fake, rid)).toEqual({ 'compute-3': 4 });
    // Raising it needs a fifth slot on a host with the trait: there is none (compute-1 and -2 have room).
    const raise = await api().put(`/v1/leases/${four.body.lease.id}`).set(P1)
      .send({ reservations: [{ id: rid, amount: 5 }] });
    expect(raise.status).toBe(409);
    expect(raise.body.error_message).toMatch(/\(hosts with trait\(s\) CUSTOM_FAST in Placement only\)/);
    // Forbidden: compute-2 has CUSTOM_SLOW and compute-3 is full, so compute-1 alone (4 slots).
    const notSlow = { flavor_id: 'f-not-slow', affinity: null };
    const tooMany = await api().post('/v1/leases').set(P1).send(flavorLease('not slow 5', { ...notSlow, amount: 5 }));
    expect(tooMany.status).toBe(409);
    expect(tooMany.body.error_message).toMatch(/2 reservable host\(s\) with none of trait\(s\) CUSTOM_SLOW in Placement/);
    const fits = await api().post('/v1/leases').set(P1).send(flavorLease('not slow 4', { ...notSlow, amount: 4 }));
    expect(fits.status).toBe(201);
    await w.svc.services.runner.runDueOnce();
    expect(placementSlots(w.fake, fits.body.lease.reservations[0].id as string)).toEqual({ 'compute-1': 4 });
    // A trait no host has (Placement does not know it): no host, whatever the room.
    const nowhere = await api().post('/v1/leases').set(P1).send(flavorLease('nowhere', { flavor_id: 'f-nowhere', amount: 1 },
      { start_date: '2030-01-01 14:00', end_date: '2030-01-01 15:00' }));
    expect(nowhere.status).toBe(409);
    expect(nowhere.body.error_message).toMatch(/0 reservable host\(s\) with trait\(s\) CUSTOM_NOWHERE in Placement/);
    expect(await leaseCount()).toBe(2);
  });

  /** Placement's answers about trait hosts so far. */
  const traitQueries = () => w.fake.requests.filter((r) => r.route === 'GET /resource_providers' && 'required' in queryOf(r.path)).length;
  /** From now on, how many trait queries each transaction saw start and end (the query must come before, outside it). */
  function traitQueriesPerTransaction(): number[] {
    const db = w.svc.services.db;
    const seen: number[] = [];
    const transaction = db.transaction.bind(db);
    jest.spyOn(db, 'transaction').mockImplementation(async (fn) => {
      const before = traitQueries();
      try {
        return await transaction(fn);
      } finally {
        seen.push(traitQueries() - before);
      }
    });
    return seen;
  }

  it('asks Placement for the flavor\'s trait hosts before the transaction of a create, an earliest create and an update', async () => {
    const duringTransactions = traitQueriesPerTransaction();
    const created = await api().post('/v1/leases').set(P1).send(flavorLease('first', { amount: 1 }));
    expect(created.status).toBe(201);
    const earliest = await api().post('/v1/leases').set(P1).send(flavorLease('earliest', { amount: 1 },
      { start_date: 'earliest', end_date: undefined, duration: '1h' }));
    expect(earliest.status).toBe(201);
    const rid = created.body.lease.reservations[0].id as string;
    const raised = await api().put(`/v1/leases/${created.body.lease.id}`).set(P1)
      .send({ end_date: '2030-01-01 14:00', reservations: [{ id: rid, amount: 2 }] });
    expect(raised.status).toBe(200);
    // Never inside one of the transactions; once for each request.
    expect(duringTransactions.length).toBeGreaterThanOrEqual(3);
    expect(duringTransactions.filter((n) => n > 0)).toEqual([]);
    expect(traitQueries()).toBe(3);
  });

  // Asked before the transaction (no row lock waits on Placement); when it cannot answer, a 503 naming it.
  it.each([
    ['answers 500', { status: 500, times: Infinity }],
    ['does not answer', { hang: true, times: Infinity }],
  ])('a create or update needing Placement while it %s is a 503 naming Placement; nothing written', async (_what, fault) => {
    const kept = await api().post('/v1/leases').set(P1).send(flavorLease('kept', { amount: 1 }));
    expect(kept.status).toBe(201);
    const before = await get(kept.body.lease.id as string);
    w.fake.fault('GET /resource_providers', fault);
    w.fake.fault('GET /traits', fault);
    const created = await api().post('/v1/leases').set(P1).send(flavorLease('refused'));
    expect(created.status).toBe(503);
    expect(created.body.error_message).toMatch(/^Placement could not say which compute nodes have the trait\(s\) of flavor f-medium: placement GET \/traits/);
    const rid = before.reservations[0].id as string;
    const raised = await api().put(`/v1/leases/${before.id}`).set(P1).send({ reservations: [{ id: rid, amount: 2 }] });
    expect(raised.status).toBe(503);
    expect(raised.body.error_message).toMatch(/^Placement could not say/);
    const moved = await api().put(`/v1/leases/${before.id}`).set(P1).send({ end_date: '2030-01-01 14:00' });
    expect(moved.status).toBe(503);
    expect(await leaseCount()).toBe(1);
    expect(await get(before.id)).toEqual(before);
    // A flavor without trait specs does not ask Placement.
    const plain = await api().post('/v1/leases').set(P1).send(flavorLease('plain', { flavor_id: 'f-shared', amount: 1 }));
    expect(plain.status).toBe(201);
  });

  it('host healing moves a slot only to a host with the flavor\'s traits', async () => {
    w.fake.setTraits('compute-2', []);
    const lease = await w.svc.services.leases.create(ADMIN_CTX, flavorLease('healed', { amount: 1, affinity: null }));
    await w.svc.services.runner.runDueOnce();
    const rid = (await get(lease.id)).reservations[0].id as string;
    expect(placementSlots(w.fake, rid)).toEqual({ 'compute-1': 1 });
    w.fake.hypervisors.find((h) => h.hypervisorHostname === 'compute-1')!.state = 'down';
    const duringTransactions = traitQueriesPerTransaction();
    const asked = traitQueries();
    await w.svc.services.healer!.runOnce();
    // Placement was asked, before the healing's transaction.
    expect(traitQueries()).toBe(asked + 1);
    expect(duringTransactions.filter((n) => n > 0)).toEqual([]);
    await w.runEvents(3);
    // compute-2 has room and a lower id, but lacks CUSTOM_FAST.
    expect(placementSlots(w.fake, rid)).toEqual({ 'compute-3': 1 });
  });

  it('host healing moves an active reservation\'s slot off a failed host; Nova and Placement follow', async () => {
    const lease = await w.svc.services.leases.create(ADMIN_CTX, flavorLease('healed', { amount: 2 }));
    await w.svc.services.runner.runDueOnce();
    const rid = (await get(lease.id)).reservations[0].id as string;
    expect(placementSlots(w.fake, rid)).toEqual({ 'compute-1': 1, 'compute-2': 1 });
    w.fake.hypervisors.find((h) => h.hypervisorHostname === 'compute-1')!.state = 'down';
    const report = await w.svc.services.healer!.runOnce();
    expect(report.replaced.map((r) => r.reservationId)).toEqual([rid]);
    await w.runEvents(3);
    expect(placementSlots(w.fake, rid)).toEqual({ 'compute-2': 1, 'compute-3': 1 });
    expect(w.fake.aggregateNamed(`reservation-${rid}`)!.hosts.sort()).toEqual(['compute-2', 'compute-3']);
    expect((await get(lease.id)).reservations[0]).toMatchObject({ missing_resources: false, resources_changed: true });
  });

  // "Reply lost": the step was done but answered 500 (twice: the client's retry too).
  const lost = { status: 500, afterHandling: true, times: 2 };
  const startSteps: [string, { status: number; times: number; afterHandling?: boolean }][] = [
    ['POST /flavors', lost], ['POST /flavors/{id}/os-extra_specs', lost], ['POST /flavors/{id}/action:addTenantAccess', lost],
    ['POST /os-aggregates', lost], ['POST /resource_providers/{id}/inventories', { status: 503, times: 2 }],
  ];
  it.each(faultsOn(dialect, startSteps))('a start whose "%s" fails (%j) is retried to completion; the end cleans up', async (route, fault) => {
    const lease = await w.svc.services.leases.create(ADMIN_CTX, flavorLease(`s-${route}`));
    w.fake.fault(route, fault);
    await w.svc.services.runner.runDueOnce();
    expect((await get(lease.id)).status).toBe('STARTING');
    await w.runEvents(3);
    const active = await get(lease.id);
    expect(active.status).toBe('ACTIVE');
    const rid = active.reservations[0].id as string;
    expect([...w.fake.flavors.keys()].sort()).toEqual([...SOURCES, rid].sort());
    expect(w.fake.flavors.get(rid)!.extraSpecs['trait:CUSTOM_FAST']).toBe('required');
    expect(placementSlots(w.fake, rid)).toEqual({ 'compute-1': 1, 'compute-2': 1, 'compute-3': 1 });
    w.clock.set(new Date('2030-01-01T13:00:00Z'));
    await w.runEvents(2);
    expect((await get(lease.id)).status).toBe('TERMINATED');
    expectClean(w, rid);
  });
});

describe.each(DIALECTS)('flavor:instance with [compute] driver = none (%s)', (dialect) => {
  it('is accepted in [manager] plugins; a create is refused with 400 (no Nova to read the flavor), nothing written', async () => {
    const svc = await startTestService({ dialect, config: { manager: { plugins: ['flavor:instance'] } } });
    try {
      const res = await request(svc.app).post('/v1/leases').set({ 'X-Project-Id': 'p1' }).send(flavorLease('none'));
      expect(res.status).toBe(400);
      expect(res.body.error_message).toMatch(/flavor:instance reservations need \[compute\] driver = nova/);
      const bad = await request(svc.app).post('/v1/leases').set({ 'X-Project-Id': 'p1' }).send(flavorLease('none', { amount: 0 }));
      expect(bad.status).toBe(400);
      expect(bad.body.error_message).toMatch(/amount/);
      expect((await svc.services.leases.list({ userId: 'a', projectId: 'p1', roles: ['admin'], isAdmin: true, requestId: 'r' })).leases).toEqual([]);
    } finally {
      await svc.close();
    }
  });
});

describe.each(DIALECTS)('flavor:instance and the external enforcement service (%s)', (dialect) => {
  it('check-create gets the reservation with the flavor and the slots it holds per host; a 403 writes nothing', async () => {
    const service = new FakeEnforcementService();
    await service.start();
    let w: NovaWorld | undefined;
    try {
      w = await novaWorld({
        manager: { plugins: ['flavor:instance'] },
        enforcement: { enabledFilters: ['ExternalServiceFilter'], externalServiceEndpoint: service.url, externalServiceToken: 'operator-token' },
      }, (fake) => {
        fake.addHypervisor('compute-1');
        fake.setTraits('compute-1', ['CUSTOM_FAST']);
        addFlavors(fake);
      }, { dialect });
      await w.register('compute-1');
      const created = await request(w.svc.app).post('/v1/leases').set({ 'X-Project-Id': 'p1' }).send(flavorLease('checked', { amount: 2, affinity: null }));
      expect(created.status).toBe(201);
      const [call] = service.callsTo('/check-create');
      const body = call.body as { lease: { reservations: Record<string, unknown>[] } };
      expect(body.lease.reservations[0]).toMatchObject({
        resource_type: 'flavor:instance', amount: 2, vcpus: 2, source_flavor: { id: 'f-medium' },
        allocations: [{ hypervisor_hostname: 'compute-1', slots: 2 }],
      });
      service.answer('/check-create', { status: 403, body: '{"message": "No service units for flavor f-medium"}' });
      const refused = await request(w.svc.app).post('/v1/leases').set({ 'X-Project-Id': 'p1' }).send(flavorLease('refused', { amount: 1, affinity: null }));
      expect(refused.status).toBe(403);
      expect(refused.body.error_message).toBe('No service units for flavor f-medium');
      expect((await w.svc.services.leases.list(ADMIN_CTX)).leases.map((l) => l.name)).toEqual(['checked']);
    } finally {
      await w?.close();
      await service.stop();
    }
  });
});
