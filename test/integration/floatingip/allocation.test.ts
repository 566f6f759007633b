/**
 * virtual:floatingip reservations with [compute] driver = none (the address calendar alone), on SQLite and
 * MariaDB: required plus lowest-id free addresses, 409s that say what was asked and what is free, updates that
 * keep the addresses held, unregistering reserved addresses, and no double booking when creates race through
 * the real HTTP app.
 */
import request from 'supertest';
import { DIALECTS } from '../../support/database';
import { startTestService, type TestService } from '../../support/service';

jest.setTimeout(120_000);

const NET = '5e2b3d0c-8f7a-4a7e-9b39-6c1f4b5d2e10';
const OTHER_NET = '0a1b2c3d-4e5f-4071-8293-a4b5c6d7e8f9';
const fips = (amount: number | string, required?: string[], network = NET) => ({
  resource_type: 'virtual:floatingip', network_id: network, amount, ...(required ? { required_floatingips: required } : {}),
});
const lease = (name: string, reservations: unknown[], start = '2030-01-02 12:00', end = '2030-01-02 14:00') =>
  ({ name, start_date: start, end_date: end, reservations, events: [] });

interface Row { reservation_id: string; floating_ip_address: string }

describe.each(DIALECTS)('virtual:floatingip allocation on %s', (dialect) => {
  let svc: TestService;
  /** Registered addresses by id order (the order free addresses are taken in). */
  let byId: { id: string; address: string }[];
  const post = (body: unknown) => request(svc.app).post('/v1/leases').send(body as object);
  const held = async (reservationId: string) => (await svc.services.db.select<Row>(
    'SELECT a.reservation_id, f.floating_ip_address FROM floatingip_allocations a JOIN floatingips f ON f.id = a.floatingip_id '
    + 'WHERE a.reservation_id = ? ORDER BY f.floating_ip_address', [reservationId])).map((r) => r.floating_ip_address);
  const allRows = () => svc.services.db.select<Row>(
    'SELECT a.reservation_id, f.floating_ip_address FROM floatingip_allocations a JOIN floatingips f ON f.id = a.floatingip_id');

  beforeEach(async () => {
    svc = await startTestService({ dialect, config: { manager: { plugins: ['physical:host', 'virtual:floatingip'] } } });
    byId = [];
    for (let i = 1; i <= 5; i++) {
      const res = await request(svc.app).post('/v1/floatingips').send({ floating_network_id: NET, floating_ip_address: `172.24.4.10${i}` });
      expect(res.status).toBe(201);
      byId.push({ id: res.body.floatingip.id, address: res.body.floatingip.floating_ip_address });
    }
    await request(svc.app).post('/v1/floatingips').send({ floating_network_id: OTHER_NET, floating_ip_address: '10.0.0.1' }).expect(201);
    byId.sort((a, b) => (a.id < b.id ? -1 : 1));
  });
  afterEach(async () => { await svc.close(); });

  it('takes the required addresses plus the lowest-id free ones and shows them', async () => {
    const required = byId[4].address;
    const res = await post(lease('a', [fips(3, [required])]));
    expect(res.status).toBe(201);
    const r = res.body.lease.reservations[0];
    const expected = [required, byId[0].address, byId[1].address].sort();
    expect(r).toMatchObject({ resource_type: 'virtual:floatingip', network_id: NET, amount: 3, required_floatingips: [required] });
    expect([...r.floatingips].sort()).toEqual(expected);
    expect(await held(r.id)).toEqual(expected);
    const shown = await request(svc.app).get(`/v1/leases/${res.body.lease.id}`);
    expect([...shown.body.lease.reservations[0].floatingips].sort()).toEqual(expected);

    // Another window does not compete; an overlapping one gets what is left.
    const later = await post(lease('later', [fips(5)], '2030-01-03 12:00', '2030-01-03 14:00'));
    expect(later.status).toBe(201);
    const overlap = await post(lease('b', [fips(2)], '2030-01-02 13:00', '2030-01-02 15:00'));
    expect(overlap.status).toBe(201);
    expect(await held(overlap.body.lease.reservations[0].id)).toEqual([byId[2].address, byId[3].address].sort());
  });

  it('409s say what was asked and what is free, and leave nothing behind', async () => {
    expect((await post(lease('a', [fips(3)]))).status).toBe(201);
    const before = await allRows();
    const short = await post(lease('b', [fips(3)]));
    expect(short.status).toBe(409);
    expect(short.body.error_message).toMatch(new RegExp(`asked for 3 floating IP\\(s\\) on network ${NET} .*5 reservable floating IP\\(s\\) registered on it, 2 of them free then`));
    expect(short.body.error_message).toContain(byId[3].address);
    const takenRequired = await post(lease('c', [fips(1, [byId[0].address])]));
    expect(takenRequired.status).toBe(409);
    expect(takenRequired.body.error_message).toMatch(new RegExp(`required floating IP\\(s\\) ${byId[0].address.replace(/\./g, '\\.')}`));
    expect(await allRows()).toEqual(before);
    const leases = await request(svc.app).get('/v1/leases');
    expect(leases.body.leases.map((l: { name: string }) => l.name)).toEqual(['a']);
  });

  it('400s for a required address not registered on the network', async () => {
    const res = await post(lease('x', [fips(1, ['10.0.0.1'])]));
    expect(res.status).toBe(400);
    expect(res.body.error_message).toMatch(/10\.0\.0\.1 is not a reservable floating IP registered on network/);
    const unknownNet = await post(lease('y', [fips(1, undefined, 'no-such-net')]));
    expect(unknownNet.status).toBe(409);
    expect(unknownNet.body.error_message).toMatch(/0 reservable floating IP\(s\) registered on it/);
  });

  it('updates re-check the amount and window atomically and keep the addresses held', async () => {
    const created = await post(lease('a', [fips(2, [byId[3].address])]));
    const leaseId = created.body.lease.id;
    const rid = created.body.lease.reservations[0].id;
    const first = await held(rid);
    expect(first).toEqual([byId[0].address, byId[3].address].sort());
    const grow = await request(svc.app).put(`/v1/leases/${leaseId}`).send({ reservations: [{ id: rid, amount: 4 }] });
    expect(grow.status).toBe(200);
    const grown = await held(rid);
    expect(grown).toEqual(expect.arrayContaining(first));
    expect(grown).toHaveLength(4);
    expect([...grow.body.lease.reservations[0].floatingips].sort()).toEqual(grown);

    // Another lease takes the lowest-id address in a later window (one this lease holds now); moving the end
    // into that window keeps the others, replaces that one with the last free address, and leaves too few for 5.
    const other = await post(lease('b', [fips(1)], '2030-01-02 15:00', '2030-01-02 16:00'));
    expect(other.status).toBe(201);
    const othersAddress = other.body.lease.reservations[0].floatingips[0];
    expect(othersAddress).toBe(byId[0].address);
    const tooBig = await request(svc.app).put(`/v1/leases/${leaseId}`).send({ end_date: '2030-01-02 15:30', reservations: [{ id: rid, amount: 5 }] });
    expect(tooBig.status).toBe(409);
    expect(await held(rid)).toEqual(grown);
    const moved = await request(svc.app).put(`/v1/leases/${leaseId}`).send({ end_date: '2030-01-02 15:30' });
    expect(moved.status).toBe(200);
    const now = await held(rid);
    expect(now).toHaveLength(4);
    expect(now).not.toContain(othersAddress);
    expect(now).toEqual(expect.arrayContaining(grown.filter((a) => a !== othersAddress)));
    expect([...moved.body.lease.reservations[0].floatingips].sort()).toEqual(now);

    const shrink = await request(svc.app).put(`/v1/leases/${leaseId}`).send({ reservations: [{ id: rid, amount: 1 }] });
    expect(shrink.status).toBe(200);
    expect(await held(rid)).toEqual([byId[3].address]);
    expect(shrink.body.lease.reservations[0].floatingips).toEqual([byId[3].address]);
  });

  it('refuses to unregister an address reserved now or later, and allows it once the lease is gone', async () => {
    const created = await post(lease('a', [fips(1, [byId[2].address])]));
    const del = await request(svc.app).delete(`/v1/floatingips/${byId[2].id}`);
    expect(del.status).toBe(409);
    expect(del.body.error_message).toMatch(/reserved now or later/);
    await request(svc.app).delete(`/v1/floatingips/${byId[0].id}`).expect(204);
    await request(svc.app).delete(`/v1/leases/${created.body.lease.id}`).expect(204);
    await request(svc.app).delete(`/v1/floatingips/${byId[2].id}`).expect(204);
  });

  it('never books an address twice when creates and updates race', async () => {
    const creates = Array.from({ length: 8 }, (_, i) => post(lease(`race-${i}`, [fips(i % 2 ? 2 : 1)])));
    const created = await Promise.all(creates);
    const ok = created.filter((r) => r.status === 201);
    expect(created.every((r) => r.status === 201 || r.status === 409)).toBe(true);
    const rows = await allRows();
    expect(new Set(rows.map((r) => r.floating_ip_address)).size).toBe(rows.length);
    expect(rows.length).toBeLessThanOrEqual(5);
    const wanted = ok.reduce((n, r) => n + Number(r.body.lease.reservations[0].amount), 0);
    expect(rows.length).toBe(wanted);
    // Everyone tries to grow by one at once: still no address twice.
    await Promise.all(ok.map((r) => request(svc.app).put(`/v1/leases/${r.body.lease.id}`)
      .send({ reservations: [{ id: r.body.lease.reservations[0].id, amount: Number(r.body.lease.reservations[0].amount) + 1 }] })));
    const after = await allRows();
    expect(new Set(after.map((r) => r.floating_ip_address)).size).toBe(after.length);
    expect(after.length).toBeLessThanOrEqual(5);
  });

  it('gives a required address to exactly one of several concurrent requests', async () => {
    const wanted = byId[2].address;
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => post(lease(`want-${i}`, [fips(i % 2 ? 2 : 1, [wanted])]))));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(5);
    const rows = await allRows();
    expect(rows.filter((r) => r.floating_ip_address === wanted)).toHaveLength(1);
    expect(new Set(rows.map((r) => r.floating_ip_address)).size).toBe(rows.length);
  });
});
