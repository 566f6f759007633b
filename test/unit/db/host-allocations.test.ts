/** HostAllocationRepository: the free-host query (windows are [start, end)), allocation bookkeeping, host locks. */
import type { ReservationRecord, Window } from '../../../src/db';
import { ENGINES } from '../../support/database';
import { addHost, addLease, at, openDb, type Db } from './helpers';

const w = (start: string, end: string): Window => ({ start: at(`2030-01-01T${start}Z`), end: at(`2030-01-01T${end}Z`) });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(ENGINES)('HostAllocationRepository on %s', (dialect) => {
  let t: Db;
  let hosts: number[];
  let busy: ReservationRecord;
  beforeEach(async () => {
    t = await openDb(dialect);
    hosts = [
      await addHost(t, 'h1', { vcpus: 8 }),
      await addHost(t, 'h2', { vcpus: 16 }),
      await addHost(t, 'h3', { vcpus: 32 }),
    ];
    await addHost(t, 'h-maintenance', { reservable: false });
    const { lease, reservation } = await addLease(t);
    busy = reservation;
    // h1 is taken from 10:00 to 12:00.
    await t.db.transaction((tx) => t.repos.hostAllocations.insert(tx, reservation.id, lease.id, [hosts[0]], w('10:00:00.000', '12:00:00.000')));
  });
  afterEach(async () => { await t.close(); });

  const free = (window: Window, extra: Partial<Parameters<Db['repos']['hostAllocations']['findFree']>[1]> = {}) =>
    t.repos.hostAllocations.findFree(undefined, { conditions: [], window, ...extra });

  describe('findFree', () => {
    it('windows that only touch do not overlap (end == start)', async () => {
      expect(await free(w('12:00:00.000', '14:00:00.000'))).toEqual(hosts);
      expect(await free(w('08:00:00.000', '10:00:00.000'))).toEqual(hosts);
    });

    it('any overlap, down to one millisecond, makes the host busy', async () => {
      const others = hosts.slice(1);
      for (const window of [
        w('11:59:59.999', '14:00:00.000'), // starts a millisecond before the end
        w('08:00:00.000', '10:00:00.001'), // ends a millisecond after the start
        w('10:00:00.000', '12:00:00.000'), // the same window
        w('10:30:00.000', '11:00:00.000'), // inside
        w('09:00:00.000', '13:00:00.000'), // around
      ]) {
        expect(await free(window)).toEqual(others);
      }
    });

    it('never offers a host that is not reservable; lowest ids first, up to the limit', async () => {
      expect(await free(w('13:00:00.000', '14:00:00.000'), { limit: 2 })).toEqual(hosts.slice(0, 2));
      expect(await t.repos.hostAllocations.countMatching(undefined, [])).toBe(3);
    });

    it('ignores the reservation being re-allocated', async () => {
      expect(await free(w('11:00:00.000', '13:00:00.000'), { ignoreReservationId: busy.id })).toEqual(hosts);
    });

    it('only / exclude lists', async () => {
      const window = w('13:00:00.000', '14:00:00.000');
      expect(await free(window, { onlyHostIds: [] })).toEqual([]);
      expect(await free(window, { onlyHostIds: [hosts[2], hosts[0]] })).toEqual([hosts[0], hosts[2]]);
      expect(await free(window, { excludeHostIds: [hosts[0]] })).toEqual(hosts.slice(1));
      expect(await free(window, { excludeHostIds: [] })).toEqual(hosts);
    });

    it('applies host conditions', async () => {
      const conditions = [{ sql: 'h.vcpus >= ?', params: [16] }];
      expect(await free(w('13:00:00.000', '14:00:00.000'), { conditions })).toEqual(hosts.slice(1));
      expect(await t.repos.hostAllocations.countMatching(undefined, conditions)).toBe(2);
    });
  });

  describe('bookkeeping', () => {
    it('insert, list by lease / reservation / host / end, ordered by host then start', async () => {
      const { lease, reservation } = await addLease(t);
      await t.db.transaction((tx) => t.repos.hostAllocations.insert(tx, reservation.id, lease.id, [hosts[2], hosts[0]], w('13:00:00.000', '14:00:00.000')));
      const all = await t.repos.hostAllocations.list({});
      expect(all.map((a) => [a.hostId, a.startDate.toISOString()])).toEqual([
        [hosts[0], '2030-01-01T10:00:00.000Z'], [hosts[0], '2030-01-01T13:00:00.000Z'], [hosts[2], '2030-01-01T13:00:00.000Z'],
      ]);
      expect((await t.repos.hostAllocations.list({ leaseId: lease.id })).map((a) => a.hostId)).toEqual([hosts[0], hosts[2]]);
      expect(await t.repos.hostAllocations.list({ reservationId: reservation.id, hostId: hosts[2] })).toEqual([{
        hostId: hosts[2], reservationId: reservation.id, leaseId: lease.id,
        startDate: at('2030-01-01T13:00:00.000Z'), endDate: at('2030-01-01T14:00:00.000Z'),
      }]);
      expect((await t.repos.hostAllocations.list({ endsAfter: at('2030-01-01T12:00:00.000Z') })).map((a) => a.reservationId))
        .toEqual([reservation.id, reservation.id]);
    });

    it('moves a reservation or a lease to a new window', async () => {
      await t.db.transaction((tx) => t.repos.hostAllocations.moveReservation(tx, busy.id, w('15:00:00.000', '16:00:00.000')));
      expect(await free(w('11:00:00.000', '12:00:00.000'))).toEqual(hosts);
      expect(await free(w('15:30:00.000', '15:30:00.001'))).toEqual(hosts.slice(1));
      await t.db.transaction((tx) => t.repos.hostAllocations.moveLease(tx, busy.leaseId, w('17:00:00.000', '18:00:00.000')));
      expect(await t.repos.hostAllocations.list({ leaseId: busy.leaseId })).toEqual([expect.objectContaining({
        startDate: at('2030-01-01T17:00:00.000Z'), endDate: at('2030-01-01T18:00:00.000Z'),
      })]);
    });

    it('removes hosts of a reservation, a whole reservation, or a host', async () => {
      const { lease, reservation } = await addLease(t);
      await t.db.transaction((tx) => t.repos.hostAllocations.insert(tx, reservation.id, lease.id, hosts, w('13:00:00.000', '14:00:00.000')));
      await t.db.transaction((tx) => t.repos.hostAllocations.removeHosts(tx, reservation.id, [hosts[1]]));
      expect((await t.repos.hostAllocations.list({ reservationId: reservation.id })).map((a) => a.hostId)).toEqual([hosts[0], hosts[2]]);
      await t.db.transaction((tx) => t.repos.hostAllocations.forgetHost(tx, hosts[0]));
      expect((await t.repos.hostAllocations.list({})).map((a) => a.hostId)).toEqual([hosts[2]]);
      await t.db.transaction((tx) => t.repos.hostAllocations.removeReservation(tx, reservation.id));
      expect(await t.repos.hostAllocations.list({})).toEqual([]);
    });

    it('reservationsOnHost lists live reservations holding the host now or later', async () => {
      expect(await t.repos.hostAllocations.reservationsOnHost(undefined, hosts[0], at('2030-01-01T11:00:00.000Z')))
        .toEqual([{ reservationId: busy.id, params: JSON.stringify(busy.params) }]);
      expect(await t.repos.hostAllocations.reservationsOnHost(undefined, hosts[0], at('2030-01-01T12:00:00.000Z'))).toEqual([]);
      await t.db.transaction((tx) => t.repos.reservations.setStatusForLease(tx, busy.leaseId, 'deleted', at('2030-01-01T00:00:00.000Z')));
      expect(await t.repos.hostAllocations.reservationsOnHost(undefined, hosts[0], at('2030-01-01T11:00:00.000Z'))).toEqual([]);
    });
  });

  describe('locks', () => {
    it('a second writer on the same host waits until the first commits, then sees its allocation', async () => {
      const log: string[] = [];
      const window = w('13:00:00.000', '14:00:00.000');
      const first = await addLease(t);
      let locked!: () => void;
      const firstLocked = new Promise<void>((resolve) => { locked = resolve; });
      const one = t.db.transaction(async (tx) => {
        await t.repos.hostAllocations.lockHosts(tx, [hosts[1]]);
        log.push('first locked');
        locked();
        await sleep(150);
        await t.repos.hostAllocations.insert(tx, first.reservation.id, first.lease.id, [hosts[1]], window);
        log.push('first commits');
      });
      await firstLocked;
      const two = t.db.transaction(async (tx) => {
        await t.repos.hostAllocations.lockHosts(tx, [hosts[1], hosts[2]]);
        log.push('second locked');
        return t.repos.hostAllocations.findFree(tx, { conditions: [], window, onlyHostIds: [hosts[1], hosts[2]] });
      });
      const [, stillFree] = await Promise.all([one, two]);
      expect(log).toEqual(['first locked', 'first commits', 'second locked']);
      expect(stillFree).toEqual([hosts[2]]);
    });

    it('lockHosts with no hosts is a no-op', async () => {
      await expect(t.db.transaction((tx) => t.repos.hostAllocations.lockHosts(tx, []))).resolves.toEqual([]);
    });

    it('with skipLocked, passes over a host another transaction holds instead of waiting', async () => {
      let locked!: () => void;
      let release!: () => void;
      const firstLocked = new Promise<void>((resolve) => { locked = resolve; });
      const done = new Promise<void>((resolve) => { release = resolve; });
      const one = t.db.transaction(async (tx) => {
        await t.repos.hostAllocations.lockHosts(tx, [hosts[1]]);
        locked();
        await done;
      });
      await firstLocked;
      // SQLite has one writer at a time: the second transaction starts only after the first, and gets both.
      const second = t.db.transaction((tx) => t.repos.hostAllocations.lockHosts(tx, [hosts[1], hosts[2]], { skipLocked: true }));
      if (dialect === 'sqlite') {
        release();
        expect(await second).toEqual([hosts[1], hosts[2]]);
      } else {
        expect(await second).toEqual([hosts[2]]);
        release();
      }
      await one;
    });
  });
});
