/**
 * before_end_date as Blazar treats it (issue 12, items 8 and 10): when a PUT moves the end (the CLI's
 * --prolong-for, --reduce-by, --defer-by, --advance-by all arrive as new dates), the before_end_lease event keeps
 * its distance to the end, never earlier than the start; a before_end_date given outside the lease is a 403
 * "Datetime is out of lease limits", and nothing is written.
 */
import request from 'supertest';
import { ManualClock } from '../../src/common';
import { DIALECTS } from '../support/database';
import { startTestService, type TestService } from '../support/service';
import { createLease, expectError, leaseBody, type Lease } from './helpers';

const NOW = new Date('2029-06-01T10:00:00Z');

/** Day `d` of March 2031 at `time`, as requests write it, and as the API renders it. */
const day = (d: number, time = '00:00') => `2031-03-${String(d).padStart(2, '0')} ${time}`;
const rendered = (text: string) => `${text.replace(' ', 'T')}:00.000000`;

describe.each(DIALECTS)('before_end_date on %s', (dialect) => {
  let svc: TestService;
  let clock: ManualClock;

  const put = (id: string, body: Record<string, unknown>) => request(svc.app).put(`/v1/leases/${id}`).send(body);
  const show = async (id: string): Promise<Lease> => (await request(svc.app).get(`/v1/leases/${id}`)).body.lease;
  const beforeEndEvent = (lease: Lease) => lease.events.find((e) => e.event_type === 'before_end_lease');

  beforeAll(async () => {
    clock = new ManualClock(NOW);
    svc = await startTestService({ dialect, clock });
  });
  afterAll(async () => { await svc.close(); });

  // Each lease: 1 to 3 March, before_end_date 6 hours before the end.
  it.each([
    ['--prolong-for 1d', { end_date: day(4) }, day(3, '18:00')],
    ['--reduce-by 12h, to before the old before_end_date', { end_date: day(2, '12:00') }, day(2, '06:00')],
    ['--defer-by 1d', { start_date: day(2), end_date: day(4) }, day(3, '18:00')],
    ['--advance-by 12h', { start_date: '2031-02-28 12:00', end_date: day(2, '12:00') }, day(2, '06:00')],
    ['--reduce-by 42h, leaving less than 6 hours (clipped to the start)', { end_date: day(1, '06:00') }, day(1, '00:00')],
    ['a later start only, past the before_end_date (clipped to the start)', { start_date: day(2, '20:00') }, day(2, '20:00')],
  ])('a new end (%s) moves an explicit before_end_date along', async (label, change, expected) => {
    const lease = await createLease(svc.app, leaseBody(`move ${label}`, {
      start_date: day(1), end_date: day(3), before_end_date: day(2, '18:00'),
    }));
    const res = await put(lease.id, change);
    expect({ status: res.status, body: res.body }).toMatchObject({ status: 200 });
    const shown = await show(lease.id);
    expect(shown.before_end_date).toBe(rendered(expected));
    expect(beforeEndEvent(shown)).toMatchObject({ time: rendered(expected), status: 'UNDONE' });
    expect(res.body.lease).toEqual(shown);
  });

  it('takes a before_end_date given with the new end as it is', async () => {
    const lease = await createLease(svc.app, leaseBody('given', { start_date: day(5), end_date: day(6), before_end_date: day(5, '20:00') }));
    const res = await put(lease.id, { end_date: day(8), before_end_date: day(7) });
    expect(res.status).toBe(200);
    expect(beforeEndEvent(await show(lease.id))?.time).toBe(rendered(day(7)));
  });

  it.each([
    ['after the new end', { end_date: day(11), before_end_date: day(11, '01:00') }, day(11, '01:00'), day(11)],
    ['at the new end', { end_date: day(11), before_end_date: day(11) }, day(11), day(11)],
    ['before the start', { before_end_date: day(9, '23:00') }, day(9, '23:00'), day(12)],
  ])('refuses a before_end_date %s in an update with 403, changing nothing', async (label, change, date, end) => {
    const lease = await createLease(svc.app, leaseBody(`refused ${label}`, {
      start_date: day(10), end_date: day(12), before_end_date: day(11, '12:00'),
    }));
    const before = await show(lease.id);
    expectError(await put(lease.id, change), 403, `Datetime is out of lease limits: before_end_date ${date}:00 UTC must be after `
      + `start_date ${day(10)}:00 UTC and before end_date ${end}:00 UTC`);
    expect(await show(lease.id)).toEqual(before);
  });

  it('prolonging an active lease whose before_end event has run runs it again before the new end', async () => {
    // Starts now (10:00), ends at 14:00, heads-up at 12:00.
    const lease = await createLease(svc.app, { name: 'active', start_date: 'now', end_date: '2029-06-01 14:00', before_end_date: '2029-06-01 12:00' });
    expect(await svc.services.runner.runDueOnce()).toBe(1);
    clock.set(new Date('2029-06-01T12:30:00Z'));
    expect(await svc.services.runner.runDueOnce()).toBe(1);
    const ran = await show(lease.id);
    expect(ran.status).toBe('ACTIVE');
    expect(beforeEndEvent(ran)).toMatchObject({ time: '2029-06-01T12:00:00.000000', status: 'DONE' });

    // The CLI's `lease set --prolong-for 1d`.
    const res = await put(lease.id, { end_date: '2029-06-02 14:00' });
    expect(res.status).toBe(200);
    const prolonged = await show(lease.id);
    expect(prolonged.before_end_date).toBe('2029-06-02T12:00:00.000000');
    expect(beforeEndEvent(prolonged)).toMatchObject({ time: '2029-06-02T12:00:00.000000', status: 'UNDONE' });
    expect(await svc.services.runner.runDueOnce()).toBe(0);
  });
});
