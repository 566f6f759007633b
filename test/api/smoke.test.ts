import request from 'supertest';
import { DIALECTS } from '../support/database';
import { startTestService, type TestService } from '../support/service';

describe.each(DIALECTS)('lease and host basics on %s', (dialect) => {
  let svc: TestService;
  beforeAll(async () => { svc = await startTestService({ dialect }); });
  afterAll(async () => { await svc.close(); });

  it('registers hosts, leases one, and shows the allocation', async () => {
    for (const [name, vcpus] of [['c1', 4], ['c2', 16]] as const) {
      const res = await request(svc.app).post('/v1/os-hosts').send({ name, vcpus, gpu: vcpus > 8 ? 'True' : 'False' });
      expect(res.status).toBe(201);
    }
    const lease = await request(svc.app).post('/v1/leases').send({
      name: 'l1', start_date: '2030-01-01 12:00', end_date: '2030-01-02 12:00',
      reservations: [{ resource_type: 'physical:host', min: 1, max: 1, hypervisor_properties: '[">=", "$vcpus", "8"]', resource_properties: '' }],
    });
    expect(lease.status).toBe(201);
    const alloc = await request(svc.app).get(`/v1/os-hosts/allocations?lease_id=${lease.body.lease.id}`);
    // Every host is listed; only the one the lease holds has reservations.
    expect(alloc.body.allocations.filter((a: { reservations: unknown[] }) => a.reservations.length))
      .toEqual([{ resource_id: '2', reservations: [expect.objectContaining({ lease_id: lease.body.lease.id })] }]);
    const second = await request(svc.app).post('/v1/leases').send({
      name: 'l2', start_date: '2030-01-01 13:00', end_date: '2030-01-01 14:00',
      reservations: [{ resource_type: 'physical:host', min: 1, max: 1, resource_properties: '["==", "$gpu", "True"]' }],
    });
    expect(second.status).toBe(409);
    expect(second.body.error_message).toMatch(/Not enough hosts/);
  });
});
