/** QuotaRepository: project limits, the per-project admission lock, and the usage rows quotas count. */
import { Database, QuotaRepository } from '../../../src/db';
import { DIALECTS } from '../../support/database';
import { addLease, at, openDb, type Db } from './helpers';

const NOW = at('2030-01-01T00:00:00.000Z');

describe.each(DIALECTS)('QuotaRepository on %s', (dialect) => {
  let t: Db;
  beforeEach(async () => { t = await openDb(dialect); });
  afterEach(async () => { await t.close(); });

  const admissions = async (project: string) =>
    Number((await t.db.select<{ admissions: unknown }>('SELECT admissions FROM project_quotas WHERE project_id = ?', [project]))[0]?.admissions ?? 0);

  it('sets limits one by one, null back to the default, and lists the projects that have some', async () => {
    expect(await t.repos.quotas.get('p1')).toBeNull();
    await t.db.transaction((tx) => t.repos.quotas.setLimits(tx, 'p1', { hosts: 3, max_extension: 3600 }, NOW));
    await t.db.transaction((tx) => t.repos.quotas.setLimits(tx, 'p1', { leases: -1 }, NOW));
    expect(await t.repos.quotas.get('p1')).toEqual({
      projectId: 'p1', updatedAt: NOW,
      limits: { hosts: 3, host_hours: null, instance_slots: null, leases: -1, max_lease_duration: null, max_extension: 3600 },
    });
    await t.db.transaction((tx) => t.repos.quotas.lockProject(tx, 'p2'));
    expect((await t.repos.quotas.listOverridden()).map((r) => r.projectId)).toEqual(['p1']);
    expect(await t.repos.quotas.anyOverridden()).toBe(true);
    await t.db.transaction((tx) => t.repos.quotas.setLimits(tx, 'p1', { hosts: null, leases: null, max_extension: null }, NOW));
    expect(await t.repos.quotas.listOverridden()).toEqual([]);
    expect(await t.repos.quotas.anyOverridden()).toBe(false);
  });

  it('lockProject creates the row once and writes it on every admission; a rolled back one leaves no trace', async () => {
    await t.db.transaction((tx) => t.repos.quotas.lockProject(tx, 'p1'));
    await t.db.transaction((tx) => t.repos.quotas.lockProject(tx, 'p1'));
    expect(await admissions('p1')).toBe(2);
    await expect(t.db.transaction(async (tx) => {
      await t.repos.quotas.lockProject(tx, 'p1');
      throw new Error('refused');
    })).rejects.toThrow('refused');
    expect(await admissions('p1')).toBe(2);
  });

  if (dialect === 'mariadb') {
    it('a second transaction of the same project waits for the first to commit (another pool, as another API process)', async () => {
      const other = new Database({ connection: t.url });
      await other.open();
      try {
        let release!: () => void;
        const held = new Promise<void>((resolve) => { release = resolve; });
        let firstLocked!: () => void;
        const locked = new Promise<void>((resolve) => { firstLocked = resolve; });
        const first = t.db.transaction(async (tx) => {
          await t.repos.quotas.lockProject(tx, 'p1');
          firstLocked();
          await held;
        });
        await locked;
        let secondDone = false;
        const second = other.transaction(async (tx) => {
          await new QuotaRepository(other).lockProject(tx, 'p1');
          secondDone = true;
          return admissions('p1');
        });
        // Another project is not held up meanwhile.
        await other.transaction((tx) => new QuotaRepository(other).lockProject(tx, 'p2'));
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(secondDone).toBe(false);
        release();
        await first;
        // The second sees the first's committed write once it has the row.
        await second;
        expect(secondDone).toBe(true);
        expect(await admissions('p1')).toBe(2);
      } finally {
        await other.close();
      }
    });
  }

  it('reads the ledger spans and unfinished lease windows of one project overlapping a range', async () => {
    const { lease: a } = await addLease(t, { projectId: 'p1', startDate: at('2030-01-02T00:00:00Z'), endDate: at('2030-01-03T00:00:00Z') });
    const { lease: done } = await addLease(t, { projectId: 'p1', status: 'TERMINATED', startDate: at('2030-01-02T00:00:00Z'), endDate: at('2030-01-03T00:00:00Z') });
    await addLease(t, { projectId: 'p2', startDate: at('2030-01-02T00:00:00Z'), endDate: at('2030-01-03T00:00:00Z') });
    const span = (leaseId: string, project: string, kind: string, amount: number, start: string, end: string) => t.db.execute(
      `INSERT INTO usage_ledger (lease_id, project_id, reservation_id, resource_type, kind, host_id, amount, start_date, end_date)
       VALUES (?, ?, 'r', 'physical:host', ?, NULL, ?, ?, ?)`, [leaseId, project, kind, amount, start, end]);
    await span(a.id, 'p1', 'host', 2, '2030-01-02 00:00:00.000', '2030-01-03 00:00:00.000');
    await span(a.id, 'p1', 'instance', 4, '2030-01-02 00:00:00.000', '2030-01-02 12:00:00.000');
    await span(done.id, 'p1', 'host', 1, '2029-12-01 00:00:00.000', '2029-12-02 00:00:00.000');
    await span('x', 'p2', 'host', 9, '2030-01-02 00:00:00.000', '2030-01-03 00:00:00.000');
    // Another lease of p1 with the same dates is summed with the others, the lease asked about kept apart.
    await span('b', 'p1', 'host', 3, '2030-01-02 00:00:00.000', '2030-01-03 00:00:00.000');
    await span('c', 'p1', 'host', 1, '2030-01-02 00:00:00.000', '2030-01-03 00:00:00.000');
    const spans = await t.db.transaction((tx) => t.repos.quotas.heldSpans(tx, 'p1', at('2030-01-02T06:00:00Z'), at('2030-01-04T00:00:00Z'), a.id));
    expect(spans.map((s) => [s.leaseId, s.kind, s.amount, s.start.toISOString(), s.end.toISOString()]).sort()).toEqual([
      ['', 'host', 4, '2030-01-02T00:00:00.000Z', '2030-01-03T00:00:00.000Z'],
      [a.id, 'host', 2, '2030-01-02T00:00:00.000Z', '2030-01-03T00:00:00.000Z'],
      [a.id, 'instance', 4, '2030-01-02T00:00:00.000Z', '2030-01-02T12:00:00.000Z'],
    ].sort());
    const windows = await t.db.transaction((tx) => t.repos.quotas.leaseWindows(tx, 'p1', at('2030-01-01T00:00:00Z'), at('2030-01-05T00:00:00Z')));
    expect(windows).toEqual([{ leaseId: a.id, start: a.startDate, end: a.endDate }]);
  });
});
