/** Dates and booleans survive a round trip through every engine exactly (dates to the millisecond). */
import { fromSqlBool, fromSqlDate, sqlBool, sqlDate } from '../../../src/db/sql-values';
import { ENGINES } from '../../support/database';
import { addHost, addLease, at, eventRecord, leaseRecord, openDb, reservationRecord, type Db } from './helpers';

const INSTANTS = [
  '2030-01-02T03:04:05.678Z',
  '2030-12-31T23:59:59.999Z',
  '2031-01-01T00:00:00.001Z',
  '1999-12-31T23:59:59.999Z',
  '2038-01-19T03:14:08.001Z',
  '2030-03-31T01:30:00.500Z', // a DST change in Europe: UTC must not care
].map(at);

describe('sql values', () => {
  it('writes dates as UTC text with milliseconds', () => {
    expect(sqlDate(at('2030-01-02T03:04:05.006Z'))).toBe('2030-01-02 03:04:05.006');
    expect(sqlDate(null)).toBeNull();
    expect(sqlDate(undefined)).toBeNull();
  });

  it('reads dates from text with or without zone, or from Date', () => {
    expect(fromSqlDate('2030-01-02 03:04:05.006').toISOString()).toBe('2030-01-02T03:04:05.006Z');
    expect(fromSqlDate('2030-01-02 03:04:05').toISOString()).toBe('2030-01-02T03:04:05.000Z');
    expect(fromSqlDate('2030-01-02 03:04:05.006 +02:00').toISOString()).toBe('2030-01-02T01:04:05.006Z');
    expect(fromSqlDate('2030-01-02T03:04:05.006Z').toISOString()).toBe('2030-01-02T03:04:05.006Z');
    const d = at('2030-01-02T03:04:05.006Z');
    expect(fromSqlDate(d)).toBe(d);
    for (const instant of INSTANTS) expect(fromSqlDate(sqlDate(instant)).getTime()).toBe(instant.getTime());
  });

  it('booleans', () => {
    expect([true, 1, '1', 1n].map(fromSqlBool)).toEqual([true, true, true, true]);
    expect([false, 0, '0', 0n, null, undefined].map(fromSqlBool)).toEqual([false, false, false, false, false, false]);
    expect([sqlBool(true), sqlBool(false)]).toEqual([1, 0]);
  });
});

describe.each(ENGINES)('round trips on %s', (dialect) => {
  let t: Db;
  beforeAll(async () => { t = await openDb(dialect); });
  afterAll(async () => { await t.close(); });

  it('lease dates come back to the millisecond, nulls stay null', async () => {
    for (const [i, start] of INSTANTS.entries()) {
      const lease = leaseRecord({
        name: `dates-${i}`, startDate: start, endDate: new Date(start.getTime() + 3_600_001),
        beforeEndDate: new Date(start.getTime() + 1_800_123), beforeStartDate: i % 2 ? null : new Date(start.getTime() - 999),
        createdAt: new Date(start.getTime() - 86_400_000 + 7), updatedAt: i % 2 ? new Date(start.getTime() + 5) : null,
      });
      await t.db.transaction((tx) => t.repos.leases.insert(tx, lease));
      expect(await t.repos.leases.get(lease.id)).toEqual(lease);
    }
  });

  it('event times and claim expiry come back to the millisecond', async () => {
    const { lease } = await addLease(t);
    const e = eventRecord(lease.id, 'start_lease', 1, at('2030-06-01T12:34:56.789Z'), {
      status: 'IN_PROGRESS', claimedBy: 'm1', claimExpiresAt: at('2030-06-01T12:35:56.790Z'), updatedAt: at('2030-06-01T12:34:56.001Z'),
    });
    await t.db.transaction((tx) => t.repos.events.insert(tx, e));
    expect(await t.repos.events.get(e.id)).toEqual(e);
  });

  it('dates compare in time order in SQL, to the millisecond', async () => {
    const { lease } = await addLease(t, { startDate: at('2030-02-01T00:00:00.500Z') });
    const hit = await t.db.select('SELECT id FROM leases WHERE id = ? AND start_date > ?', [lease.id, sqlDate(at('2030-02-01T00:00:00.499Z'))]);
    const miss = await t.db.select('SELECT id FROM leases WHERE id = ? AND start_date > ?', [lease.id, sqlDate(at('2030-02-01T00:00:00.500Z'))]);
    expect([hit.length, miss.length]).toEqual([1, 0]);
  });

  it('lists page by creation time to the millisecond', async () => {
    const created = at('2031-05-05T05:05:05.000Z');
    const leases = [2, 0, 1].map((ms) => leaseRecord({ projectId: 'paging', createdAt: new Date(created.getTime() + ms) }));
    await t.db.transaction(async (tx) => { for (const l of leases) await t.repos.leases.insert(tx, l); });
    const all = await t.repos.leases.list({ projectId: 'paging' });
    expect(all.map((l) => l.createdAt.getTime() - created.getTime())).toEqual([0, 1, 2]);
    const after = await t.repos.leases.list({ projectId: 'paging', after: { createdAt: all[0].createdAt, id: all[0].id } });
    expect(after.map((l) => l.id)).toEqual([all[1].id, all[2].id]);
  });

  it('lease flags: degraded true and false', async () => {
    const { lease } = await addLease(t, { degraded: true });
    expect((await t.repos.leases.get(lease.id))?.degraded).toBe(true);
    await t.repos.leases.update(undefined, lease.id, { degraded: false });
    expect((await t.repos.leases.get(lease.id))?.degraded).toBe(false);
  });

  it('reservation flags and params', async () => {
    const { lease } = await addLease(t);
    const r = reservationRecord(lease.id, { missingResources: true, params: { min: 2, max: 3, note: 'ünïcode', nested: { a: [1] } } });
    await t.db.transaction((tx) => t.repos.reservations.insert(tx, r));
    expect(await t.repos.reservations.get(r.id)).toEqual(r);
    await t.db.transaction((tx) => t.repos.reservations.setFlags(tx, r.id, { missingResources: false, resourcesChanged: true }, at('2030-01-01T00:00:00.001Z')));
    expect(await t.repos.reservations.get(r.id)).toMatchObject({ missingResources: false, resourcesChanged: true, updatedAt: at('2030-01-01T00:00:00.001Z') });
  });

  it('host reservable flag, created_at and property privacy', async () => {
    const open = await addHost(t, 'flag-open');
    const closed = await addHost(t, 'flag-closed', { reservable: false });
    expect((await t.repos.hosts.get(open))?.reservable).toBe(true);
    expect((await t.repos.hosts.get(closed))).toMatchObject({ reservable: false, createdAt: at('2029-12-31T00:00:00.000Z'), updatedAt: null });
    await t.db.transaction((tx) => t.repos.hosts.setExtras(tx, open, { gpu: { value: 'True', number: null } }, at('2030-01-01T00:00:00.000Z')));
    expect((await t.repos.hosts.properties()).find((p) => p.name === 'gpu')).toMatchObject({ private: false, values: ['True'] });
    await t.db.transaction((tx) => t.repos.hosts.setPropertyPrivate(tx, 'gpu', true, at('2030-01-01T00:00:00.000Z')));
    expect((await t.repos.hosts.properties()).find((p) => p.name === 'gpu')?.private).toBe(true);
  });
});
