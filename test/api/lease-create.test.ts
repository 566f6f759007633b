/** POST /v1/leases: the CLI's body, dates, validation messages, host selection by filters, capacity. */
import request from 'supertest';
import { ManualClock } from '../../src/common';
import { DIALECTS } from '../support/database';
import { startTestService, type TestService } from '../support/service';
import { createHost, createLease, expectError, expectSchema, hostReservation, hostsOfLease, leaseBody, member, TIMESTAMP } from './helpers';

const NOW = new Date('2029-06-01T10:20:30.456Z');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The body the openstack CLI sends for `lease create --reservation min=1,max=2,...`, byte for byte. */
const CLI_BODY = '{"name":"l1","start_date":"2030-01-01 12:00","end_date":"2030-01-02 12:00","reservations":[{"resource_type":"physical:host","min":1,"max":2,"hypervisor_properties":"[\\">=\\", \\"$vcpus\\", \\"2\\"]","resource_properties":""}],"events":[],"before_end_date":null}';

/** A window of its own for each test (month `n` of 2031), so that tests do not compete for hosts. */
function window(n: number) {
  const month = String(n).padStart(2, '0');
  return { start_date: `2031-${month}-01 00:00`, end_date: `2031-${month}-02 00:00` };
}

describe.each(DIALECTS)('lease create on %s', (dialect) => {
  let svc: TestService;
  const hosts: Record<string, string> = {};

  beforeAll(async () => {
    svc = await startTestService({ dialect, clock: new ManualClock(NOW) });
    // Typed values as Heat sends them: true -> "True", 16 -> "16".
    hosts.c1 = (await createHost(svc.app, { name: 'c1', vcpus: 2, gpu: true, ram_gb: 16, rack: 'r1' })).id;
    hosts.c2 = (await createHost(svc.app, { name: 'c2', vcpus: 8, gpu: false, ram_gb: '2', rack: 'r2' })).id;
    hosts.c3 = (await createHost(svc.app, { name: 'c3', vcpus: 16, gpu: 'False', ram_gb: 64, rack: 'r3' })).id;
  });
  afterAll(async () => { await svc.close(); });

  const leaseNames = async () => ((await request(svc.app).get('/v1/leases')).body.leases as { name: string }[]).map((l) => l.name);

  it('accepts the exact CLI body and answers with the lease as Blazar shows it', async () => {
    const res = await request(svc.app).post('/v1/leases').set('Content-Type', 'application/json').send(CLI_BODY);
    expect(res.status).toBe(201);
    expectSchema(res.body, 'LeaseEnvelope');
    const lease = res.body.lease;
    expect(lease).toMatchObject({
      name: 'l1',
      start_date: '2030-01-01T12:00:00.000000',
      end_date: '2030-01-02T12:00:00.000000',
      status: 'PENDING',
      degraded: false,
      user_id: 'admin',
      project_id: 'admin',
      trust_id: null,
      created_at: '2029-06-01 10:20:30',
      updated_at: null,
    });
    expect(lease.id).toMatch(UUID);
    expect(lease.created_at).toMatch(TIMESTAMP);
    expect(lease.reservations).toEqual([{
      id: expect.stringMatching(UUID),
      lease_id: lease.id,
      resource_id: expect.any(String),
      resource_type: 'physical:host',
      status: 'pending',
      missing_resources: false,
      resources_changed: false,
      min: 1,
      max: 2,
      hypervisor_properties: '[">=", "$vcpus", "2"]',
      resource_properties: '',
      before_end: 'default',
      created_at: '2029-06-01 10:20:30',
      updated_at: null,
    }]);
    // Ordered by time; before_end_lease an hour before the end ([manager] minutes_before_end_lease = 60).
    expect(lease.events.map((e: Record<string, unknown>) => [e.event_type, e.time, e.status, e.lease_id])).toEqual([
      ['start_lease', '2030-01-01T12:00:00.000000', 'UNDONE', lease.id],
      ['before_end_lease', '2030-01-02T11:00:00.000000', 'UNDONE', lease.id],
      ['end_lease', '2030-01-02T12:00:00.000000', 'UNDONE', lease.id],
    ]);
    // max 2 of the 3 matching hosts, lowest ids first.
    expect(await hostsOfLease(svc.app, lease.id)).toEqual([hosts.c1, hosts.c2]);
    const shown = await request(svc.app).get(`/v1/leases/${lease.id}`);
    expect(shown.status).toBe(200);
    expect(shown.body).toEqual(res.body);
  });

  it.each([
    ['"now"', { start_date: 'now' }],
    ['"NOW"', { start_date: 'NOW' }],
    ['null', { start_date: null }],
    ['missing', {}],
  ])('starts the lease at the current second when start_date is %s', async (label, start) => {
    const lease = await createLease(svc.app, { name: `now-${label}`, end_date: '2029-06-02 10:00', ...start });
    expect(lease.start_date).toBe('2029-06-01T10:20:30.000000');
    expect(lease.end_date).toBe('2029-06-02T10:00:00.000000');
    expect(lease.events.find((e) => e.event_type === 'start_lease')?.time).toBe('2029-06-01T10:20:30.000000');
  });

  it('reads ISO 8601 dates with seconds and offsets, and stores them in UTC', async () => {
    const lease = await createLease(svc.app, {
      name: 'iso', start_date: '2030-01-01T13:00:00+01:00', end_date: '2030-01-02T12:00:30Z', before_end_date: '2030-01-02 06:00',
    });
    expect(lease.start_date).toBe('2030-01-01T12:00:00.000000');
    expect(lease.end_date).toBe('2030-01-02T12:00:30.000000');
    expect(lease.before_end_date).toBe('2030-01-02T06:00:00.000000');
    expect(lease.events.find((e) => e.event_type === 'before_end_lease')?.time).toBe('2030-01-02T06:00:00.000000');
  });

  it.each([
    ['the end before the start', { start_date: '2030-01-02 12:00', end_date: '2030-01-01 12:00' }, 'End date must be later than start date.'],
    ['the end at the start', { start_date: '2030-01-02 12:00', end_date: '2030-01-02 12:00' }, 'End date must be later than start date.'],
    ['a word as start date', { start_date: 'tomorrow' }, 'tomorrow is an invalid date. Required format: %Y-%m-%d %H:%M'],
    ['February 30th', { end_date: '2030-02-30 12:00' }, '2030-02-30 12:00 is an invalid date. Required format: %Y-%m-%d %H:%M'],
    ['slashes', { end_date: '2030/01/02 12:00' }, '2030/01/02 12:00 is an invalid date. Required format: %Y-%m-%d %H:%M'],
    ['hour 24', { start_date: '2030-01-01 24:00' }, '2030-01-01 24:00 is an invalid date. Required format: %Y-%m-%d %H:%M'],
    ['an offset out of range', { end_date: '2030-01-02T12:00:00+99:00' }, '2030-01-02T12:00:00+99:00 is an invalid date. Required format: %Y-%m-%d %H:%M'],
    ['a two-digit year', { before_start_date: '0030-01-01 00:00' }, '0030-01-01 00:00 is an invalid date. Required format: %Y-%m-%d %H:%M'],
    ['no end date', { end_date: undefined }, 'Missing parameter end_date'],
    ['a start in the past', { start_date: '2020-01-01 00:00' }, 'Start date must be later than current date'],
  ])('refuses %s with the exact 400 message, creating nothing', async (_label, change, message) => {
    const before = await leaseNames();
    const res = await request(svc.app).post('/v1/leases').send(leaseBody('refused', change));
    expectError(res, 400, message);
    expect(await leaseNames()).toEqual(before);
  });

  it.each([
    ['after the end', '2030-01-03 00:00'],
    ['at the end', '2030-01-02 12:00'],
    ['at the start', '2030-01-01 12:00'],
    ['before the start', '2030-01-01 11:59'],
  ])('refuses a before_end_date %s with 403 "Datetime is out of lease limits" as Blazar does, creating nothing', async (_label, date) => {
    const before = await leaseNames();
    const res = await request(svc.app).post('/v1/leases').send(leaseBody('refused', { before_end_date: date }));
    expectError(res, 403, `Datetime is out of lease limits: before_end_date ${date}:00 UTC must be after start_date 2030-01-01 12:00:00 UTC `
      + 'and before end_date 2030-01-02 12:00:00 UTC');
    expect(await leaseNames()).toEqual(before);
  });

  it('accepts a lease with no reservations', async () => {
    const res = await request(svc.app).post('/v1/leases').send({ name: 'empty', start_date: '2030-03-01 00:00', end_date: '2030-03-02 00:00' });
    expect(res.status).toBe(201);
    expect(res.body.lease.reservations).toEqual([]);
    expect(res.body.lease.events.map((e: { event_type: string }) => e.event_type)).toEqual(['start_lease', 'before_end_lease', 'end_lease']);
    const explicit = await request(svc.app).post('/v1/leases').send(leaseBody('empty-list', { reservations: [] }));
    expect(explicit.status).toBe(201);
  });

  it('keeps user events, whether the CLI (event_date) or Heat (time) sent them', async () => {
    const lease = await createLease(svc.app, leaseBody('user-events', {
      events: [{ event_type: 'notification', event_date: '2030-01-01 18:00' }, { event_type: 'constructor', time: '2030-01-01 19:00' }],
    }));
    expect(lease.events.map((e) => [e.event_type, e.time])).toEqual([
      ['start_lease', '2030-01-01T12:00:00.000000'],
      ['notification', '2030-01-01T18:00:00.000000'],
      ['constructor', '2030-01-01T19:00:00.000000'],
      ['before_end_lease', '2030-01-02T11:00:00.000000'],
      ['end_lease', '2030-01-02T12:00:00.000000'],
    ]);
  });

  it('refuses a second lease of the same name in the same project (409), not in another project', async () => {
    await createLease(svc.app, leaseBody('twin'), member('p-twin'));
    const again = await request(svc.app).post('/v1/leases').set(member('p-twin')).send(leaseBody('twin', window(1)));
    expectError(again, 409, /twin.*already exists/);
    const elsewhere = await request(svc.app).post('/v1/leases').set(member('p-other')).send(leaseBody('twin'));
    expect(elsewhere.status).toBe(201);
  });

  it('refuses an unknown resource_type with 400, naming it and the enabled ones', async () => {
    const res = await request(svc.app).post('/v1/leases').send(leaseBody('bad-type', { reservations: [hostReservation({ resource_type: 'virtual:nothing' })] }));
    expectError(res, 400, /virtual:nothing.*physical:host/);
  });

  it('refuses min > max with 400', async () => {
    const res = await request(svc.app).post('/v1/leases').send(leaseBody('min-max', { reservations: [hostReservation({ min: 3, max: 2 })] }));
    expectError(res, 400, /min \(3\) must not exceed max \(2\)/);
  });

  it.each([
    ['hypervisor_properties', '[">=", "$nosuchkey", "2"]'],
    ['resource_properties', '["and", ["==", "$gpu", "True"], ["==", "$nosuchkey", "x"]]'],
  ])('refuses an unknown $key in %s with 400 naming it', async (field, filter) => {
    const res = await request(svc.app).post('/v1/leases').send(leaseBody('unknown-key', { reservations: [hostReservation({ [field]: filter })] }));
    expectError(res, 400, new RegExp(`${field}.*\\$nosuchkey`));
  });

  it('compares numeric capabilities as numbers ("16" >= "4" matches, "2" does not)', async () => {
    const lease = await createLease(svc.app, leaseBody('numeric', {
      ...window(2), reservations: [hostReservation({ max: 3, resource_properties: '[">=", "$ram_gb", "4"]' })],
    }));
    expect(await hostsOfLease(svc.app, lease.id)).toEqual([hosts.c1, hosts.c3]);
  });

  it.each([
    ['or', '["or", ["==", "$rack", "r1"], [">=", "$vcpus", 16]]', ['c1', 'c3']],
    ['not', '["not", ["==", "$gpu", "True"]]', ['c2', 'c3']],
    ['in', '["in", "$rack", "r2", "r3"]', ['c2', 'c3']],
    ['and/not/in', '["and", [">=", "$vcpus", 4], ["not", ["in", "$rack", "r3"]]]', ['c2']],
    ['a host column', '["==", "$hypervisor_hostname", "c3"]', ['c3']],
  ])('selects the right hosts with %s', async (label, filter, expected) => {
    const n = 3 + ['or', 'not', 'in', 'and/not/in', 'a host column'].indexOf(label);
    const lease = await createLease(svc.app, leaseBody(`filter-${label}`, {
      ...window(n), reservations: [hostReservation({ max: 3, resource_properties: filter })],
    }));
    expect(await hostsOfLease(svc.app, lease.id)).toEqual(expected.map((h) => hosts[h]));
  });

  it('refuses a lease it cannot serve with 409, saying what was asked and what is free', async () => {
    const none = await request(svc.app).post('/v1/leases').send(leaseBody('too-many', {
      ...window(9), reservations: [hostReservation({ min: 4, max: 4, hypervisor_properties: '[">=", "$vcpus", "2"]' })],
    }));
    expectError(none, 409, /asked for 4 host\(s\) matching \[">=", "\$vcpus", "2"\].*3 reservable host\(s\) match, 3 of them free/);

    await createLease(svc.app, leaseBody('holds-c3', { ...window(9), reservations: [hostReservation({ resource_properties: '["==", "$rack", "r3"]' })] }));
    const busy = await request(svc.app).post('/v1/leases').send(leaseBody('too-many-2', {
      ...window(9), reservations: [hostReservation({ min: 3, max: 3 })],
    }));
    expectError(busy, 409, /asked for 3 host\(s\).*3 reservable host\(s\) match, 2 of them free/);
    const names = await leaseNames();
    expect(names).toContain('holds-c3');
    expect(names).not.toContain('too-many');
    expect(names).not.toContain('too-many-2');
  });

  it('gives a lease with a huge max every free matching host (and refuses a max no integer column holds)', async () => {
    const lease = await createLease(svc.app, leaseBody('greedy', { ...window(10), reservations: [hostReservation({ max: Number.MAX_SAFE_INTEGER })] }));
    expect(await hostsOfLease(svc.app, lease.id)).toEqual([hosts.c1, hosts.c2, hosts.c3]);
    const absurd = await request(svc.app).post('/v1/leases').send(leaseBody('absurd', { ...window(11), reservations: [hostReservation({ max: 1e300 })] }));
    expectError(absurd, 400, /max/);
  });

  it('stores a filter close to the 64 KiB limit (more than a MySQL TEXT once escaped)', async () => {
    const filter = JSON.stringify(['or', ['==', '$hypervisor_hostname', 'c2'], ['==', '$hypervisor_hostname', '"'.repeat(20_000)]]);
    expect(filter.length).toBeLessThan(65_536);
    const lease = await createLease(svc.app, leaseBody('long-filter', { ...window(12), reservations: [hostReservation({ hypervisor_properties: filter })] }));
    expect(lease.reservations[0].hypervisor_properties).toBe(filter);
    expect(await hostsOfLease(svc.app, lease.id)).toEqual([hosts.c2]);
    expect((await request(svc.app).get(`/v1/leases/${lease.id}`)).body.lease.reservations[0].hypervisor_properties).toBe(filter);
  });

  it('lets leases follow each other back to back when there is no cleaning time', async () => {
    const onC1 = (extra: Record<string, string>) => leaseBody(`c1-${extra.start_date}`, {
      ...extra, reservations: [hostReservation({ hypervisor_properties: '["==", "$hypervisor_hostname", "c1"]' })],
    });
    await createLease(svc.app, onC1({ start_date: '2032-01-01 12:00', end_date: '2032-01-01 13:00' }));
    await createLease(svc.app, onC1({ start_date: '2032-01-01 13:00', end_date: '2032-01-01 14:00' }));
    await createLease(svc.app, onC1({ start_date: '2032-01-01 11:00', end_date: '2032-01-01 12:00' }));
    const overlap = await request(svc.app).post('/v1/leases').send(onC1({ start_date: '2032-01-01 12:59', end_date: '2032-01-01 13:30' }));
    expectError(overlap, 409, /Not enough hosts/);
  });
});

describe.each(DIALECTS)('cleaning time on %s', (dialect) => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ dialect, clock: new ManualClock(NOW), config: { default: { cleaningTimeMinutes: 30 } } });
    await createHost(svc.app, { name: 'only', vcpus: 4 });
    await createLease(svc.app, leaseBody('first', { start_date: '2030-01-01 12:00', end_date: '2030-01-01 13:00', reservations: [hostReservation()] }));
  });
  afterAll(async () => { await svc.close(); });

  it.each([
    ['15 minutes after', '2030-01-01 13:15', '2030-01-01 14:00', 409],
    ['30 minutes after', '2030-01-01 13:30', '2030-01-01 14:00', 201],
    ['ending 15 minutes before', '2030-01-01 10:00', '2030-01-01 11:45', 409],
    ['ending 30 minutes before', '2030-01-01 10:00', '2030-01-01 11:30', 201],
  ])('keeps the host free between leases: a lease %s (%s to %s) gets %d', async (label, start, end, status) => {
    const res = await request(svc.app).post('/v1/leases').send(leaseBody(`next-${label}`, {
      start_date: start, end_date: end, reservations: [hostReservation()],
    }));
    if (status === 409) expectError(res, 409, /Not enough hosts.*1 reservable host\(s\) match, 0 of them free/);
    else expect(res.status).toBe(201);
  });
});
