/**
 * POST /v1/leases/availability (find windows) and earliest-fit creates ("start_date": "earliest"), through the HTTP
 * app on both engines: the windows found honour cleaning_time, filters, reservability and the lease's other
 * reservations; a create at a window found succeeds and one a minute earlier fails; members see counts, admins
 * hosts; bad input is a 400 naming the field, with nothing written.
 */
import request from 'supertest';
import { ManualClock } from '../../src/common';
import { DIALECTS } from '../support/database';
import { startTestService, type TestService } from '../support/service';
import { ADMIN, createHost, createLease, expectError, expectSchema, hostReservation, leaseBody, member } from './helpers';

const NOW = new Date('2030-01-01T00:00:00Z');
const GPU = '["==", "$gpu", "True"]';
/** A Heat template of two servers on the reservation's flavor. */
const STACK = `heat_template_version: 2018-08-31
parameters:
  reservation_flavor: {type: string}
resources:
  web:
    type: OS::Heat::ResourceGroup
    properties:
      count: 2
      resource_def:
        type: OS::Nova::Server
        properties: {flavor: {get_param: reservation_flavor}, image: cirros}
`;
const NET = 'a1b2c3d4-0000-4000-8000-000000000001';
/** `YYYY-MM-DD HH:MM` for a time on 2030-01-01 given as "HH:MM", or on another day as "DD HH:MM". */
const on = (time: string) => (time.includes(' ') ? `2030-01-${time}` : `2030-01-01 ${time}`);
const rendered = (time: string) => `${on(time).replace(' ', 'T')}:00.000000`;

describe.each(DIALECTS)('lease availability on %s', (dialect) => {
  let svc: TestService;
  const ids: Record<string, string> = {};

  const find = (body: Record<string, unknown>, headers: Record<string, string> = ADMIN) =>
    request(svc.app).post('/v1/leases/availability').set(headers).send(body);
  const counts = async () => {
    const db = svc.services.db;
    const [leases] = await db.select<{ n: number }>('SELECT COUNT(*) AS n FROM leases', []);
    const [hosts] = await db.select<{ n: number }>('SELECT COUNT(*) AS n FROM computehost_allocations', []);
    const [slots] = await db.select<{ n: number }>('SELECT COUNT(*) AS n FROM instance_allocations', []);
    return { leases: Number(leases.n), hosts: Number(hosts.n), slots: Number(slots.n) };
  };

  beforeAll(async () => {
    svc = await startTestService({
      dialect, clock: new ManualClock(NOW),
      config: { default: { cleaningTimeMinutes: 60, availabilityMaxHorizonDays: 30 }, manager: { plugins: ['physical:host', 'virtual:instance', 'virtual:floatingip', 'virtual:volume', 'virtual:stack'] } },
    });
    for (const [name, gpu] of [['g1', true], ['g2', true], ['g3', true], ['c1', false]] as const) {
      ids[name] = (await createHost(svc.app, { name, gpu, vcpus: 8, memory_mb: 16384, local_gb: 100 })).id;
    }
    // g1 and g2 are held 02:00-10:00 by another project: with 60 minutes of cleaning, they are free again at 11:00.
    await createLease(svc.app, leaseBody('busy', {
      start_date: on('02:00'), end_date: on('10:00'), reservations: [hostReservation({ min: 2, max: 2, resource_properties: GPU })],
    }), member('other'));
  });
  afterAll(async () => { await svc.close(); });

  it('finds the earliest windows for whole hosts around other leases and their cleaning time', async () => {
    const res = await find({ duration: '3h', limit: 3, reservations: [hostReservation({ min: 2, max: 2, resource_properties: GPU })] });
    expect(res.status).toBe(200);
    expectSchema(res.body, 'AvailabilityAnswer');
    expect(res.body.slots).toEqual([
      { start_date: rendered('11:00'), end_date: rendered('14:00'), reservations: [{
        resource_type: 'physical:host', count: 2,
        hosts: [{ id: ids.g1, hypervisor_hostname: 'g1' }, { id: ids.g2, hypervisor_hostname: 'g2' }],
      }] },
      { start_date: rendered('14:00'), end_date: rendered('17:00'), reservations: [expect.objectContaining({ count: 2 })] },
      { start_date: rendered('17:00'), end_date: rendered('20:00'), reservations: [expect.objectContaining({ count: 2 })] },
    ]);
  });

  it('answers a window in which a create succeeds, and no earlier one exists', async () => {
    const reservations = [hostReservation({ min: 2, max: 2, resource_properties: GPU })];
    const before = await counts();
    const [slot] = (await find({ duration: 5400, not_before: on('03:30'), reservations }, member('p1'))).body.slots;
    expect(slot).toEqual({ start_date: rendered('11:00'), end_date: rendered('12:30'), reservations: [{ resource_type: 'physical:host', count: 2 }] });
    expect(await counts()).toEqual(before);
    const early = await request(svc.app).post('/v1/leases').set(member('p1'))
      .send(leaseBody('early', { start_date: on('10:59'), end_date: on('12:29'), reservations }));
    expectError(early, 409, /Not enough hosts available/);
    const lease = await createLease(svc.app, leaseBody('at-slot', { start_date: on('11:00'), end_date: on('12:30'), reservations }), member('p1'));
    await request(svc.app).delete(`/v1/leases/${lease.id}`).set(member('p1')).expect(204);
  });

  it('shows members counts only, never hosts or other leases', async () => {
    const res = await find({ duration: '1h', reservations: [hostReservation({ resource_properties: GPU })] }, member('p2'));
    expect(res.status).toBe(200);
    expect(res.body.slots[0]).toEqual({ start_date: rendered('00:00'), end_date: rendered('01:00'), reservations: [{ resource_type: 'physical:host', count: 1 }] });
    expect(JSON.stringify(res.body)).not.toMatch(/lease|g\d|host_id/);
  });

  it('is for members and admins: a reader of the project gets a 403', async () => {
    const reader = { 'X-User-Id': 'r', 'X-Project-Id': 'p2', 'X-Roles': 'reader' };
    expectError(await find({ duration: '1h', reservations: [hostReservation()] }, reader), 403);
  });

  it('skips hosts that are not reservable', async () => {
    await svc.services.db.transaction((tx) => svc.services.repos.hosts.setHealth(tx, Number(ids.g3), { reservable: false, status: 'maintenance' }, NOW));
    try {
      // Two hours from now would end 02:00 and leave no cleaning time before the other lease on g1 and g2.
      const res = await find({ duration: '2h', reservations: [hostReservation({ resource_properties: GPU })] });
      expect(res.body.slots[0]).toMatchObject({ start_date: rendered('11:00') });
    } finally {
      await svc.services.db.transaction((tx) => svc.services.repos.hosts.setHealth(tx, Number(ids.g3), { reservable: true, status: null }, NOW));
    }
  });

  it('places the reservations of one lease together, as a create does', async () => {
    // Three GPU hosts: one is free now, two more at 11:00; the lease wants 1 + 2 of them at once.
    const res = await find({ duration: '2h', limit: 1, reservations: [
      hostReservation({ resource_properties: GPU }), hostReservation({ min: 2, max: 2, resource_properties: GPU }),
    ] });
    expect(res.body.slots).toEqual([{ start_date: rendered('11:00'), end_date: rendered('13:00'), reservations: [
      { resource_type: 'physical:host', count: 1, hosts: [{ id: ids.g1, hypervisor_hostname: 'g1' }] },
      { resource_type: 'physical:host', count: 2, hosts: [{ id: ids.g2, hypervisor_hostname: 'g2' }, { id: ids.g3, hypervisor_hostname: 'g3' }] },
    ] }]);
  });

  it('finds windows for a Heat stack\'s servers as instance slots, and a stack lease at the window found is made', async () => {
    const stack = { resource_type: 'virtual:stack', stack_name: 'web', template: STACK, vcpus: 8, memory_mb: 4096, disk_gb: 10 };
    const res = await find({ duration: '2h', limit: 1, reservations: [stack] }, member('p7'));
    expect(res.status).toBe(200);
    const [slot] = res.body.slots;
    // Two servers of a whole host's vCPUs each: two hosts; a member sees the count only.
    expect(slot.reservations).toEqual([{ resource_type: 'virtual:stack', count: 2 }]);
    const made = await request(svc.app).post('/v1/leases').set(member('p7')).send({
      name: 'stack-at-slot', start_date: slot.start_date.slice(0, 16).replace('T', ' '), end_date: slot.end_date.slice(0, 16).replace('T', ' '),
      reservations: [stack],
    });
    expect(made.status).toBe(201);
    await request(svc.app).delete(`/v1/leases/${made.body.lease.id}`).set(member('p7')).expect(204);
  });

  it('finds instance slots: a host held whole has none, others give what their capacity leaves', async () => {
    const instances = (amount: number, affinity: boolean | null = null) => ({
      resource_type: 'virtual:instance', amount, vcpus: 4, memory_mb: 1024, disk_gb: 10, affinity, resource_properties: GPU,
    });
    // The lease below fills g3 (2 slots of 4 vCPUs) until 12:00; g1 and g2 are held whole 02:00-10:00. Three hours
    // of 3 instances fit from 10:00 on g1 and g2 (instance slots keep no cleaning time, as in allocation).
    const lease = await createLease(svc.app, leaseBody('inst', { start_date: on('00:00'), end_date: on('12:00'), reservations: [instances(2)] }), member('p3'));
    try {
      const res = await find({ duration: '3h', reservations: [instances(3)] }, ADMIN);
      expect(res.body.slots[0]).toEqual({ start_date: rendered('10:00'), end_date: rendered('13:00'), reservations: [{
        resource_type: 'virtual:instance', count: 3,
        hosts: [{ id: ids.g1, hypervisor_hostname: 'g1', instances: 2 }, { id: ids.g2, hypervisor_hostname: 'g2', instances: 1 }],
      }] });
      // All on one host: g3 is full until 12:00, g1 is free whole from 10:00.
      const together = await find({ duration: '3h', reservations: [instances(2, true)] }, member('p3'));
      expect(together.body.slots[0]).toMatchObject({ start_date: rendered('10:00') });
    } finally {
      await request(svc.app).delete(`/v1/leases/${lease.id}`).set(member('p3')).expect(204);
    }
  });

  it('finds floating IPs: the required ones and the lowest free others, with the lease\'s hosts', async () => {
    for (const address of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) {
      await request(svc.app).post('/v1/floatingips').send({ floating_network_id: NET, floating_ip_address: address }).expect(201);
    }
    const ips = (amount: number, required: string[] = []) => ({ resource_type: 'virtual:floatingip', network_id: NET, amount, required_floatingips: required });
    const held = await createLease(svc.app, leaseBody('ips', { start_date: on('00:00'), end_date: on('04:00'), reservations: [ips(2, ['10.0.0.3'])] }), member('p7'));
    try {
      // 10.0.0.3 and one other are held until 04:00: two more are free now, 10.0.0.3 only from 04:00.
      const two = await find({ duration: '1h', reservations: [ips(2)] }, ADMIN);
      expect(two.body.slots[0]).toMatchObject({ start_date: rendered('04:00'), reservations: [{ resource_type: 'virtual:floatingip', count: 2 }] });
      const one = await find({ duration: '1h', reservations: [ips(1)] }, ADMIN);
      expect(one.body.slots[0]).toEqual({ start_date: rendered('00:00'), end_date: rendered('01:00'), reservations: [
        { resource_type: 'virtual:floatingip', count: 1, floatingips: [expect.stringMatching(/^10\.0\.0\.[12]$/)] }] });
      const required = await find({ duration: '1h', reservations: [ips(1, ['10.0.0.3']), hostReservation({ resource_properties: GPU })] }, member('p7'));
      expect(required.body.slots[0]).toEqual({ start_date: rendered('04:00'), end_date: rendered('05:00'), reservations: [
        { resource_type: 'virtual:floatingip', count: 1 }, { resource_type: 'physical:host', count: 1 }] });
      const lease = await createLease(svc.app, leaseBody('ips-at-slot', { start_date: on('04:00'), end_date: on('05:00'), reservations: [ips(1, ['10.0.0.3'])] }), member('p7'));
      await request(svc.app).delete(`/v1/leases/${lease.id}`).set(member('p7')).expect(204);
    } finally {
      await request(svc.app).delete(`/v1/leases/${held.id}`).set(member('p7')).expect(204);
    }
  });

  it('finds volume space: the first pool by name with room for all the volumes during the window', async () => {
    for (const [name, capacity_gb] of [['pool-a', 100], ['pool-b', 300]] as const) {
      await request(svc.app).post('/v1/volume-pools').send({ name, capacity_gb, volume_type: 'ssd' }).expect(201);
    }
    const volumes = (amount: number, size_gb = 50) => ({ resource_type: 'virtual:volume', amount, size_gb, volume_type: 'ssd' });
    // pool-a is full 01:00-03:00, pool-b holds 200 of 300 GiB 00:00-05:00: 100 GiB fit on pool-b all along.
    const a = await createLease(svc.app, leaseBody('vol-a', { start_date: on('01:00'), end_date: on('03:00'), reservations: [volumes(2)] }), member('p8'));
    const b = await createLease(svc.app, leaseBody('vol-b', { start_date: on('00:00'), end_date: on('05:00'), reservations: [volumes(4)] }), member('p8'));
    try {
      const two = await find({ duration: '2h', reservations: [volumes(2)] }, ADMIN);
      expect(two.body.slots.slice(0, 2)).toEqual([
        { start_date: rendered('00:00'), end_date: rendered('02:00'), reservations: [{ resource_type: 'virtual:volume', count: 2, pool: 'pool-b' }] },
        { start_date: rendered('02:00'), end_date: rendered('04:00'), reservations: [{ resource_type: 'virtual:volume', count: 2, pool: 'pool-b' }] },
      ]);
      // 150 GiB fits nowhere before pool-b has room again at 05:00; members see no pool.
      const three = await find({ duration: '1h', reservations: [volumes(3)] }, member('p8'));
      expect(three.body.slots[0]).toEqual({ start_date: rendered('05:00'), end_date: rendered('06:00'), reservations: [{ resource_type: 'virtual:volume', count: 3 }] });
      const lease = await createLease(svc.app, leaseBody('vol-at-slot', { start_date: on('05:00'), end_date: on('06:00'), reservations: [volumes(3)] }), member('p8'));
      await request(svc.app).delete(`/v1/leases/${lease.id}`).set(member('p8')).expect(204);
      expectError(await request(svc.app).post('/v1/leases').set(member('p8'))
        .send(leaseBody('vol-early', { start_date: on('04:59'), end_date: on('05:59'), reservations: [volumes(3)] })), 409);
    } finally {
      for (const l of [a, b]) await request(svc.app).delete(`/v1/leases/${l.id}`).set(member('p8')).expect(204);
    }
  });

  it('creates an earliest-fit lease in the first window, as an ordinary lease', async () => {
    const reservations = [hostReservation({ min: 2, max: 2, resource_properties: GPU })];
    const body = { name: 'asap', start_date: 'earliest', duration: '2h', not_before: on('01:00'), not_after: on('02 00:00'), reservations };
    const res = await request(svc.app).post('/v1/leases').set(member('p4')).send(body);
    expect(res.status).toBe(201);
    expectSchema(res.body, 'LeaseEnvelope');
    expect(res.body.lease).toMatchObject({ name: 'asap', start_date: rendered('11:00'), end_date: rendered('13:00'), status: 'PENDING' });
    expect(res.body.lease.events.map((e: { event_type: string; time: string }) => [e.event_type, e.time])).toEqual(
      expect.arrayContaining([['start_lease', rendered('11:00')], ['end_lease', rendered('13:00')]]));
    // The next one gets the next window: 13:00 + cleaning time.
    const second = await request(svc.app).post('/v1/leases').set(member('p4')).send({ ...body, name: 'asap-2' });
    expect(second.body.lease).toMatchObject({ start_date: rendered('14:00'), end_date: rendered('16:00') });
    for (const l of [res.body.lease, second.body.lease]) await request(svc.app).delete(`/v1/leases/${l.id}`).set(member('p4')).expect(204);
  });

  it('refuses an earliest-fit create with no window in range with a 409, writing nothing', async () => {
    const before = await counts();
    const res = await request(svc.app).post('/v1/leases').set(member('p5')).send({
      name: 'none', start_date: 'earliest', duration: '3h', not_before: on('01:00'), not_after: on('12:00'),
      reservations: [hostReservation({ min: 3, max: 3, resource_properties: GPU })],
    });
    expectError(res, 409, /No window of 10800 seconds between 2030-01-01 01:00:00 UTC and 2030-01-01 12:00:00 UTC/);
    expect(await counts()).toEqual(before);
  });

  describe('bad input: a 400 naming the field, nothing written', () => {
    const ok = { duration: '1h', reservations: [hostReservation()] };
    it.each([
      ['duration of zero', { ...ok, duration: 0 }, /field\/attribute duration/],
      ['negative duration', { ...ok, duration: '-2h' }, /field\/attribute duration/],
      ['duration in an unknown unit', { ...ok, duration: '3y' }, /field\/attribute duration/],
      ['missing duration', { reservations: [hostReservation()] }, /duration/],
      ['not_after before not_before', { ...ok, not_before: on('10:00'), not_after: on('09:00') }, /field\/attribute not_after: .*must be later than not_before/],
      ['a horizon over the maximum', { ...ok, not_after: '2030-03-01 00:00' }, /field\/attribute not_after: searches span at most 30 days/],
      ['a bad date', { ...ok, not_before: 'tomorrow' }, /field\/attribute not_before: tomorrow is an invalid date/],
      ['an unknown filter key', { ...ok, reservations: [hostReservation({ resource_properties: '["=", "$nosuch", "1"]' })] }, /resource_properties/],
      ['an unknown body key', { ...ok, start_date: 'now' }, /start_date/],
      ['a required floating IP not registered', { ...ok, reservations: [{ resource_type: 'virtual:floatingip', network_id: NET, amount: 1,
        required_floatingips: ['10.9.9.9'] }] }, /required_floatingips: 10.9.9.9 is not a reservable floating IP/],
    ])('%s', async (_what, body, message) => {
      const before = await counts();
      expectError(await find(body as Record<string, unknown>, member('p6')), 400, message);
      expect(await counts()).toEqual(before);
    });

    it.each([
      ['duration without earliest', { duration: '1h' }, /field\/attribute duration: only with "start_date": "earliest"/],
      ['end_date with earliest', { start_date: 'earliest', duration: '1h', end_date: on('05:00') }, /field\/attribute end_date/],
      ['earliest without a duration', { start_date: 'earliest', end_date: null }, /Missing parameter duration/],
      ['earliest with a zero duration', { start_date: 'earliest', duration: '0m' }, /field\/attribute duration/],
    ])('create: %s', async (_what, fields: Record<string, unknown>, message) => {
      const before = await counts();
      const body: Record<string, unknown> = { ...leaseBody('bad', { reservations: [hostReservation()] }), ...fields };
      if (fields.start_date === 'earliest' && !fields.end_date) delete body.end_date;
      expectError(await request(svc.app).post('/v1/leases').set(member('p6')).send(body), 400, message);
      expect(await counts()).toEqual(before);
    });
  });
});
