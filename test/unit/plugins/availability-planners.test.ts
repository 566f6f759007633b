/**
 * The availability planners of physical:host and virtual:instance on hand-made timelines: the starts they offer
 * and what they place, by the allocation rules (cleaning time for whole hosts, peak usage for instance slots), and
 * findSlots over several reservations of one lease.
 */
import type { TimelineBooking, TimelineHost } from '../../../src/db';
import { findSlots, type ValidatedReservation } from '../../../src/leases/availability';
import { HostAvailability } from '../../../src/plugins/physical-host/availability';
import type { AvailabilityPlanner, AvailabilityQuery, ResourcePlugin, TrialHolds } from '../../../src/plugins/types';
import { InstanceAvailability } from '../../../src/plugins/virtual-instance/availability';
import { VolumeAvailability } from '../../../src/plugins/virtual-volume/availability';
import { FloatingIpAvailability } from '../../../src/plugins/floatingip/availability';

const H = 3_600_000;
const T0 = Date.UTC(2030, 0, 1);
const at = (hours: number) => T0 + hours * H;
const host = (id: number, vcpus = 8): TimelineHost => ({ id, name: `h${id}`, reservable: true, vcpus, memory_mb: 8192, disk_gb: 100 });
const whole = (hostId: number, from: number, to: number): TimelineBooking => ({
  hostId, kind: 'host', start: at(from), end: at(to), vcpus: 0, memory_mb: 0, disk_gb: 0,
});
const slots = (hostId: number, from: number, to: number, vcpus: number): TimelineBooking => ({
  hostId, kind: 'instance', start: at(from), end: at(to), vcpus, memory_mb: 0, disk_gb: 0,
});
const query = (hours: number, from = 0, to = 48): AvailabilityQuery => ({ from: new Date(at(from)), to: new Date(at(to)), durationMs: hours * H });
const noHolds = (): TrialHolds => ({ wholeHosts: new Set(), instanceUse: new Map(), others: new Set(), amounts: new Map() });

describe('HostAvailability', () => {
  it('offers the first start and each start where enough hosts are clear of bookings and their cleaning time', () => {
    const planner = new HostAvailability([host(1), host(2)], [whole(1, 2, 10), whole(2, 4, 6)], { min: 2, max: 2 }, query(3), H);
    // Both hosts are free for 3 h with 1 h of cleaning on each side only from 11:00 (h1) on.
    expect(planner.candidates().map((t) => (t - T0) / H)).toEqual([11]);
    expect(planner.place(at(10), noHolds())).toBeNull();
    expect(planner.place(at(11), noHolds())).toEqual({ count: 2, hosts: [{ id: 1, name: 'h1' }, { id: 2, name: 'h2' }] });
  });

  it('takes the lowest ids up to max, and counts instance slots on a host as holding it', () => {
    const planner = new HostAvailability([host(1), host(2), host(3)], [slots(1, 0, 5, 1)], { min: 1, max: 2 }, query(1), 0);
    expect(planner.place(at(0), noHolds())?.hosts.map((h) => h.id)).toEqual([2, 3]);
    const holds = noHolds();
    holds.wholeHosts.add(2);
    expect(planner.place(at(0), holds)?.hosts.map((h) => h.id)).toEqual([3]);
    expect([...holds.wholeHosts]).toEqual([2, 3]);
  });

  it('offers nothing when the range is shorter than the duration', () => {
    expect(new HostAvailability([host(1)], [], { min: 1, max: 1 }, query(5, 0, 4), 0).candidates()).toEqual([]);
  });
});

describe('InstanceAvailability', () => {
  it('offers the starts where the amount fits under the affinity rule, from each host\'s own edges', () => {
    // h1 and h2 (8 vCPUs: 2 slots of 4 each) are half taken 00:00-02:00 and 03:00-04:00 respectively.
    const booked = [slots(1, 0, 2, 4), slots(2, 3, 4, 4)];
    const offered = (amount: number, affinity: boolean | null) => new InstanceAvailability([host(1), host(2)], booked,
      { ...params, amount, affinity }, query(1, 0, 6)).candidates().map((t) => (t - T0) / H);
    // Edges: h1 frees up at 02:00; h2's booking enters the hour from 02:01 and leaves it at 04:00.
    const twoOhOne = 2 + 1 / 60;
    expect(offered(4, null)).toEqual([2, 4]);
    expect(offered(2, true)).toEqual([0, 2, twoOhOne, 4]);
    expect(offered(3, null)).toEqual([0, 2, twoOhOne, 4]);
    expect(offered(2, false)).toEqual([0, 2, twoOhOne, 4]);
    expect(offered(3, false)).toEqual([]);
  });


  const params = { amount: 2, affinity: null, vcpus: 4, memory_mb: 0, disk_gb: 0 };

  it('counts the peak of what is held during the window, including bookings that start inside it', () => {
    // h1 (8 vCPUs) is free at 00:00, but half of it is taken from 01:00: 2 slots of 4 fit for 1 h only.
    const planner = new InstanceAvailability([host(1)], [slots(1, 1, 5, 4)], params, query(2));
    expect(planner.place(at(0), noHolds())).toBeNull();
    expect(new InstanceAvailability([host(1)], [slots(1, 1, 5, 4)], params, query(1)).place(at(0), noHolds())).toEqual({
      count: 2, hosts: [{ id: 1, name: 'h1', instances: 2 }],
    });
    // The only start offered is the one at which the booking has left the window.
    expect(planner.candidates().map((t) => (t - T0) / H)).toEqual([5]);
    expect(planner.place(at(5), noHolds())).not.toBeNull();
  });

  it('gives no slots on a host held whole in the window (no cleaning time), and honours affinity and holds', () => {
    const hosts = [host(1), host(2)];
    expect(new InstanceAvailability(hosts, [whole(1, 0, 2)], { ...params, affinity: true }, query(1)).place(at(1), noHolds())?.hosts)
      .toEqual([{ id: 2, name: 'h2', instances: 2 }]);
    expect(new InstanceAvailability(hosts, [whole(1, 0, 2)], params, query(1)).place(at(2), noHolds())?.hosts)
      .toEqual([{ id: 1, name: 'h1', instances: 2 }]);
    const holds = noHolds();
    holds.instanceUse.set(1, { vcpus: 4, memory_mb: 0, disk_gb: 0 });
    expect(new InstanceAvailability(hosts, [], { ...params, affinity: false }, query(1)).place(at(0), holds)?.hosts)
      .toEqual([{ id: 1, name: 'h1', instances: 1 }, { id: 2, name: 'h2', instances: 1 }]);
    expect(holds.instanceUse.get(1)).toEqual({ vcpus: 8, memory_mb: 0, disk_gb: 0 });
  });
});

describe('VolumeAvailability', () => {
  const pools = [{ id: 'p2', name: 'b', capacityGb: 100 }, { id: 'p1', name: 'a', capacityGb: 100 }];
  const gb = (poolId: string, from: number, to: number, n: number) => ({ poolId, start: at(from), end: at(to), gb: n });

  it('takes the first pool by name with room for the peak of the window, bookings starting inside it included', () => {
    const planner = new VolumeAvailability(pools, [gb('p1', 1, 3, 60), gb('p2', 0, 9, 60)], { amount: 1, size_gb: 50 }, query(2));
    // From 00:00 for 2 h, pool a fills to 60 GiB at 01:00: no room for 50 anywhere until 03:00.
    expect(planner.place(at(0), noHolds())).toBeNull();
    expect(planner.candidates().map((t) => (t - T0) / H)).toEqual([3, 9]);
    const holds = noHolds();
    expect(planner.place(at(3), holds)).toEqual({ count: 1, hosts: [], pool: 'a' });
    expect(planner.place(at(3), holds)).toEqual({ count: 1, hosts: [], pool: 'a' });
    expect(planner.place(at(3), holds)).toBeNull();
  });
});

describe('FloatingIpAvailability', () => {
  const ips = [{ id: 'a', address: '10.0.0.1' }, { id: 'b', address: '10.0.0.2' }, { id: 'c', address: '10.0.0.3' }];

  it('needs every required address free, and fills the rest with the lowest ids', () => {
    const booked = [{ id: 'c', start: at(0), end: at(2) }, { id: 'a', start: at(1), end: at(4) }];
    const planner = new FloatingIpAvailability(ips, booked, [ips[2]], 2, query(1));
    expect(planner.candidates().map((t) => (t - T0) / H)).toEqual([2, 4]);
    expect(planner.place(at(2), noHolds())).toEqual({ count: 2, hosts: [], floatingips: ['10.0.0.3', '10.0.0.2'] });
    expect(new FloatingIpAvailability(ips, booked, [], 2, query(1)).place(at(0), noHolds())?.floatingips).toEqual(['10.0.0.1', '10.0.0.2']);
  });
});

describe('findSlots', () => {
  const plugin = (type: string, make: (q: AvailabilityQuery) => AvailabilityPlanner): ValidatedReservation => ({
    params: {}, plugin: { resourceType: type, planAvailability: async (_tx: unknown, _p: unknown, q: AvailabilityQuery) => make(q) } as unknown as ResourcePlugin,
  });

  it('answers windows that do not overlap, each the earliest after the one before', async () => {
    const r = plugin('physical:host', (q) => new HostAvailability([host(1)], [whole(1, 5, 6)], { min: 1, max: 1 }, q, 0));
    const found = await findSlots(undefined, [r], query(2, 0, 12), 4);
    expect(found.map((s) => [(s.start.getTime() - T0) / H, (s.end.getTime() - T0) / H])).toEqual([[0, 2], [2, 4], [6, 8], [8, 10]]);
  });

  it('places the reservations of a lease together: a later one does without what an earlier one takes', async () => {
    const hosts = [host(1), host(2)];
    const first = plugin('physical:host', (q) => new HostAvailability(hosts, [whole(2, 0, 3)], { min: 1, max: 1 }, q, 0));
    const second = plugin('virtual:instance', (q) => new InstanceAvailability(hosts, [whole(2, 0, 3)], { ...params(), amount: 1 }, q));
    // Alone each fits at 00:00 on h1; together they need h2 too, free from 03:00.
    const [slot] = await findSlots(undefined, [first, second], query(1, 0, 12), 1);
    expect((slot.start.getTime() - T0) / H).toBe(3);
    expect(slot.placements.map((p) => p.placement.hosts.map((h) => h.id))).toEqual([[1], [2]]);
  });

  it('says which types cannot answer yet', async () => {
    const r = { params: {}, plugin: { resourceType: 'virtual:volume' } as unknown as ResourcePlugin };
    await expect(findSlots(undefined, [r], query(1), 1)).rejects.toThrow('virtual:volume is not supported for availability yet');
  });
});

function params() {
  return { amount: 2, affinity: null, vcpus: 4, memory_mb: 0, disk_gb: 0 };
}
