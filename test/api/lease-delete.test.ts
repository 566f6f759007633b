/** DELETE /v1/leases/{id}: 204, the lease gone, its hosts free for others. */
import request from 'supertest';
import { ManualClock } from '../../src/common';
import { DIALECTS } from '../support/database';
import { startTestService, type TestService } from '../support/service';
import { createHost, createLease, expectError, hostReservation, hostsOfLease, leaseBody, member } from './helpers';

describe.each(DIALECTS)('lease delete on %s', (dialect) => {
  let svc: TestService;
  let host: string;

  beforeAll(async () => {
    svc = await startTestService({ dialect, clock: new ManualClock(new Date('2029-06-01T10:00:00Z')) });
    host = (await createHost(svc.app, { name: 'solo', vcpus: 4 })).id;
  });
  afterAll(async () => { await svc.close(); });

  it('answers 204 with an empty body, and releases the host for another lease', async () => {
    const lease = await createLease(svc.app, leaseBody('holder', { reservations: [hostReservation()] }), member('p1'));
    expect(await hostsOfLease(svc.app, lease.id)).toEqual([host]);
    const blocked = await request(svc.app).post('/v1/leases').set(member('p2')).send(leaseBody('waiting', { reservations: [hostReservation()] }));
    expectError(blocked, 409, /Not enough hosts/);

    const res = await request(svc.app).delete(`/v1/leases/${lease.id}`).set(member('p1'));
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expectError(await request(svc.app).get(`/v1/leases/${lease.id}`), 404, `Object with {'lease_id': '${lease.id}'} not found`);
    expect(await hostsOfLease(svc.app, lease.id)).toEqual([]);
    const allocation = await request(svc.app).get(`/v1/os-hosts/${host}/allocation`);
    expect(allocation.body).toEqual({ allocation: { resource_id: host, reservations: [] } });

    const next = await createLease(svc.app, leaseBody('waiting', { reservations: [hostReservation()] }), member('p2'));
    expect(await hostsOfLease(svc.app, next.id)).toEqual([host]);
    await request(svc.app).delete(`/v1/leases/${next.id}`).expect(204);
  });

  it('frees the name for a new lease of the project', async () => {
    const lease = await createLease(svc.app, leaseBody('reused'));
    await request(svc.app).delete(`/v1/leases/${lease.id}`).expect(204);
    const again = await request(svc.app).post('/v1/leases').send(leaseBody('reused'));
    expect(again.status).toBe(201);
  });

  it('answers 404 for a lease already deleted', async () => {
    const lease = await createLease(svc.app, leaseBody('twice'));
    await request(svc.app).delete(`/v1/leases/${lease.id}`).expect(204);
    expectError(await request(svc.app).delete(`/v1/leases/${lease.id}`), 404, `Object with {'lease_id': '${lease.id}'} not found`);
  });

  it('lets the host itself be deleted once its lease is gone', async () => {
    const extra = (await createHost(svc.app, { name: 'spare', vcpus: 1 })).id;
    const lease = await createLease(svc.app, leaseBody('on-spare', {
      start_date: '2030-02-01 00:00', end_date: '2030-02-02 00:00',
      reservations: [hostReservation({ hypervisor_properties: '["==", "$hypervisor_hostname", "spare"]' })],
    }));
    expectError(await request(svc.app).delete(`/v1/os-hosts/${extra}`), 409, /allocated/);
    await request(svc.app).delete(`/v1/leases/${lease.id}`).expect(204);
    expect((await request(svc.app).delete(`/v1/os-hosts/${extra}`)).status).toBe(204);
  });
});
