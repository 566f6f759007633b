/**
 * Racing earliest-fit creates ("start_date": "earliest") never double book, proven from the database on both
 * engines: many concurrent requests over real HTTP for the same few hosts each get a window of their own or a 409,
 * no host is held twice at overlapping times (cleaning time included), and a 409 leaves nothing behind.
 */
import { ManualClock } from '../../src/common';
import { fromSqlDate } from '../../src/db/sql-values';
import { ENGINES } from '../support/database';
import { startTestService, type TestService } from '../support/service';

jest.setTimeout(300_000);

const NOW = Date.UTC(2030, 0, 1);
const HOUR = 3_600_000;
const CLEANING_MINUTES = 30;
const RACERS = 16;

interface Reply { status: number; body: Record<string, unknown> & { lease?: { id: string; name: string; start_date: string } } }

async function post(url: string, body: unknown): Promise<Reply> {
  const res = await fetch(`${url}/v1/leases`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Reply['body'] };
}

describe.each(ENGINES)('racing earliest-fit creates on %s', (dialect) => {
  let svc: TestService;

  beforeAll(async () => {
    svc = await startTestService({
      dialect, listen: true, clock: new ManualClock(new Date(NOW)), config: { default: { cleaningTimeMinutes: CLEANING_MINUTES } },
    });
    for (const name of ['r1', 'r2', 'r3']) {
      const res = await fetch(`${svc.url}/v1/os-hosts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
      expect(res.status).toBe(201);
    }
  });
  afterAll(async () => { await svc.close(); });

  it('gives each racer its own window or a 409, never one host twice', async () => {
    // 2 of 3 hosts for 2 h within 12 h: at most one lease at a time fits, so the racers queue up in time.
    const body = (i: number) => ({
      name: `racer-${i}`, start_date: 'earliest', duration: '2h', not_before: '2030-01-01 00:00', not_after: '2030-01-01 12:00',
      reservations: [{ resource_type: 'physical:host', min: 2, max: 2, hypervisor_properties: '', resource_properties: '' }],
    });
    const replies = await Promise.all(Array.from({ length: RACERS }, (_, i) => post(svc.url, body(i))));
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s !== 201 && s !== 409)).toEqual([]);
    const won = replies.filter((r) => r.status === 201).map((r) => r.body.lease!);
    // Windows of 2 h plus 30 min of cleaning: 00:00, 02:30, 05:00, 07:30, 10:00.
    expect(won.length).toBeGreaterThanOrEqual(2);
    expect(won.length).toBeLessThanOrEqual(5);

    const rows = (await svc.services.db.select<Record<string, unknown>>(
      'SELECT host_id, lease_id, start_date, end_date FROM computehost_allocations ORDER BY host_id, start_date'))
      .map((r) => ({ host: Number(r.host_id), lease: String(r.lease_id), start: fromSqlDate(r.start_date).getTime(), end: fromSqlDate(r.end_date).getTime() }));
    const cleaning = CLEANING_MINUTES * 60_000;
    const clashes = rows.flatMap((a, i) => rows.slice(i + 1)
      .filter((b) => b.host === a.host && b.start < a.end + cleaning && a.start < b.end + cleaning)
      .map((b) => `host ${a.host}: ${a.lease} and ${b.lease}`));
    expect(clashes).toEqual([]);
    // Every winner holds two hosts in its own window; every loser left no lease.
    const leases = await svc.services.db.select<{ id: string; name: string }>('SELECT id, name FROM leases');
    expect(leases.map((l) => l.name).sort()).toEqual(won.map((l) => l.name).sort());
    for (const lease of won) {
      const held = rows.filter((r) => r.lease === lease.id);
      expect(held.length).toBe(2);
      expect(new Date(held[0].start).toISOString().slice(0, 16)).toBe(lease.start_date.slice(0, 16));
    }
    const starts = won.map((l) => (Date.parse(`${l.start_date.slice(0, 23)}Z`) - NOW) / HOUR).sort((a, b) => a - b);
    expect(new Set(starts).size).toBe(starts.length);
  });
});
