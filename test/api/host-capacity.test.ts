/**
 * GET /v1/os-hosts/capacity: per step, hosts in total, reservable, allocated, holding instance slots and free,
 * with the cleaning time around allocations and non-reservable hosts; a step's free count is what a create of
 * that step gets.
 */
import request from 'supertest';
import { ManualClock } from '../../src/common';
import { DIALECTS } from '../support/database';
import { startTestService, type TestService } from '../support/service';
import { ADMIN, createHost, createLease, expectError, hostReservation, leaseBody, member, LEASE_DATE } from './helpers';

const GPU = '["==", "$gpu", "true"]';
const reader = (project: string) => ({ 'X-User-Id': `reader-of-${project}`, 'X-Project-Id': project, 'X-Roles': 'reader' });
type Step = { start_date: string; end_date: string; total: number; reservable: number; allocated: number; with_instances: number; free: number };

describe.each(DIALECTS)('host capacity on %s', (dialect) => {
  let svc: TestService;
  const clock = new ManualClock(new Date('2030-01-01T00:00:00Z'));
  const day = { start: '2030-01-01 00:00', end: '2030-01-01 08:00', step: '1h' };

  const capacity = async (query: Record<string, string>) => {
    const res = await request(svc.app).get('/v1/os-hosts/capacity').set(ADMIN).query(query);
    expect([res.status, res.body.error_message]).toEqual([200, undefined]);
    return res.body.capacity as { start_date: string; end_date: string; step: number; steps: Step[] };
  };
  const column = (steps: Step[], field: keyof Step) => steps.map((s) => s[field]);

  beforeAll(async () => {
    svc = await startTestService({
      dialect, clock, config: { default: { cleaningTimeMinutes: 30 }, manager: { plugins: ['physical:host', 'virtual:instance'] } },
    });
    await createHost(svc.app, { name: 'c1', vcpus: 8, memory_mb: 16384, local_gb: 100, gpu: 'true' });
    await createHost(svc.app, { name: 'c2', vcpus: 8, memory_mb: 16384, local_gb: 100, gpu: 'true' });
    await createHost(svc.app, { name: 'c3', vcpus: 8, memory_mb: 16384, local_gb: 100, gpu: 'false' });
    const down = await createHost(svc.app, { name: 'c4', vcpus: 8, memory_mb: 16384, local_gb: 100, gpu: 'true' });
    // As host healing marks a host Nova reports down.
    await svc.services.db.transaction((tx) => svc.services.repos.hosts.setHealth(tx, Number(down.id), { reservable: false, status: 'down' }, clock.now()));
    // c1 (the lowest free GPU host) from 02:00 to 04:00, an instance slot on c3 from 06:00 to 07:00.
    await createLease(svc.app, leaseBody('gpu', {
      start_date: '2030-01-01 02:00', end_date: '2030-01-01 04:00', reservations: [hostReservation({ resource_properties: GPU })],
    }), member('p1'));
    await createLease(svc.app, leaseBody('slot', {
      start_date: '2030-01-01 06:00', end_date: '2030-01-01 07:00',
      reservations: [{ resource_type: 'virtual:instance', amount: 1, vcpus: 1, memory_mb: 512, disk_gb: 10, affinity: 'None',
        resource_properties: '["==", "$gpu", "false"]' }],
    }), member('p1'));
  });
  afterAll(async () => { await svc.close(); });

  it('counts each step, with the cleaning time around allocations and the non-reservable host', async () => {
    const answer = await capacity(day);
    expect(answer).toEqual(expect.objectContaining({ start_date: '2030-01-01T00:00:00.000000', end_date: '2030-01-01T08:00:00.000000', step: 3600 }));
    expect(answer.steps).toHaveLength(8);
    expect(answer.steps[1]).toEqual({
      start_date: '2030-01-01T01:00:00.000000', end_date: '2030-01-01T02:00:00.000000',
      total: 4, reservable: 3, allocated: 0, with_instances: 0, free: 2,
    });
    expect(answer.steps.every((s) => LEASE_DATE.test(s.start_date) && s.total === 4 && s.reservable === 3)).toBe(true);
    expect(column(answer.steps, 'allocated')).toEqual([0, 0, 1, 1, 0, 0, 0, 0]);
    expect(column(answer.steps, 'with_instances')).toEqual([0, 0, 0, 0, 0, 0, 1, 0]);
    // c1 is cleaned 01:30-02:00 and 04:00-04:30, c3 05:30-06:00 and 07:00-07:30.
    expect(column(answer.steps, 'free')).toEqual([3, 2, 2, 2, 2, 2, 2, 2]);
  });

  it('narrows to the hosts matching a filter', async () => {
    const answer = await capacity({ ...day, resource_properties: GPU });
    expect(answer.steps.map((s) => [s.total, s.reservable])).toEqual(new Array(8).fill([3, 2]));
    expect(column(answer.steps, 'allocated')).toEqual([0, 0, 1, 1, 0, 0, 0, 0]);
    expect(column(answer.steps, 'with_instances')).toEqual(new Array(8).fill(0));
    expect(column(answer.steps, 'free')).toEqual([2, 1, 1, 1, 1, 2, 2, 2]);
    const big = await capacity({ ...day, hypervisor_properties: '[">=", "$vcpus", "16"]' });
    expect(big.steps[0]).toEqual(expect.objectContaining({ total: 0, reservable: 0, free: 0 }));
  });

  it('says per step what a lease of that step can get: free hosts, not one more', async () => {
    const { steps } = await capacity(day);
    for (const [i, step] of steps.entries()) {
      const window = { start_date: step.start_date.slice(0, 16).replace('T', ' '), end_date: step.end_date.slice(0, 16).replace('T', ' ') };
      const tooMany = await request(svc.app).post('/v1/leases').set(member('probe'))
        .send(leaseBody(`too-many-${i}`, { ...window, reservations: [hostReservation({ min: step.free + 1, max: step.free + 1 })] }));
      expectError(tooMany, 409, /Not enough hosts/);
      const fits = await createLease(svc.app, leaseBody(`fits-${i}`, { ...window, reservations: [hostReservation({ min: step.free, max: step.free })] }),
        member('probe'));
      await request(svc.app).delete(`/v1/leases/${fits.id}`).set(member('probe')).expect(204);
    }
  });

  it('defaults to now and 1-hour steps; the last step ends with the range', async () => {
    clock.set(new Date('2030-01-01T00:00:00Z'));
    const answer = await capacity({ end: '2030-01-01 02:30' });
    expect(answer.step).toBe(3600);
    expect(answer.steps.map((s) => [s.start_date.slice(11, 16), s.end_date.slice(11, 16)])).toEqual([['00:00', '01:00'], ['01:00', '02:00'], ['02:00', '02:30']]);
  });

  it('is for admins: members and readers get 403', async () => {
    expectError(await request(svc.app).get('/v1/os-hosts/capacity').set(member('p1')).query(day), 403);
    expectError(await request(svc.app).get('/v1/os-hosts/capacity').set(reader('p1')).query(day), 403);
  });

  it('refuses bad input with a 400 naming the parameter', async () => {
    const get = (query: Record<string, string>) => request(svc.app).get('/v1/os-hosts/capacity').set(ADMIN).query(query);
    expectError(await get({ start: day.start }), 400, /end/);
    expectError(await get({ ...day, start: '2030-13-01 00:00' }), 400, /Invalid query parameter start/);
    expectError(await get({ ...day, end: day.start }), 400, /Invalid query parameter end: .* is not after start/);
    expectError(await get({ ...day, step: 'hourly' }), 400, /Invalid query parameter step/);
    expectError(await get({ ...day, step: '0' }), 400, /Invalid query parameter step/);
    // 30 days at 1-minute steps: 43,200 steps.
    expectError(await get({ start: '2030-01-01 00:00', end: '2030-01-31 00:00', step: '60' }), 400,
      /Invalid query parameter step: .*43200 steps; at most 10000 .*at least 260 seconds/);
    expectError(await get({ ...day, resource_properties: '["==", "$nope", "1"]' }), 400, /resource_properties/);
    expectError(await get({ ...day, hypervisor_properties: '[not json' }), 400, /hypervisor_properties/);
  });
});
