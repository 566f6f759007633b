/** Host healing building blocks: what counts as a failed host, and replacement under the allocation locking discipline. */
import type { Window } from '../../../src/db';
import { hostFailure } from '../../../src/manager';
import type { NovaHypervisor, NovaService } from '../../../src/openstack';
import { HostReplacer } from '../../../src/plugins/physical-host';
import { DIALECTS } from '../../support/database';
import { addHost, addLease, at, openDb, type Db } from '../db/helpers';

const service = (host: string, fields: Partial<NovaService> = {}): NovaService => ({
  id: host, binary: 'nova-compute', host, zone: 'nova', status: 'enabled', state: 'up', ...fields,
});
const hypervisor = (name: string, serviceHost = name): NovaHypervisor => ({
  id: name, hypervisor_hostname: name, hypervisor_type: 'QEMU', hypervisor_version: 1, vcpus: 8, memory_mb: 1024, local_gb: 10,
  cpu_info: null, state: 'up', status: 'enabled', service: { host: serviceHost, id: name, disabled_reason: null },
});

describe('hostFailure', () => {
  const host = { hypervisorHostname: 'node-1.example.org', serviceName: 'node-1' };
  const hv = [hypervisor('node-1.example.org', 'node-1')];

  it('is null for a service up and enabled', () => {
    expect(hostFailure(host, [service('node-1')], hv)).toBeNull();
  });

  it('down, forced down, disabled', () => {
    expect(hostFailure(host, [service('node-1', { state: 'down' })], hv)).toBe('down');
    expect(hostFailure(host, [service('node-1', { forced_down: true })], hv)).toBe('down');
    expect(hostFailure(host, [service('node-1', { status: 'disabled' })], hv)).toBe('disabled');
    expect(hostFailure(host, [service('node-1', { state: 'down', status: 'disabled' })], hv)).toBe('down');
  });

  it('missing when the hypervisor or the service is gone', () => {
    expect(hostFailure(host, [service('node-1')], [])).toBe('missing');
    expect(hostFailure(host, [service('node-2')], hv)).toBe('missing');
  });

  it('matches the service by service name, falling back to the hypervisor hostname', () => {
    expect(hostFailure({ hypervisorHostname: 'node-2', serviceName: null }, [service('node-2')], [hypervisor('node-2')])).toBeNull();
    expect(hostFailure({ hypervisorHostname: 'node-1.example.org', serviceName: 'node-1' }, [service('node-1.example.org')], hv))
      .toBe('missing');
  });
});

describe.each(DIALECTS)('HostReplacer on %s', (dialect) => {
  const window: Window = { start: at('2030-01-01T10:00:00.000Z'), end: at('2030-01-01T12:00:00.000Z') };
  let t: Db;
  let hosts: number[];
  beforeEach(async () => {
    t = await openDb(dialect);
    hosts = [await addHost(t, 'h1'), await addHost(t, 'h2'), await addHost(t, 'h3')];
  });
  afterEach(async () => { await t.close(); });

  const held = async (reservationId: string) => (await t.repos.hostAllocations.list({ reservationId })).map((a) => a.hostId);
  const fail = (id: number) => t.db.transaction((tx) => t.repos.hosts.setHealth(tx, id, { reservable: false, status: 'down' }, window.start));

  it('swaps the failed host\'s allocation for a free, reservable host, never one the reservation holds', async () => {
    const { lease, reservation } = await addLease(t);
    reservation.params = { ...reservation.params, min: 2, max: 2 };
    await t.db.transaction((tx) => t.repos.hostAllocations.insert(tx, reservation.id, lease.id, [hosts[0], hosts[1]], window));
    await fail(hosts[0]);
    const replacer = new HostReplacer(t.repos, { cleaningTimeMinutes: 0 });
    const done = await t.db.transaction((tx) => replacer.replace(tx, reservation, [hosts[0]], window));
    expect(done).toEqual({ removed: [hosts[0]], added: [hosts[2]] });
    expect((await held(reservation.id)).sort()).toEqual([hosts[1], hosts[2]]);
  });

  it('replaces nothing when no host is free in the window widened by the cleaning time', async () => {
    const a = await addLease(t);
    const b = await addLease(t, { startDate: at('2030-01-01T12:30:00.000Z'), endDate: at('2030-01-01T14:00:00.000Z') });
    await t.db.transaction(async (tx) => {
      await t.repos.hostAllocations.insert(tx, a.reservation.id, a.lease.id, [hosts[0]], window);
      await t.repos.hostAllocations.insert(tx, b.reservation.id, b.lease.id, [hosts[1], hosts[2]],
        { start: b.lease.startDate, end: b.lease.endDate });
    });
    await fail(hosts[0]);
    const strict = new HostReplacer(t.repos, { cleaningTimeMinutes: 60 });
    expect(await t.db.transaction((tx) => strict.replace(tx, a.reservation, [hosts[0]], window))).toEqual({ removed: [], added: [] });
    expect(await held(a.reservation.id)).toEqual([hosts[0]]);
    const loose = new HostReplacer(t.repos, { cleaningTimeMinutes: 0 });
    expect((await t.db.transaction((tx) => loose.replace(tx, a.reservation, [hosts[0]], window))).added).toEqual([hosts[1]]);
  });

  it('two concurrent replacements never take the same host', async () => {
    const a = await addLease(t);
    const b = await addLease(t);
    await t.db.transaction(async (tx) => {
      await t.repos.hostAllocations.insert(tx, a.reservation.id, a.lease.id, [hosts[0]], window);
      await t.repos.hostAllocations.insert(tx, b.reservation.id, b.lease.id, [hosts[1]], window);
    });
    await fail(hosts[0]);
    await fail(hosts[1]);
    const replacer = new HostReplacer(t.repos, { cleaningTimeMinutes: 0 });
    let second: Promise<unknown> = Promise.resolve();
    const first = await t.db.transaction(async (tx) => {
      const done = await replacer.replace(tx, a.reservation, [hosts[0]], window);
      // The second replacement starts while the first still holds its locks.
      second = t.db.transaction((tx2) => replacer.replace(tx2, b.reservation, [hosts[1]], window));
      await new Promise((resolve) => setTimeout(resolve, 300));
      return done;
    });
    expect(first.added).toEqual([hosts[2]]);
    expect(await second).toEqual({ removed: [], added: [] });
    expect(await held(b.reservation.id)).toEqual([hosts[1]]);
  });
});

describe.each(DIALECTS)('healing queries on %s', (dialect) => {
  const window: Window = { start: at('2030-01-01T10:00:00.000Z'), end: at('2030-01-01T12:00:00.000Z') };
  let t: Db;
  beforeEach(async () => { t = await openDb(dialect); });
  afterEach(async () => { await t.close(); });

  it('setHealth is a compare-and-set on the status', async () => {
    const id = await addHost(t, 'h1');
    const set = (status: string | null, expected?: string | null) =>
      t.db.transaction((tx) => t.repos.hosts.setHealth(tx, id, { reservable: status === null, status }, window.start, expected));
    expect(await set('down', null)).toBe(true);
    expect(await set('down', null)).toBe(false); // another manager got there first
    expect(await t.repos.hosts.get(id)).toMatchObject({ reservable: false, status: 'down' });
    expect(await set('disabled', 'down')).toBe(true);
    expect(await set(null, 'disabled')).toBe(true);
    expect(await t.repos.hosts.get(id)).toMatchObject({ reservable: true, status: null });
    expect(await t.db.transaction((tx) => t.repos.hosts.statusesOf(tx, [id, 999]))).toEqual(new Map([[id, null]]));
  });

  it('reservationsToHeal: pending or active reservations, window not over, holding a failed host or flagged', async () => {
    const [h1, h2] = [await addHost(t, 'h1'), await addHost(t, 'h2')];
    const onFailed = await addLease(t);
    const healthy = await addLease(t);
    const flagged = await addLease(t);
    const over = await addLease(t);
    const deleted = await addLease(t);
    await t.db.transaction(async (tx) => {
      const ins = (l: typeof onFailed, host: number, w: Window = window) => t.repos.hostAllocations.insert(tx, l.reservation.id, l.lease.id, [host], w);
      await ins(onFailed, h1);
      await ins(healthy, h2);
      await ins(flagged, h2);
      await ins(over, h1, { start: at('2030-01-01T06:00:00.000Z'), end: at('2030-01-01T08:00:00.000Z') });
      await ins(deleted, h1);
      await t.repos.reservations.setFlags(tx, flagged.reservation.id, { missingResources: true }, window.start);
      await t.repos.reservations.setStatusForLease(tx, deleted.lease.id, 'deleted', window.start);
      await t.repos.hosts.setHealth(tx, h1, { reservable: false, status: 'down' }, window.start);
    });
    const found = await t.repos.hostAllocations.reservationsToHeal(at('2030-01-01T09:00:00.000Z'), ['down', 'disabled', 'missing']);
    expect(found.map((f) => f.reservationId).sort()).toEqual([onFailed.reservation.id, flagged.reservation.id].sort());
    expect(found.find((f) => f.reservationId === onFailed.reservation.id)!.leaseId).toBe(onFailed.lease.id);
  });
});
