/** The set-based free-slot query agrees with the slot arithmetic, on both engines. */
import { slotsFor } from '../../../../src/plugins/virtual-instance';
import { DIALECTS } from '../../../support/database';
import { addHost, addLease, at, openDb, type Db } from '../../db/helpers';

const window = { start: at('2030-01-01T10:00:00.000Z'), end: at('2030-01-01T12:00:00.000Z') };
const size = (vcpus: number, memory_mb: number, disk_gb: number) => ({ vcpus, memory_mb, disk_gb });

describe.each(DIALECTS)('free instance slots on %s', (dialect) => {
  let t: Db;
  let h1: number;
  let h2: number;
  beforeEach(async () => {
    t = await openDb(dialect);
    h1 = await addHost(t, 'c1'); // 8 vCPU, 16384 MB, 100 GB
    h2 = await addHost(t, 'c2', { vcpus: 3 });
  });
  afterEach(async () => { await t.close(); });

  const free = (s: ReturnType<typeof size>, ignoreReservationId?: string) =>
    t.repos.instanceAllocations.freeSlots(undefined, { conditions: [], size: s, window, ignoreReservationId });
  const hold = async (hostId: number, slots: number, s: ReturnType<typeof size>, start: string, end: string) => {
    const { lease, reservation } = await addLease(t);
    await t.db.transaction((tx) => t.repos.instanceAllocations.insert(tx, reservation.id, lease.id, s, [{ hostId, slots }],
      { start: at(start), end: at(end) }));
    return reservation.id;
  };

  it.each([
    size(1, 1024, 10), size(2, 2048, 0), size(0, 3000, 0), size(0, 0, 33), size(3, 1, 1), size(1, 20000, 1), size(4, 0, 0),
  ])('empty hosts: %p', async (s) => {
    const expected = [[h1, slotsFor({ vcpus: 8, memory_mb: 16384, disk_gb: 100 }, s)], [h2, slotsFor({ vcpus: 3, memory_mb: 16384, disk_gb: 100 }, s)]]
      .filter(([, n]) => n > 0).map(([hostId, slots]) => ({ hostId, slots }));
    expect(await free(s)).toEqual(expected);
  });

  it('subtracts the peak of what overlapping reservations hold, whatever their flavor', async () => {
    const mine = await hold(h1, 2, size(2, 4096, 10), '2030-01-01T11:00:00.000Z', '2030-01-01T13:00:00.000Z');
    await hold(h1, 1, size(1, 8192, 50), '2030-01-01T09:00:00.000Z', '2030-01-01T10:30:00.000Z');
    await hold(h1, 8, size(1, 1, 1), '2030-01-01T12:00:00.000Z', '2030-01-01T14:00:00.000Z'); // touches, no overlap
    // Held on c1 at 10:00: 1 vCPU, 8192 MB, 50 GB; at 11:00: 4 vCPU, 8192 MB, 20 GB. Peak: 4 vCPU, 8192 MB, 50 GB.
    expect(await free(size(1, 0, 10))).toEqual([{ hostId: h1, slots: 4 }, { hostId: h2, slots: 3 }]);
    expect(await free(size(0, 2048, 0))).toEqual([{ hostId: h1, slots: 4 }, { hostId: h2, slots: 8 }]);
    expect(await free(size(0, 0, 25))).toEqual([{ hostId: h1, slots: 2 }, { hostId: h2, slots: 4 }]);
    expect(await free(size(1, 1, 0), mine)).toEqual([{ hostId: h1, slots: 7 }, { hostId: h2, slots: 3 }]);
    // Overlapping both: 10:15 - 11:15 adds 2 vCPU to both probes (3 at 10:15, 6 at 11:00): 2 vCPU left.
    await hold(h1, 1, size(2, 0, 0), '2030-01-01T10:15:00.000Z', '2030-01-01T11:15:00.000Z');
    expect(await free(size(1, 0, 0))).toEqual([{ hostId: h1, slots: 2 }, { hostId: h2, slots: 3 }]);
    // A full host within part of the window only still leaves nothing for the whole window.
    await hold(h2, 3, size(1, 0, 0), '2030-01-01T11:50:00.000Z', '2030-01-01T11:55:00.000Z');
    expect(await free(size(1, 0, 0))).toEqual([{ hostId: h1, slots: 2 }]);
  });

  it('a host held by a physical:host reservation in the window has no slots', async () => {
    const { lease, reservation } = await addLease(t);
    await t.db.transaction((tx) => t.repos.hostAllocations.insert(tx, reservation.id, lease.id, [h2],
      { start: at('2030-01-01T11:59:00.000Z'), end: at('2030-01-01T15:00:00.000Z') }));
    expect(await free(size(1, 0, 0))).toEqual([{ hostId: h1, slots: 8 }]);
  });
});
