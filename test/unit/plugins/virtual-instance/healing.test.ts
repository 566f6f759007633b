/** Moving instance slots off failed hosts, in the database, on both engines: what moves where, and no oversubscription under races. */
import type { ReservationRecord, Window } from '../../../../src/db';
import { InstanceSlotReplacer } from '../../../../src/plugins/virtual-instance';
import { DIALECTS } from '../../../support/database';
import { addHost, at, leaseRecord, openDb, reservationRecord, type Db } from '../../db/helpers';

const window: Window = { start: at('2030-01-01T10:00:00.000Z'), end: at('2030-01-01T12:00:00.000Z') };
/** 2 vCPU, 4 GiB, 10 GB: 4 slots on a helper host (8 vCPU, 16 GiB, 100 GB). */
const SIZE = { vcpus: 2, memory_mb: 4096, disk_gb: 10 };

describe.each(DIALECTS)('InstanceSlotReplacer on %s', (dialect) => {
  let t: Db;
  let hosts: number[];
  const replacer = () => new InstanceSlotReplacer(t.repos);
  beforeEach(async () => {
    t = await openDb(dialect);
    hosts = [await addHost(t, 'h1'), await addHost(t, 'h2'), await addHost(t, 'h3')];
  });
  afterEach(async () => { await t.close(); });

  /** An instance reservation holding `slots` per host. */
  async function reservation(slots: [number, number][], params: Record<string, unknown> = {}): Promise<ReservationRecord> {
    const lease = leaseRecord({ startDate: window.start, endDate: window.end });
    const r = reservationRecord(lease.id, {
      resourceType: 'virtual:instance',
      params: { amount: slots.reduce((n, [, s]) => n + s, 0), ...SIZE, affinity: null, resource_properties: '', ...params },
    });
    await t.db.transaction(async (tx) => {
      await t.repos.leases.insert(tx, lease);
      await t.repos.reservations.insert(tx, r);
      await t.repos.instanceAllocations.insert(tx, r.id, lease.id, SIZE, slots.map(([hostId, n]) => ({ hostId, slots: n })), window);
    });
    return r;
  }
  const held = async (r: ReservationRecord) => {
    const out: Record<number, number> = {};
    for (const a of await t.repos.instanceAllocations.list({ reservationId: r.id })) out[a.hostId] = (out[a.hostId] ?? 0) + a.slots;
    return out;
  };
  const fail = (id: number) => t.db.transaction((tx) => t.repos.hosts.setHealth(tx, id, { reservable: false, status: 'down' }, window.start));

  it('moves a failed host\'s slots where there is room, counting what the reservation holds as its own', async () => {
    const r = await reservation([[hosts[0], 3], [hosts[1], 2]]);
    await reservation([[hosts[2], 2]]); // someone else's
    await fail(hosts[0]);
    const done = await t.db.transaction((tx) => replacer().replace(tx, r, [hosts[0]], window));
    expect(done).toEqual({ removed: [hosts[0]], added: [hosts[1], hosts[2]] });
    expect(await held(r)).toEqual({ [hosts[1]]: 4, [hosts[2]]: 1 });
  });

  it('follows the reservation\'s filter', async () => {
    await t.db.transaction(async (tx) => {
      await t.repos.hosts.setExtras(tx, hosts[1], { gpu: { value: 'False', number: null } }, window.start);
      await t.repos.hosts.setExtras(tx, hosts[2], { gpu: { value: 'True', number: null } }, window.start);
    });
    const r = await reservation([[hosts[0], 2]], { resource_properties: '["==", "$gpu", "True"]' });
    await fail(hosts[0]);
    expect(await t.db.transaction((tx) => replacer().replace(tx, r, [hosts[0]], window))).toEqual({ removed: [hosts[0]], added: [hosts[2]] });
  });

  it('follows the affinity rule, and leaves the slots that fit nowhere', async () => {
    const r = await reservation([[hosts[0], 1], [hosts[1], 1]], { affinity: false });
    await fail(hosts[0]);
    await fail(hosts[1]);
    // One free host (h3) for two slots that must be on distinct hosts: one moves, the other stays missing.
    const done = await t.db.transaction((tx) => replacer().replace(tx, r, [hosts[0], hosts[1]], window));
    expect(done).toEqual({ removed: [hosts[0]], added: [hosts[2]] });
    expect(await held(r)).toEqual({ [hosts[1]]: 1, [hosts[2]]: 1 });
  });

  it('records moved slots for the window it is given (from now on for an active reservation)', async () => {
    const r = await reservation([[hosts[0], 2]]);
    await fail(hosts[0]);
    const rest = { start: at('2030-01-01T11:00:00.000Z'), end: window.end };
    await t.db.transaction((tx) => replacer().replace(tx, r, [hosts[0]], rest));
    const rows = await t.repos.instanceAllocations.list({ reservationId: r.id });
    expect(rows.map((a) => [a.hostId, a.slots, a.startDate.toISOString()])).toEqual([[hosts[1], 2, '2030-01-01T11:00:00.000Z']]);
  });

  it('two concurrent moves never put more slots on a host than it has', async () => {
    const a = await reservation([[hosts[0], 3]]);
    const b = await reservation([[hosts[1], 3]]);
    await reservation([[hosts[2], 1]]); // h3 has room for 3 more: one move, not both
    await fail(hosts[0]);
    await fail(hosts[1]);
    let second: Promise<unknown> = Promise.resolve();
    const first = await t.db.transaction(async (tx) => {
      const done = await replacer().replace(tx, a, [hosts[0]], window);
      // The second move starts while the first still holds its locks.
      second = t.db.transaction((tx2) => replacer().replace(tx2, b, [hosts[1]], window));
      await new Promise((resolve) => setTimeout(resolve, 300));
      return done;
    });
    expect(first).toEqual({ removed: [hosts[0]], added: [hosts[2]] });
    expect(await second).toEqual({ removed: [], added: [] });
    expect(await held(b)).toEqual({ [hosts[1]]: 3 });
  });

  it('reservationsToHeal: only the resource types asked for, holding a failed host or flagged, window not over', async () => {
    const onFailed = await reservation([[hosts[0], 1]]);
    const healthy = await reservation([[hosts[1], 1]]);
    await fail(hosts[0]);
    const now = at('2030-01-01T11:00:00.000Z');
    const found = await t.repos.instanceAllocations.reservationsToHeal(now, ['down'], ['virtual:instance']);
    expect(found).toEqual([{ reservationId: onFailed.id, leaseId: onFailed.leaseId }]);
    await t.db.transaction((tx) => t.repos.reservations.setFlags(tx, healthy.id, { missingResources: true }, now));
    expect((await t.repos.instanceAllocations.reservationsToHeal(now, ['down'], ['virtual:instance'])).map((f) => f.reservationId).sort())
      .toEqual([onFailed.id, healthy.id].sort());
    expect(await t.repos.instanceAllocations.reservationsToHeal(now, ['down'], ['virtual:stack'])).toEqual([]);
    expect(await t.repos.instanceAllocations.reservationsToHeal(window.end, ['down'], ['virtual:instance'])).toEqual([]);
  });
});
