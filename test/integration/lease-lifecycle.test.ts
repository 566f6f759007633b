import { ManualClock } from '../../src/common';
import type { RequestContext } from '../../src/auth';
import { ENGINES } from '../support/database';
import { startTestService, type TestService } from '../support/service';

const admin: RequestContext = { userId: 'u1', projectId: 'p1', roles: ['admin'], isAdmin: true, requestId: 'req-test' };

async function outboxTypes(svc: TestService, leaseId: string): Promise<string[]> {
  const rows = await svc.services.db.select<{ event_type: string }>(
    'SELECT event_type FROM notifications WHERE lease_id = ? ORDER BY id', [leaseId]);
  return rows.map((r) => r.event_type);
}

describe.each(ENGINES)('lease lifecycle driven by the event runner on %s', (dialect) => {
  let svc: TestService;
  const clock = new ManualClock(new Date('2030-01-01T11:00:00Z'));

  beforeAll(async () => {
    svc = await startTestService({ dialect, clock, config: { manager: { minutesBeforeStartLease: 10, minutesBeforeEndLease: 30 } } });
    await svc.services.hosts.create({ name: 'h1', vcpus: 8, bmc_address: '10.0.0.5' });
  });
  afterAll(async () => { await svc.close(); });

  it('runs heads-up, start, before-end and end in order, with notifications', async () => {
    const { leases, runner } = svc.services;
    const lease = await leases.create(admin, {
      name: 'life', start_date: '2030-01-01 12:00', end_date: '2030-01-01 14:00',
      reservations: [{ resource_type: 'physical:host', min: 1, max: 1 }],
    });
    expect(await runner.runDueOnce()).toBe(0);

    clock.set(new Date('2030-01-01T11:50:00Z'));
    expect(await runner.runDueOnce()).toBe(1);
    expect((await leases.get(admin, lease.id)).status).toBe('PENDING');

    clock.set(new Date('2030-01-01T12:00:00Z'));
    await runner.runDueOnce();
    const active = await leases.get(admin, lease.id);
    expect(active.status).toBe('ACTIVE');
    expect(active.reservations[0].status).toBe('active');

    // End and before-end are both due: they run in order, end last.
    clock.set(new Date('2030-01-01T14:00:00Z'));
    while (await runner.runDueOnce() > 0) { /* each pass runs what the previous one unblocked */ }
    const ended = await leases.get(admin, lease.id);
    expect(ended.status).toBe('TERMINATED');
    expect(ended.reservations[0].status).toBe('deleted');
    expect(ended.events.map((e) => e.status)).toEqual(['DONE', 'DONE', 'DONE', 'DONE']);
    expect(await outboxTypes(svc, lease.id)).toEqual([
      'lease.create', 'lease.event.before_start_lease', 'lease.event.start_lease',
      'lease.event.before_end_lease', 'lease.event.end_lease',
    ]);
  });

  it('puts the heads-up payload together for provisioners', async () => {
    clock.set(new Date('2030-02-01T11:00:00Z'));
    const lease = await svc.services.leases.create(admin, {
      name: 'heads-up', start_date: '2030-02-01 12:00', end_date: '2030-02-01 13:00',
      reservations: [{ resource_type: 'physical:host', min: 1, max: 1 }],
    });
    clock.set(new Date('2030-02-01T11:50:00Z'));
    await svc.services.runner.runDueOnce();
    const [row] = await svc.services.db.select<{ payload: string }>(
      "SELECT payload FROM notifications WHERE lease_id = ? AND event_type = 'lease.event.before_start_lease'", [lease.id]);
    const payload = JSON.parse(row.payload);
    expect(payload.seconds_until_start).toBe(600);
    expect(payload.resources[0].hosts).toEqual([expect.objectContaining({ hypervisor_hostname: 'h1', bmc_address: '10.0.0.5' })]);

    // The end notification names the same hosts, for whoever powers them off.
    clock.set(new Date('2030-02-01T13:00:00Z'));
    while (await svc.services.runner.runDueOnce() > 0) { /* start, then end */ }
    const [end] = await svc.services.db.select<{ payload: string }>(
      "SELECT payload FROM notifications WHERE lease_id = ? AND event_type = 'lease.event.end_lease'", [lease.id]);
    expect(JSON.parse(end.payload).resources[0].hosts).toEqual([expect.objectContaining({ hypervisor_hostname: 'h1' })]);
  });

  it('moves events with the dates, and runs a done before_end_lease again when extended past it', async () => {
    const { leases, runner } = svc.services;
    clock.set(new Date('2030-03-01T11:00:00Z'));
    const lease = await leases.create(admin, { name: 'extend', start_date: '2030-03-01 12:00', end_date: '2030-03-01 14:00' });
    clock.set(new Date('2030-03-01T13:40:00Z'));
    while (await runner.runDueOnce() > 0) { /* start, then before_end */ }
    const before = await leases.get(admin, lease.id);
    expect(before.events.find((e) => e.event_type === 'before_end_lease')?.status).toBe('DONE');

    const extended = await leases.update(admin, lease.id, { end_date: '2030-03-01 16:00' });
    const notice = extended.events.find((e) => e.event_type === 'before_end_lease');
    expect(notice).toMatchObject({ time: '2030-03-01T15:30:00.000000', status: 'UNDONE' });
    expect(extended.events.find((e) => e.event_type === 'end_lease')?.time).toBe('2030-03-01T16:00:00.000000');

    clock.set(new Date('2030-03-01T15:30:00Z'));
    await runner.runDueOnce();
    expect(await outboxTypes(svc, lease.id)).toEqual([
      'lease.create', 'lease.event.before_start_lease', 'lease.event.start_lease', 'lease.event.before_end_lease', 'lease.update',
      'lease.event.before_end_lease',
    ]);
    expect((await leases.get(admin, lease.id)).status).toBe('ACTIVE');
  });
});
