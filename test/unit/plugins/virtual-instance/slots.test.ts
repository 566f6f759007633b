import {
  describeFree, planExtraSlots, planMoves, planSlots, reservationResourceClass, slotsProviderName, slotsByHost, slotsFor,
} from '../../../../src/plugins/virtual-instance';

const host = (hostId: number, slots: number) => ({ hostId, slots });

describe('slot arithmetic', () => {
  it('is the least of capacity / size over the dimensions the flavor uses', () => {
    const cap = { vcpus: 16, memory_mb: 65536, disk_gb: 500 };
    expect(slotsFor(cap, { vcpus: 1, memory_mb: 1024, disk_gb: 10 })).toBe(16);
    expect(slotsFor(cap, { vcpus: 1, memory_mb: 8192, disk_gb: 10 })).toBe(8);
    expect(slotsFor(cap, { vcpus: 1, memory_mb: 1024, disk_gb: 100 })).toBe(5);
    expect(slotsFor(cap, { vcpus: 3, memory_mb: 0, disk_gb: 0 })).toBe(5);
    expect(slotsFor(cap, { vcpus: 0, memory_mb: 0, disk_gb: 501 })).toBe(0);
    expect(slotsFor({ vcpus: -2, memory_mb: 100, disk_gb: 1 }, { vcpus: 1, memory_mb: 1, disk_gb: 0 })).toBe(0);
    expect(slotsFor(cap, { vcpus: 0, memory_mb: 0, disk_gb: 0 })).toBe(0);
  });
});

describe('placing instances on hosts', () => {
  const free = [host(1, 2), host(2, 5), host(3, 1), host(4, 0)];

  it('affinity true: all on the first host with room for all', () => {
    expect(planSlots(free, 2, true)).toEqual([host(1, 2)]);
    expect(planSlots(free, 4, true)).toEqual([host(2, 4)]);
    expect(planSlots(free, 6, true)).toBeNull();
  });

  it('affinity false: one each on distinct hosts', () => {
    expect(planSlots(free, 3, false)).toEqual([host(1, 1), host(2, 1), host(3, 1)]);
    expect(planSlots(free, 4, false)).toBeNull();
  });

  it('affinity null: hosts filled in order', () => {
    expect(planSlots(free, 1, null)).toEqual([host(1, 1)]);
    expect(planSlots(free, 6, null)).toEqual([host(1, 2), host(2, 4)]);
    expect(planSlots(free, 8, null)).toEqual([host(1, 2), host(2, 5), host(3, 1)]);
    expect(planSlots(free, 9, null)).toBeNull();
    expect(planSlots([], 1, null)).toBeNull();
  });

  it('describes what is free for the 409 message', () => {
    expect(describeFree(free, null)).toBe('8 free slot(s) on 3 host(s)');
    expect(describeFree(free, true)).toBe('at most 5 instance(s) fit on a single host (8 free slot(s) in all)');
    expect(describeFree(free, false)).toBe('3 host(s) have a free slot (8 free slot(s) in all)');
  });

  it('names the resource class after the reservation id and the slots provider after the host', () => {
    expect(reservationResourceClass('1b4e28ba-2fa1-11d2-883f-0016d3cca427')).toBe('CUSTOM_RESERVATION_1B4E28BA_2FA1_11D2_883F_0016D3CCA427');
    expect(slotsProviderName('compute-1.example.org')).toBe('climate-slots-compute-1.example.org');
  });
});

describe('growing a reservation that holds slots', () => {
  // Free slots beyond what the reservation holds, host 1 being one it holds.
  const beyond = [host(1, 2), host(2, 3), host(3, 1)];
  const held = [host(1, 2)];

  it('sums a reservation\'s rows per host', () => {
    expect(slotsByHost([host(2, 1), host(1, 2), host(2, 3)])).toEqual([host(1, 2), host(2, 4)]);
    expect(slotsByHost([])).toEqual([]);
  });

  it('affinity null: the hosts held first, then the others in order', () => {
    expect(planExtraSlots([host(2, 3), host(1, 2)], held, 3, null)).toEqual([host(1, 2), host(2, 1)]);
    expect(planExtraSlots(beyond, held, 6, null)).toEqual([host(1, 2), host(2, 3), host(3, 1)]);
    expect(planExtraSlots(beyond, held, 7, null)).toBeNull();
    expect(planExtraSlots(beyond, held, 0, null)).toEqual([]);
  });

  it('affinity true: only on the host held; any one host with room when it holds none', () => {
    expect(planExtraSlots(beyond, held, 2, true)).toEqual([host(1, 2)]);
    expect(planExtraSlots(beyond, held, 3, true)).toBeNull(); // host 2 has room, but the instances share one host
    expect(planExtraSlots(beyond, [], 3, true)).toEqual([host(2, 3)]);
  });

  it('affinity false: one each on hosts not held yet', () => {
    expect(planExtraSlots(beyond, held, 2, false)).toEqual([host(2, 1), host(3, 1)]);
    expect(planExtraSlots(beyond, held, 3, false)).toBeNull();
  });

  it('moves each failed host\'s slots together, lowest first, or leaves them', () => {
    // Host 9 failed with 3 slots, host 8 with 2; the reservation also holds 1 on host 1.
    const lost = [host(8, 2), host(9, 3)];
    expect(planMoves(beyond, [host(1, 1)], lost, null)).toEqual({ removed: [8, 9], moves: [host(1, 2), host(2, 3)] });
    expect(planMoves([host(2, 3)], [], lost, null)).toEqual({ removed: [8], moves: [host(2, 2)] }); // 1 left: host 9's 3 do not fit
    expect(planMoves(beyond, [host(1, 1)], [host(8, 1), host(9, 1)], false)).toEqual({ removed: [8, 9], moves: [host(2, 1), host(3, 1)] });
    expect(planMoves(beyond, [], [host(9, 3)], true)).toEqual({ removed: [9], moves: [host(2, 3)] });
    expect(planMoves(beyond, [], [host(9, 4)], true)).toEqual({ removed: [], moves: [] });
  });
});
