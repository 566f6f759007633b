/**
 * Per-project quotas (issue 16, part 2) through the API on both engines: who may read and set them, how a bad
 * body is refused, and every limit on lease create and update. A refused change writes nothing.
 */
import request from 'supertest';
import { ManualClock } from '../../src/common';
import { DIALECTS } from '../support/database';
import { startTestService, type TestService } from '../support/service';
import { ADMIN, allocationsOfLease, createHost, createLease, expectError, hostReservation, leaseBody, member } from './helpers';

const NOW = new Date('2029-06-01T10:00:00Z');
const reader = (project: string) => ({ 'X-User-Id': `reader-of-${project}`, 'X-Project-Id': project, 'X-Roles': 'reader' });
const DEFAULTS = { hosts: -1, host_hours: -1, instance_slots: 40, leases: -1, max_lease_duration: -1, max_extension: -1 };

/** What a refused change could have written: leases, allocations of every host, unsent notifications. */
async function written(svc: TestService) {
  const leases = (await request(svc.app).get('/v1/leases').set(ADMIN)).body.leases as { id: string; end_date: string; start_date: string }[];
  const allocations = (await request(svc.app).get('/v1/os-hosts/allocations').set(ADMIN)).body.allocations;
  return { leases: leases.map((l) => [l.id, l.start_date, l.end_date]), allocations, unsent: await svc.services.repos.outbox.countUnsent() };
}

describe.each(DIALECTS)('quotas on %s', (dialect) => {
  let svc: TestService;
  const setQuota = (project: string, body: Record<string, unknown>) => request(svc.app).put(`/v1/quotas/${project}`).set(ADMIN).send(body);

  beforeAll(async () => {
    svc = await startTestService({
      dialect, clock: new ManualClock(NOW),
      config: {
        manager: { plugins: ['physical:host', 'virtual:instance'] },
        quotas: { defaults: DEFAULTS, hostHoursPeriodSeconds: 7 * 86_400 },
      },
    });
    for (let i = 1; i <= 6; i++) await createHost(svc.app, { name: `q${i}`, vcpus: 8, memory_mb: 16384, local_gb: 100 });
  }, 120_000);
  afterAll(async () => { await svc.close(); });

  describe('the API', () => {
    it('answers GET, PUT, PATCH and DELETE by role (admin, member, reader, another project)', async () => {
      const path = '/v1/quotas/p-auth';
      for (const who of [member('p-auth'), reader('p-auth')]) {
        const res = await request(svc.app).get(path).set(who);
        expect(res.status).toBe(200);
        expect(res.body.quota).toEqual({ project_id: 'p-auth', ...DEFAULTS, host_hours_period: 604_800, project_limits: [] });
      }
      for (const who of [member('other'), reader('other')]) expectError(await request(svc.app).get(path).set(who), 403);
      for (const who of [member('p-auth'), reader('p-auth'), member('other')]) {
        expectError(await request(svc.app).put(path).set(who).send({ hosts: 1 }), 403);
        expectError(await request(svc.app).patch(path).set(who).send({ hosts: 1 }), 403);
        expectError(await request(svc.app).delete(path).set(who), 403);
        expectError(await request(svc.app).get('/v1/quotas').set(who), 403);
      }
      // Nothing was set by the refused calls.
      expect((await request(svc.app).get(path).set(ADMIN)).body.quota.project_limits).toEqual([]);

      const put = await request(svc.app).put(path).set(ADMIN).send({ hosts: 3, max_extension: 3600 });
      expect(put.status).toBe(200);
      expect(put.body.quota).toMatchObject({ hosts: 3, max_extension: 3600, leases: -1, instance_slots: 40, project_limits: ['hosts', 'max_extension'] });
      const patch = await request(svc.app).patch(path).set(ADMIN).send({ leases: 5, hosts: null });
      expect(patch.body.quota).toMatchObject({ hosts: -1, leases: 5, max_extension: 3600, project_limits: ['leases', 'max_extension'] });
      expect((await request(svc.app).get(path).set(member('p-auth'))).body.quota.leases).toBe(5);
      const list = await request(svc.app).get('/v1/quotas').set(ADMIN);
      expect(list.status).toBe(200);
      expect(list.body.defaults).toMatchObject({ project_id: null, ...DEFAULTS });
      expect(list.body.quotas.map((q: { project_id: string }) => q.project_id)).toContain('p-auth');

      expect((await request(svc.app).delete(path).set(ADMIN)).status).toBe(204);
      expect((await request(svc.app).get(path).set(ADMIN)).body.quota).toMatchObject({ ...DEFAULTS, project_limits: [] });
      const after = await request(svc.app).get('/v1/quotas').set(ADMIN);
      expect(after.body.quotas.map((q: { project_id: string }) => q.project_id)).not.toContain('p-auth');
    });

    it('refuses bad bodies with 400 and a clear message, writing nothing', async () => {
      const path = '/v1/quotas/p-bad';
      expect((await setQuota('p-bad', { hosts: 2 })).status).toBe(200);
      const cases: [unknown, RegExp][] = [
        [{ cores: 2 }, /cores/],
        [{ hosts: -2 }, /hosts/],
        [{ hosts: 1.5 }, /hosts/],
        [{ hosts: '3' }, /hosts/],
        [{}, /.+/],
        [[1], /.+/],
      ];
      for (const [body, message] of cases) {
        const res = await request(svc.app).put(path).set(ADMIN).send(body as object);
        expectError(res, 400, message);
      }
      expect((await request(svc.app).get(path).set(ADMIN)).body.quota).toMatchObject({ hosts: 2, project_limits: ['hosts'] });
    });
  });

  describe('on leases', () => {
    it('hosts: refuses a create that would hold more hosts at once, says the use and the limit, writes nothing', async () => {
      await setQuota('p-hosts', { hosts: 2 });
      const who = member('p-hosts');
      await createLease(svc.app, leaseBody('two', {
        start_date: '2030-01-01 12:00', end_date: '2030-01-03 12:00', reservations: [hostReservation({ min: 2, max: 2 })],
      }), who);
      const before = await written(svc);
      const res = await request(svc.app).post('/v1/leases').set(who).send(leaseBody('third', {
        start_date: '2030-01-02 12:00', end_date: '2030-01-04 12:00', reservations: [hostReservation()],
      }));
      expectError(res, 403, 'Quota exceeded for hosts (hosts held at the same time) of project p-hosts: at 2030-01-02 12:00:00 UTC '
        + 'it would have 3 hosts, 1 of them for lease third (2 in use without it), limit 2');
      expect(res.body.error_name).toBe(403);
      expect(await written(svc)).toEqual(before);
      // After the first lease's end there is room again; another project is not limited.
      await createLease(svc.app, leaseBody('later', {
        start_date: '2030-01-03 12:00', end_date: '2030-01-04 12:00', reservations: [hostReservation({ min: 2, max: 2 })],
      }), who);
      await createLease(svc.app, leaseBody('free', {
        start_date: '2030-01-02 12:00', end_date: '2030-01-04 12:00', reservations: [hostReservation({ min: 3, max: 3 })],
      }), member('p-unlimited'));
    });

    it('hosts: checks updates that add hosts or time, and lets a lease shrink even over a lowered limit', async () => {
      await setQuota('p-upd', { hosts: 2 });
      const who = member('p-upd');
      const a = await createLease(svc.app, leaseBody('a', {
        start_date: '2030-02-01 12:00', end_date: '2030-02-02 12:00', reservations: [hostReservation()],
      }), who);
      const b = await createLease(svc.app, leaseBody('b', {
        start_date: '2030-02-03 12:00', end_date: '2030-02-04 12:00', reservations: [hostReservation({ min: 2, max: 2 })],
      }), who);
      const before = await written(svc);
      const allocations = await allocationsOfLease(svc.app, a.id);
      // Extending a into b's window would hold 3 hosts on 2030-02-03.
      const extend = await request(svc.app).put(`/v1/leases/${a.id}`).set(who).send({ end_date: '2030-02-03 18:00' });
      expectError(extend, 403, /Quota exceeded for hosts .* at 2030-02-03 12:00:00 UTC it would have 3 hosts, 1 of them for lease a \(2 in use without it\), limit 2/);
      // So is raising a's hosts to 3.
      const reservationId = (await request(svc.app).get(`/v1/leases/${a.id}`).set(who)).body.lease.reservations[0].id;
      const more = await request(svc.app).put(`/v1/leases/${a.id}`).set(who).send({ reservations: [{ id: reservationId, min: 3, max: 3 }] });
      expectError(more, 403, /Quota exceeded for hosts .* it would have 3 hosts, 3 of them for lease a/);
      expect(await written(svc)).toEqual(before);
      expect(await allocationsOfLease(svc.app, a.id)).toEqual(allocations);
      // The limit is lowered below b's use: b may still shrink in time, but not grow.
      await setQuota('p-upd', { hosts: 1 });
      expect((await request(svc.app).put(`/v1/leases/${b.id}`).set(who).send({ end_date: '2030-02-04 06:00' })).status).toBe(200);
      expectError(await request(svc.app).put(`/v1/leases/${b.id}`).set(who).send({ end_date: '2030-02-05 00:00' }), 403, /limit 1$/);
      // A rename alone is not checked.
      expect((await request(svc.app).put(`/v1/leases/${b.id}`).set(who).send({ name: 'b2' })).status).toBe(200);
    });

    it('leases: counts leases at the same time, whatever they reserve', async () => {
      await setQuota('p-leases', { leases: 2 });
      const who = member('p-leases');
      await createLease(svc.app, leaseBody('l1', { start_date: '2030-03-01 12:00', end_date: '2030-03-05 12:00' }), who);
      await createLease(svc.app, leaseBody('l2', { start_date: '2030-03-02 12:00', end_date: '2030-03-03 12:00' }), who);
      const res = await request(svc.app).post('/v1/leases').set(who).send(leaseBody('l3', { start_date: '2030-03-02 18:00', end_date: '2030-03-06 12:00' }));
      expectError(res, 403, 'Quota exceeded for leases (leases at the same time) of project p-leases: at 2030-03-02 18:00:00 UTC '
        + 'it would have 3 leases, 1 of them for lease l3 (2 in use without it), limit 2');
      await createLease(svc.app, leaseBody('l3', { start_date: '2030-03-03 12:00', end_date: '2030-03-06 12:00' }), who);
    });

    it('instance_slots: the [quotas] default applies to every project without its own', async () => {
      const who = member('p-slots');
      const slots = (amount: number) => ({ resource_type: 'virtual:instance', amount, vcpus: 1, memory_mb: 512, disk_gb: 1, affinity: 'None', resource_properties: '' });
      await createLease(svc.app, leaseBody('s1', { start_date: '2030-04-01 12:00', end_date: '2030-04-02 12:00', reservations: [slots(30)] }), who);
      const res = await request(svc.app).post('/v1/leases').set(who).send(
        leaseBody('s2', { start_date: '2030-04-01 00:00', end_date: '2030-04-01 18:00', reservations: [slots(11)] }));
      expectError(res, 403, 'Quota exceeded for instance_slots (instance slots held at the same time) of project p-slots: at '
        + '2030-04-01 12:00:00 UTC it would have 41 instance slots, 11 of them for lease s2 (30 in use without it), limit 40');
      await createLease(svc.app, leaseBody('s2', { start_date: '2030-04-01 00:00', end_date: '2030-04-01 18:00', reservations: [slots(10)] }), who);
    });

    it('max_lease_duration and max_extension: on create and on each update', async () => {
      await setQuota('p-time', { max_lease_duration: 2 * 86_400, max_extension: 12 * 3600 });
      const who = member('p-time');
      expectError(await request(svc.app).post('/v1/leases').set(who).send(leaseBody('long', { start_date: '2030-05-01 00:00', end_date: '2030-05-03 00:01' })),
        403, 'Quota exceeded for max_lease_duration of project p-time: lease long would last 172860 seconds, limit 172800 seconds');
      const lease = await createLease(svc.app, leaseBody('t', { start_date: '2030-05-01 00:00', end_date: '2030-05-02 00:00' }), who);
      const put = (end: string) => request(svc.app).put(`/v1/leases/${lease.id}`).set(who).send({ end_date: end });
      expectError(await put('2030-05-02 12:01'), 403,
        'Quota exceeded for max_extension of project p-time: this update moves the end of lease t 43260 seconds later, limit 43200 seconds per update');
      expect((await put('2030-05-02 12:00')).status).toBe(200);
      // Extensions one after the other, each within max_extension, stop at max_lease_duration.
      expect((await put('2030-05-03 00:00')).status).toBe(200);
      expectError(await put('2030-05-03 00:01'), 403, /max_lease_duration .* would last 172860 seconds/);
    });

    it('host_hours: no window of host_hours_period holds more host-hours than the limit', async () => {
      await setQuota('p-hh', { host_hours: 100 });
      const who = member('p-hh');
      // 2 hosts x 48 h = 96 host-hours.
      await createLease(svc.app, leaseBody('h1', {
        start_date: '2030-06-01 00:00', end_date: '2030-06-03 00:00', reservations: [hostReservation({ min: 2, max: 2 })],
      }), who);
      // 5 more hours within the same week: 101.
      const res = await request(svc.app).post('/v1/leases').set(who).send(leaseBody('h2', {
        start_date: '2030-06-06 00:00', end_date: '2030-06-06 05:00', reservations: [hostReservation()],
      }));
      expectError(res, 403, 'Quota exceeded for host_hours of project p-hh: the 168 hours up to 2030-06-06 05:00:00 UTC would hold '
        + '101 host-hours, 5 of them for lease h2 (96 without it), limit 100 per 168 hours');
      // 4 hours fit; a week after the first lease, the hours are free again.
      await createLease(svc.app, leaseBody('h2', { start_date: '2030-06-06 00:00', end_date: '2030-06-06 04:00', reservations: [hostReservation()] }), who);
      await createLease(svc.app, leaseBody('h3', { start_date: '2030-06-10 00:00', end_date: '2030-06-11 00:00', reservations: [hostReservation()] }), who);
    });
  });
});
