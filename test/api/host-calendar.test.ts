/**
 * GET /v1/os-hosts/calendar (the dashboard's host calendar) for each kind of caller: an admin sees host names
 * and every lease named; a member or reader sees the hosts unnamed, their own project's bookings named and other
 * projects' bookings only as anonymous spans. Filters and ranges as on capacity.
 */
import request from 'supertest';
import { ManualClock } from '../../src/common';
import { DIALECTS } from '../support/database';
import { startTestService, type TestService } from '../support/service';
import { ADMIN, createHost, createLease, expectError, expectSchema, hostReservation, leaseBody, member } from './helpers';

const reader = (project: string) => ({ 'X-User-Id': `reader-of-${project}`, 'X-Project-Id': project, 'X-Roles': 'reader' });
const RANGE = { start: '2030-01-01 00:00', end: '2030-01-02 00:00' };
interface Booking { start_date: string; end_date: string; kind: string; own: boolean; lease_id?: string; lease_name?: string; project_id?: string }
interface Host { id: string; name: string | null; reservable: boolean; status: string | null; bookings: Booking[] }

describe.each(DIALECTS)('host calendar on %s', (dialect) => {
  let svc: TestService;
  const clock = new ManualClock(new Date('2030-01-01T00:00:00Z'));
  const ids: Record<string, string> = {};

  const calendar = async (headers: Record<string, string>, query: Record<string, string> = RANGE) => {
    const res = await request(svc.app).get('/v1/os-hosts/calendar').set(headers).query(query);
    expect([res.status, res.body.error_message]).toEqual([200, undefined]);
    expectSchema(res.body, 'CalendarEnvelope');
    return res.body.calendar.hosts as Host[];
  };

  beforeAll(async () => {
    svc = await startTestService({ dialect, clock });
    ids.c1 = (await createHost(svc.app, { name: 'c1', vcpus: 8, memory_mb: 16384, local_gb: 100, gpu: 'true' })).id;
    ids.c2 = (await createHost(svc.app, { name: 'c2', vcpus: 8, memory_mb: 16384, local_gb: 100, gpu: 'false' })).id;
    ids.a = (await createLease(svc.app, leaseBody('alpha-lease', {
      start_date: '2030-01-01 02:00', end_date: '2030-01-01 04:00', reservations: [hostReservation({ resource_properties: '["==", "$gpu", "true"]' })],
    }), member('alpha'))).id;
    ids.b = (await createLease(svc.app, leaseBody('beta-lease', {
      start_date: '2030-01-01 06:00', end_date: '2030-01-01 09:00', reservations: [hostReservation({ resource_properties: '["==", "$gpu", "true"]' })],
    }), member('beta'))).id;
    // Outside the range: not drawn.
    await createLease(svc.app, leaseBody('later', {
      start_date: '2030-01-05 00:00', end_date: '2030-01-06 00:00', reservations: [hostReservation()],
    }), member('alpha'));
  });
  afterAll(async () => { await svc.close(); });

  it('shows an admin every host by name and every booking with its lease', async () => {
    const hosts = await calendar(ADMIN);
    expect(hosts.map((h) => [h.id, h.name, h.reservable, h.status])).toEqual([[ids.c1, 'c1', true, null], [ids.c2, 'c2', true, null]]);
    expect(hosts[0].bookings.sort((x, y) => x.start_date.localeCompare(y.start_date))).toEqual([
      { start_date: '2030-01-01T02:00:00.000000', end_date: '2030-01-01T04:00:00.000000', kind: 'host', own: false, lease_id: ids.a, lease_name: 'alpha-lease', project_id: 'alpha' },
      { start_date: '2030-01-01T06:00:00.000000', end_date: '2030-01-01T09:00:00.000000', kind: 'host', own: false, lease_id: ids.b, lease_name: 'beta-lease', project_id: 'beta' },
    ]);
    expect(hosts[1].bookings).toEqual([]);
  });

  it.each([['member', member('alpha')], ['reader', reader('alpha')]])('shows a %s their own leases named, other projects\' anonymous, hosts unnamed', async (_who, headers) => {
    const hosts = await calendar(headers);
    expect(hosts.map((h) => [h.id, h.name])).toEqual([[ids.c1, null], [ids.c2, null]]);
    const bookings = hosts[0].bookings.sort((x, y) => x.start_date.localeCompare(y.start_date));
    expect(bookings[0]).toEqual({
      start_date: '2030-01-01T02:00:00.000000', end_date: '2030-01-01T04:00:00.000000', kind: 'host', own: true, lease_id: ids.a, lease_name: 'alpha-lease', project_id: 'alpha',
    });
    expect(bookings[1]).toEqual({ start_date: '2030-01-01T06:00:00.000000', end_date: '2030-01-01T09:00:00.000000', kind: 'host', own: false });
    expect(JSON.stringify(hosts)).not.toMatch(/beta/);
  });

  it('filters hosts by property and refuses an unknown property or a bad range', async () => {
    const gpu = await calendar(member('beta'), { ...RANGE, resource_properties: '["==", "$gpu", "false"]' });
    expect(gpu.map((h) => h.id)).toEqual([ids.c2]);
    expectError(await request(svc.app).get('/v1/os-hosts/calendar').set(ADMIN).query({ ...RANGE, resource_properties: '["==", "$nope", "1"]' }), 400, /nope/);
    expectError(await request(svc.app).get('/v1/os-hosts/calendar').set(ADMIN).query({ start: RANGE.end, end: RANGE.start }), 400);
    expectError(await request(svc.app).get('/v1/os-hosts/calendar').set(ADMIN), 400, /end/);
  });

  it('pages hosts in id order with limit and marker, each page with its own bookings', async () => {
    const first = await calendar(ADMIN, { ...RANGE, limit: '1' });
    expect(first.map((h) => [h.id, h.bookings.length])).toEqual([[ids.c1, 2]]);
    const second = await calendar(ADMIN, { ...RANGE, limit: '1', marker: ids.c1 });
    expect(second.map((h) => [h.id, h.bookings.length])).toEqual([[ids.c2, 0]]);
    expect(await calendar(ADMIN, { ...RANGE, limit: '5', marker: ids.c2 })).toEqual([]);
    for (const bad of [{ limit: '0' }, { limit: 'x' }, { marker: 'abc' }]) {
      expectError(await request(svc.app).get('/v1/os-hosts/calendar').set(ADMIN).query({ ...RANGE, ...bad }), 400, new RegExp(Object.keys(bad)[0]));
    }
  });

  it('refuses callers without a role in a project', async () => {
    const res = await request(svc.app).get('/v1/os-hosts/calendar').set({ 'X-User-Id': 'u', 'X-Project-Id': 'p', 'X-Roles': 'nothing' }).query(RANGE);
    expectError(res, 403, "Policy doesn't allow climate:oshosts:get_calendar to be performed.");
  });
});
