import { describeFree, planSlots, reservationResourceClass, slotsFor } from '../../../../src/plugins/virtual-instance';

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

  it('names the resource class after the reservation id', () => {
    expect(reservationResourceClass('1b4e28ba-2fa1-11d2-883f-0016d3cca427')).toBe('CUSTOM_RESERVATION_1B4E28BA_2FA1_11D2_883F_0016D3CCA427');
  });
});
