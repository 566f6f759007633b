/**
 * GET /v1/usage: host-hours and instance-slot-hours by project, from the usage ledger, so that leases deleted
 * through the API (counted until the deletion), extended, ended and purged still count what they held.
 */
import request from 'supertest';
import { ManualClock } from '../../src/common';
import { MaintenanceRepository } from '../../src/db';
import { DIALECTS } from '../support/database';
import { startTestService, type TestService } from '../support/service';
import { ADMIN, createHost, createLease, expectError, hostReservation, leaseBody, member } from './helpers';

const reader = (project: string) => ({ 'X-User-Id': `reader-of-${project}`, 'X-Project-Id': project, 'X-Roles': 'reader' });
const instances = (amount: number) => ({
  resource_type: 'virtual:instance', amount, vcpus: 2, memory_mb: 1024, disk_gb: 10, affinity: 'None', resource_properties: '',
});

describe.each(DIALECTS)('usage on %s', (dialect) => {
  let svc: TestService;
  const clock = new ManualClock(new Date('2030-01-01T00:00:00Z'));

  const usage = async (query: Record<string, string>, headers: Record<string, string> = ADMIN) => {
    const res = await request(svc.app).get('/v1/usage').set(headers).query(query);
    expect([res.status, res.body]).toEqual([200, expect.objectContaining({ usage: expect.any(Array) })]);
    return res.body.usage as { project_id: string; resource_type: string; host_hours: number; instance_slot_hours: number; leases: number }[];
  };

  beforeAll(async () => {
    svc = await startTestService({ dialect, clock, config: { manager: { plugins: ['physical:host', 'virtual:instance'] } } });
    for (const name of ['u1', 'u2', 'u3']) await createHost(svc.app, { name, vcpus: 8, memory_mb: 16384, local_gb: 200 });
  });
  afterAll(async () => { await svc.close(); });

  it('counts a lease deleted mid-way until its deletion, and nothing of one deleted before its start', async () => {
    clock.set(new Date('2030-01-01T00:00:00Z'));
    const held = await createLease(svc.app, leaseBody('held', {
      start_date: '2030-01-01 01:00', end_date: '2030-01-01 11:00', reservations: [hostReservation({ min: 2, max: 2 })],
    }), member('deleter'));
    const never = await createLease(svc.app, leaseBody('never', {
      start_date: '2030-01-02 00:00', end_date: '2030-01-02 02:00', reservations: [hostReservation()],
    }), member('deleter'));
    expect(await usage({ start: '2030-01-01 00:00', end: '2030-01-03 00:00', project_id: 'deleter' })).toEqual([
      { project_id: 'deleter', resource_type: 'physical:host', host_hours: 22, instance_slot_hours: 0, leases: 2 },
    ]);

    clock.set(new Date('2030-01-01T05:30:00Z'));
    while (await svc.services.runner.runDueOnce() > 0);
    expect((await request(svc.app).get(`/v1/leases/${held.id}`).set(member('deleter'))).body.lease.status).toBe('ACTIVE');
    await request(svc.app).delete(`/v1/leases/${held.id}`).set(member('deleter')).expect(204);
    await request(svc.app).delete(`/v1/leases/${never.id}`).set(member('deleter')).expect(204);
    // 2 hosts from 01:00 to 05:30.
    expect(await usage({ start: '2030-01-01 00:00', end: '2030-01-03 00:00', project_id: 'deleter' })).toEqual([
      { project_id: 'deleter', resource_type: 'physical:host', host_hours: 9, instance_slot_hours: 0, leases: 1 },
    ]);
    // Only the part of the range asked for.
    expect(await usage({ start: '2030-01-01 04:00', end: '2030-01-01 05:00', project_id: 'deleter' }))
      .toEqual([expect.objectContaining({ host_hours: 2 })]);
  });

  it('counts an extended lease to its new end, the hours before the extension once', async () => {
    clock.set(new Date('2030-02-01T00:00:00Z'));
    const lease = await createLease(svc.app, leaseBody('extended', {
      start_date: '2030-02-01 00:00', end_date: '2030-02-01 02:00', reservations: [hostReservation({ min: 2, max: 2 })],
    }), member('extender'));
    expect(await svc.services.runner.runDueOnce()).toBeGreaterThan(0);
    clock.set(new Date('2030-02-01T01:00:00Z'));
    const res = await request(svc.app).put(`/v1/leases/${lease.id}`).set(member('extender')).send({ end_date: '2030-02-01 05:00' });
    expect(res.status).toBe(200);
    expect(await usage({ start: '2030-02-01 00:00', end: '2030-02-02 00:00', project_id: 'extender' })).toEqual([
      { project_id: 'extender', resource_type: 'physical:host', host_hours: 10, instance_slot_hours: 0, leases: 1 },
    ]);
    // Shortened again later: the hours after the new end no longer count.
    clock.set(new Date('2030-02-01T02:00:00Z'));
    await request(svc.app).put(`/v1/leases/${lease.id}`).set(member('extender')).send({ end_date: '2030-02-01 03:00' }).expect(200);
    expect(await usage({ start: '2030-02-01 00:00', end: '2030-02-02 00:00', project_id: 'extender' }))
      .toEqual([expect.objectContaining({ host_hours: 6 })]);
  });

  it('counts instance slots as instance-slot-hours of virtual:instance', async () => {
    clock.set(new Date('2030-03-01T00:00:00Z'));
    await createLease(svc.app, leaseBody('slots', {
      start_date: '2030-03-01 00:00', end_date: '2030-03-01 04:00', reservations: [instances(3)],
    }), member('slotter'));
    expect(await usage({ start: '2030-03-01 00:00', end: '2030-03-02 00:00', project_id: 'slotter' })).toEqual([
      { project_id: 'slotter', resource_type: 'virtual:instance', host_hours: 0, instance_slot_hours: 12, leases: 1 },
    ]);
  });

  it('counts instance slots added to a started lease from when they were added', async () => {
    clock.set(new Date('2030-03-02T00:00:00Z'));
    const lease = await createLease(svc.app, leaseBody('raised', {
      start_date: '2030-03-02 00:00', end_date: '2030-03-02 04:00', reservations: [instances(2)],
    }), member('raiser'));
    while (await svc.services.runner.runDueOnce() > 0);
    clock.set(new Date('2030-03-02T02:00:00Z'));
    const res = await request(svc.app).put(`/v1/leases/${lease.id}`).set(member('raiser'))
      .send({ reservations: [{ id: lease.reservations[0].id, amount: 3 }] });
    expect([res.status, res.body.lease?.reservations[0].amount]).toEqual([200, 3]);
    // 2 slots for 4 hours, the third for the last 2.
    expect(await usage({ start: '2030-03-02 00:00', end: '2030-03-03 00:00', project_id: 'raiser' })).toEqual([
      { project_id: 'raiser', resource_type: 'virtual:instance', host_hours: 0, instance_slot_hours: 10, leases: 1 },
    ]);
  });

  it('keeps the usage of leases that ended and were purged', async () => {
    clock.set(new Date('2030-04-01T00:00:00Z'));
    const lease = await createLease(svc.app, leaseBody('ended', {
      start_date: '2030-04-01 00:00', end_date: '2030-04-01 03:00', reservations: [hostReservation()],
    }), member('purged'));
    await svc.services.runner.runDueOnce();
    clock.set(new Date('2030-04-02T00:00:00Z'));
    // Earlier tests' leases have events due too: run until none is left.
    while (await svc.services.runner.runDueOnce() > 0);
    expect((await request(svc.app).get(`/v1/leases/${lease.id}`)).body.lease.status).toBe('TERMINATED');
    const maintenance = new MaintenanceRepository(svc.services.db);
    const purged = await svc.services.db.transaction((tx) => maintenance.purgeLeases(tx, [lease.id], new Date('2030-04-02T00:00:00Z')));
    expect(purged.leases).toBe(1);
    expectError(await request(svc.app).get(`/v1/leases/${lease.id}`), 404);
    expect(await usage({ start: '2030-03-31 00:00', end: '2030-04-03 00:00', project_id: 'purged' })).toEqual([
      { project_id: 'purged', resource_type: 'physical:host', host_hours: 3, instance_slot_hours: 0, leases: 1 },
    ]);
  });

  describe('who sees what', () => {
    const range = { start: '2030-05-01 00:00', end: '2030-05-02 00:00' };
    beforeAll(async () => {
      clock.set(new Date('2030-05-01T00:00:00Z'));
      await createLease(svc.app, leaseBody('mine', { start_date: '2030-05-01 00:00', end_date: '2030-05-01 01:00', reservations: [hostReservation()] }), member('p1'));
      await createLease(svc.app, leaseBody('theirs', { start_date: '2030-05-01 02:00', end_date: '2030-05-01 04:00', reservations: [hostReservation()] }), member('p2'));
    });
    const p1 = { project_id: 'p1', resource_type: 'physical:host', host_hours: 1, instance_slot_hours: 0, leases: 1 };
    const p2 = { project_id: 'p2', resource_type: 'physical:host', host_hours: 2, instance_slot_hours: 0, leases: 1 };

    it('admin: every project, or the one named', async () => {
      expect(await usage(range)).toEqual([p1, p2]);
      expect(await usage({ ...range, project_id: 'p2' })).toEqual([p2]);
    });

    it('member: their own project, also when naming another (as lease lists do)', async () => {
      expect(await usage(range, member('p1'))).toEqual([p1]);
      expect(await usage({ ...range, project_id: 'p2' }, member('p1'))).toEqual([p1]);
    });

    it('reader: their own project', async () => {
      expect(await usage({ ...range, project_id: 'p2' }, reader('p2'))).toEqual([p2]);
    });

    it('a user with no role in the project: 403', async () => {
      const res = await request(svc.app).get('/v1/usage').set({ 'X-User-Id': 'x', 'X-Project-Id': 'p1', 'X-Roles': 'observer' }).query(range);
      expectError(res, 403);
    });
  });

  it('refuses bad ranges with a 400 naming the parameter, before reading anything', async () => {
    expectError(await request(svc.app).get('/v1/usage').query({ end: '2030-01-01 00:00' }), 400, /start/);
    expectError(await request(svc.app).get('/v1/usage').query({ start: '2030-01-01 00:00', end: 'tomorrow' }), 400, /Invalid query parameter end/);
    expectError(await request(svc.app).get('/v1/usage').query({ start: '2030-01-02 00:00', end: '2030-01-01 00:00' }), 400,
      /Invalid query parameter end: .* is not after start/);
    expectError(await request(svc.app).get('/v1/usage').query({ start: '2030-01-01 00:00', end: '2030-01-01 00:00' }), 400, /end/);
  });
});
