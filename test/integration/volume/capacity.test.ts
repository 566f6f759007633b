/**
 * virtual:volume capacity with [compute] driver = none (the capacity calendar alone), on SQLite and MariaDB:
 * one pool per reservation, peaks over overlapping windows, volume types, 409 with asked/free, updates
 * re-checked atomically, and no overcommit when many creates and updates race through the HTTP app.
 */
import request from 'supertest';
import { DIALECTS } from '../../support/database';
import { startTestService, type TestService } from '../../support/service';

jest.setTimeout(120_000);

const volumes = (amount: number | string, size_gb: number | string, extra: Record<string, unknown> = {}) =>
  ({ resource_type: 'virtual:volume', amount, size_gb, ...extra });
const lease = (name: string, reservations: unknown[], start = '2030-01-02 12:00', end = '2030-01-02 14:00') =>
  ({ name, start_date: start, end_date: end, reservations, events: [] });

interface Row { reservation_id: string; pool_id: string; amount: number; size_gb: number; start_date: unknown; end_date: unknown }

describe.each(DIALECTS)('virtual:volume capacity on %s', (dialect) => {
  let svc: TestService;
  let pools: Record<string, string>;
  const post = (body: unknown) => request(svc.app).post('/v1/leases').send(body as object);
  const rows = () => svc.services.db.select<Row>('SELECT reservation_id, pool_id, amount, size_gb, start_date, end_date FROM volume_allocations');
  const poolOf = async (reservationId: string) => (await rows()).filter((r) => r.reservation_id === reservationId).map((r) => String(r.pool_id));

  beforeEach(async () => {
    svc = await startTestService({ dialect, config: { manager: { plugins: ['physical:host', 'virtual:volume'] } } });
    pools = {};
    for (const [name, capacity_gb, volume_type] of [['a@lvm#1', 500, 'lvm'], ['b@lvm#2', 300, 'lvm'], ['c@ceph#3', 1000, 'ceph']] as const) {
      const res = await request(svc.app).post('/v1/volume-pools').send({ name, capacity_gb, volume_type });
      expect(res.status).toBe(201);
      pools[volume_type === 'ceph' ? 'ceph' : name.startsWith('a') ? 'a' : 'b'] = res.body.volume_pool.id;
    }
  });
  afterEach(async () => { await svc.close(); });

  it('validates parameters', async () => {
    for (const bad of [volumes(0, 10), volumes(1, 0), volumes('x', 10), volumes(1, 1.5), { resource_type: 'virtual:volume', size_gb: 1 },
      { resource_type: 'virtual:volume', amount: 1 }, volumes(1, 1, { volume_type: 5 }), volumes(1, 1, { flavor: 'x' }), volumes(1, 1, { volume_ids: ['x'] })]) {
      const res = await post(lease('bad', [bad]));
      expect(res.status).toBe(400);
    }
  });

  it('places all volumes of a reservation on one pool of the asked type and shows the reservation', async () => {
    const res = await post(lease('ceph', [volumes('3', '100', { volume_type: 'ceph' })]));
    expect(res.status).toBe(201);
    const r = res.body.lease.reservations[0];
    expect(r).toMatchObject({ resource_type: 'virtual:volume', amount: 3, size_gb: 100, volume_type: 'ceph', volume_ids: [] });
    expect(await poolOf(r.id)).toEqual([pools.ceph]);
    // 4 x 100 GiB fits no lvm pool whole (500 and 300), though 800 GiB are free in all: one pool per reservation.
    const big = await post(lease('big', [volumes(6, 100, { volume_type: 'lvm' })]));
    expect(big.status).toBe(409);
    expect(big.body.error_message).toMatch(/asked for 6 volume\(s\) of 100 GiB \(600 GiB on one pool\) of volume type lvm/);
    expect(big.body.error_message).toMatch(/2 pool\(s\) of volume type lvm, at most 500 GiB free on one of them \(800 GiB free in all\)/);
  });

  it('counts the peak of overlapping windows, not their sum', async () => {
    // Pool a: 500 GiB. 300 in 12-14 and 200 in 14-16 never overlap each other; 12-16 then has 200 left at peak.
    const one = await post(lease('one', [volumes(3, 100, { volume_type: 'lvm' })], '2030-01-02 12:00', '2030-01-02 14:00'));
    const two = await post(lease('two', [volumes(2, 100, { volume_type: 'lvm' })], '2030-01-02 14:00', '2030-01-02 16:00'));
    expect([one.status, two.status]).toEqual([201, 201]);
    expect(await poolOf(one.body.lease.reservations[0].id)).toEqual([pools.a]);
    expect(await poolOf(two.body.lease.reservations[0].id)).toEqual([pools.a]);
    const across = await post(lease('across', [volumes(1, 200, { volume_type: 'lvm' })], '2030-01-02 13:00', '2030-01-02 15:00'));
    expect(across.status).toBe(201);
    expect(await poolOf(across.body.lease.reservations[0].id)).toEqual([pools.a]);
    // Now a holds 500 from 13 to 14; b (300) takes the next.
    const next = await post(lease('next', [volumes(1, 250, { volume_type: 'lvm' })], '2030-01-02 13:30', '2030-01-02 13:45'));
    expect(await poolOf(next.body.lease.reservations[0].id)).toEqual([pools.b]);
    const none = await post(lease('none', [volumes(1, 60, { volume_type: 'lvm' })], '2030-01-02 13:30', '2030-01-02 13:40'));
    expect(none.status).toBe(409);
    // Outside the busy hours there is room again.
    expect((await post(lease('later', [volumes(1, 500, { volume_type: 'lvm' })], '2030-01-03 12:00', '2030-01-03 13:00'))).status).toBe(201);
  });

  it('re-checks amount, size and window on update, keeping the pool when it still fits, and leaves everything as it was on 409', async () => {
    const res = await post(lease('grow', [volumes(2, 100, { volume_type: 'lvm' })]));
    const { id: leaseId, reservations: [r] } = res.body.lease;
    expect(await poolOf(r.id)).toEqual([pools.a]);
    const put = (changes: Record<string, unknown>, dates: Record<string, unknown> = {}) =>
      request(svc.app).put(`/v1/leases/${leaseId}`).send({ ...dates, reservations: [{ id: r.id, ...changes }] });
    expect((await put({ amount: 5 })).status).toBe(200);
    expect(await poolOf(r.id)).toEqual([pools.a]);
    const tooBig = await put({ size_gb: 200 });
    expect(tooBig.status).toBe(409);
    expect(tooBig.body.error_message).toMatch(/1000 GiB on one pool/);
    expect((await rows()).map((x) => [Number(x.amount), Number(x.size_gb)])).toEqual([[5, 100]]);
    // Another lease takes pool a on the next day; moving there moves to pool b when it fits, else 409.
    expect((await post(lease('other', [volumes(1, 400, { volume_type: 'lvm' })], '2030-01-05 00:00', '2030-01-06 00:00'))).status).toBe(201);
    const moved = await put({ amount: 3 }, { start_date: '2030-01-05 10:00', end_date: '2030-01-05 12:00' });
    expect(moved.status).toBe(200);
    expect(await poolOf(r.id)).toEqual([pools.b]);
    const noRoom = await put({ amount: 4 });
    expect(noRoom.status).toBe(409);
    expect(await poolOf(r.id)).toEqual([pools.b]);
    // Output fields sent back unchanged are ignored.
    expect((await put({ volume_ids: [], amount: 3 })).status).toBe(200);
  });

  it('never overcommits a pool under concurrent creates and updates', async () => {
    const windows = [['2030-01-02 12:00', '2030-01-02 14:00'], ['2030-01-02 13:00', '2030-01-02 15:00'], ['2030-01-02 14:00', '2030-01-02 16:00']];
    const sizes = [[1, 100], [2, 50], [1, 150], [3, 40], [2, 90]];
    const created = await Promise.all(Array.from({ length: 30 }, (_, i) => {
      const [amount, size] = sizes[i % sizes.length];
      const [start, end] = windows[i % windows.length];
      return post(lease(`l${i}`, [volumes(amount, size, { volume_type: 'lvm' })], start, end));
    }));
    expect(created.every((r) => r.status === 201 || r.status === 409)).toBe(true);
    const ok = created.filter((r) => r.status === 201);
    expect(ok.length).toBeGreaterThan(0);
    expect(ok.length).toBeLessThan(30);
    const grows = await Promise.all(ok.map((r) => request(svc.app).put(`/v1/leases/${r.body.lease.id}`)
      .send({ reservations: [{ id: r.body.lease.reservations[0].id, amount: r.body.lease.reservations[0].amount + 1 }] })));
    expect(grows.every((r) => r.status === 200 || r.status === 409)).toBe(true);

    const all = await rows();
    expect(all).toHaveLength(ok.length);
    const capacity: Record<string, number> = { [pools.a]: 500, [pools.b]: 300 };
    const toMs = (v: unknown) => (v instanceof Date ? v.getTime() : new Date(`${String(v).replace(' ', 'T')}Z`).getTime());
    // At every allocation start, what overlaps on each pool fits its capacity.
    for (const at of all) {
      const t = toMs(at.start_date);
      for (const pool of [pools.a, pools.b]) {
        const used = all.filter((x) => String(x.pool_id) === pool && toMs(x.start_date) <= t && toMs(x.end_date) > t)
          .reduce((n, x) => n + Number(x.amount) * Number(x.size_gb), 0);
        expect(used).toBeLessThanOrEqual(capacity[pool]);
      }
    }
    const leases = (await request(svc.app).get('/v1/leases')).body.leases as { reservations: { id: string; amount: number }[] }[];
    for (const l of leases) expect(Number(all.find((x) => x.reservation_id === l.reservations[0].id)!.amount)).toBe(l.reservations[0].amount);
  });
});
