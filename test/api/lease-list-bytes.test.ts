/**
 * GET /v1/leases writes its body from JSON text the database builds (issue 18): the bytes must still be those
 * res.json gave, i.e. each listed lease exactly the text GET /v1/leases/{id} shows, in JSON.stringify's form
 * (key order, escapes, dates with their milliseconds, nulls and booleans), on every engine.
 */
import request from 'supertest';
import { ManualClock } from '../../src/common';
import { DIALECTS } from '../support/database';
import { startTestService, type TestService } from '../support/service';
import { ADMIN, createHost, createLease, hostReservation, member } from './helpers';

const OWNER = member('proj-bytes');
const AWKWARD = 'Zoë "quoted" back\\slash\ttab 漢字 😀 </script>';

describe.each(DIALECTS)('lease list bytes on %s', (dialect) => {
  let svc: TestService;
  const ids: string[] = [];

  beforeAll(async () => {
    // Milliseconds in every stamp, to see them kept (lease and event dates) and cut (created_at, updated_at).
    const clock = new ManualClock(new Date('2029-06-01T10:00:00.123Z'));
    svc = await startTestService({ dialect, clock });
    await createHost(svc.app, { name: 'bytes-1', vcpus: 8, memory_mb: 8192 });
    await createHost(svc.app, { name: 'bytes-2', vcpus: 8, memory_mb: 8192 });
    ids.push((await createLease(svc.app, {
      name: AWKWARD, start_date: '2029-07-01T10:00:00.250Z', end_date: '2029-07-02 10:00', before_end_date: '2029-07-01 22:00',
      reservations: [hostReservation({ resource_properties: '["==", "$memory_mb", "8192"]' })],
    }, OWNER)).id);
    clock.advance(1_001);
    // Starts now: its start event runs, so it has a done event with an updated_at, and the lease an updated_at.
    ids.push((await createLease(svc.app, {
      name: 'started', start_date: 'now', end_date: '2029-06-02 10:00', reservations: [hostReservation()],
    }, OWNER)).id);
    clock.advance(1_337);
    expect(await svc.services.runner.runDueOnce()).toBeGreaterThan(0);
    // A reason with characters JSON must escape (control characters, quotes, a newline); MariaDB writes \u001B.
    await svc.services.repos.leases.update(undefined, ids[1], { statusReason: `line one\nsaid "no" \u0001 \u001b[31m \\ é`, degraded: true });
    ids.push((await createLease(svc.app, { name: 'no reservations', start_date: '2029-08-01 10:00', end_date: '2029-08-02 10:00' }, OWNER)).id);
  });
  afterAll(async () => { await svc.close(); });

  it('lists each lease as the very bytes showing it gives, in JSON.stringify form', async () => {
    const listed = await request(svc.app).get('/v1/leases').set(ADMIN);
    expect(listed.status).toBe(200);
    expect(listed.headers['content-type']).toBe('application/json; charset=utf-8');
    // What JSON.stringify writes for the parsed body: no spaces, its escapes, the keys in order.
    expect(JSON.stringify(JSON.parse(listed.text))).toBe(listed.text);
    const texts = [];
    for (const id of ids) {
      const shown = await request(svc.app).get(`/v1/leases/${id}`).set(ADMIN);
      expect(shown.headers['content-type']).toBe(listed.headers['content-type']);
      expect(shown.text.startsWith('{"lease":')).toBe(true);
      texts.push(shown.text.slice('{"lease":'.length, -1));
    }
    expect(listed.text).toBe(`{"leases":[${texts.join(',')}]}`);

    const [awkward, started] = (JSON.parse(listed.text) as { leases: Record<string, unknown>[] }).leases;
    expect(awkward.name).toBe(AWKWARD);
    expect(awkward.start_date).toBe('2029-07-01T10:00:00.250000');
    expect((awkward.events as { event_type: string; time: string }[]).map((e) => [e.event_type, e.time])).toEqual([
      ['start_lease', '2029-07-01T10:00:00.250000'], ['before_end_lease', '2029-07-01T22:00:00.000000'],
      ['end_lease', '2029-07-02T10:00:00.000000']]);
    expect(started.status).toBe('ACTIVE');
    expect(started.degraded).toBe(true);
    const startEvent = (started.events as Record<string, unknown>[]).find((e) => e.event_type === 'start_lease');
    expect(startEvent).toMatchObject({ status: 'DONE', time: '2029-06-01T10:00:01.000000', updated_at: '2029-06-01 10:00:02' });
  });

  it('pages with the same bytes and a next link', async () => {
    const whole = (await request(svc.app).get('/v1/leases').set(ADMIN)).text;
    const first = await request(svc.app).get('/v1/leases?limit=2').set(ADMIN);
    expect(JSON.stringify(JSON.parse(first.text))).toBe(first.text);
    const body = JSON.parse(first.text) as { leases: unknown[]; leases_links: { rel: string; href: string }[] };
    expect(body.leases_links).toEqual([{ rel: 'next', href: expect.stringMatching(new RegExp(`/v1/leases\\?limit=2&marker=${ids[1]}$`)) }]);
    expect(whole.startsWith(first.text.slice(0, first.text.indexOf('],"leases_links"')))).toBe(true);
  });
});
