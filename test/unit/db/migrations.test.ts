import { Database, currentVersion, migrateUp, pendingMigrations } from '../../../src/db';
import { ENGINES } from '../../support/database';
import * as usageLedger from '../../../src/db/migrations/006-usage-ledger';
import { addHost, addLease, at, openDb, type Db } from './helpers';

const TABLES = ['leases', 'reservations', 'events', 'hosts', 'resource_properties', 'host_extra_capabilities',
  'computehost_allocations', 'floatingips', 'notifications', 'instance_allocations',
  'volume_pools', 'volume_allocations', 'floatingip_allocations', 'usage_ledger', 'enforcement_calls', 'project_quotas'];
const ALL = ['001-initial-schema', '002-instance-allocations', '003-floatingip-allocations', '004-volume-pools', '005-allocation-end-index',
  '006-usage-ledger', '007-enforcement-calls', '008-quotas', '009-allocation-versions', '010-event-retry-index'];

describe.each(ENGINES)('migrations on %s', (dialect) => {
  let t: Db;
  beforeEach(async () => { t = await openDb(dialect, { migrate: false }); });
  afterEach(async () => { await t.close(); });

  it('an empty database has no version and every migration pending', async () => {
    expect(await currentVersion(t.db)).toBeNull();
    expect(await pendingMigrations(t.db)).toEqual(ALL);
  });

  it('applies every migration once; a second migrateUp is a no-op', async () => {
    expect(await migrateUp(t.db)).toEqual(ALL);
    expect(await currentVersion(t.db)).toBe(ALL[ALL.length - 1]);
    expect(await pendingMigrations(t.db)).toEqual([]);
    for (const table of TABLES) {
      const [row] = await t.db.select<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`);
      expect(Number(row.n)).toBe(0);
    }

    expect(await migrateUp(t.db)).toEqual([]);
    expect(await currentVersion(t.db)).toBe(ALL[ALL.length - 1]);
    const [row] = await t.db.select<{ n: number }>('SELECT COUNT(*) AS n FROM climate_migrations');
    expect(Number(row.n)).toBe(ALL.length);
  });

  it('another process finds the schema current and applies nothing', async () => {
    await migrateUp(t.db);
    const other = new Database({ connection: t.url });
    try {
      await other.open();
      expect(await currentVersion(other)).toBe(ALL[ALL.length - 1]);
      expect(await migrateUp(other)).toEqual([]);
    } finally {
      await other.close();
    }
  });
});

describe.each(ENGINES)('allocation indexes on %s', (dialect) => {
  let t: Db;
  beforeAll(async () => { t = await openDb(dialect, { migrate: true }); });
  afterAll(async () => { await t.close(); });

  const columnsOf = async (table: string) => {
    const indexes = await t.db.sequelize.getQueryInterface().showIndex(table) as { name: string; fields: { attribute: string }[] }[];
    return Object.fromEntries(indexes.map((i) => [i.name, i.fields.map((f) => f.attribute)]));
  };

  it.each([
    ['computehost_allocations', 'host_id', 'allocations'],
    ['instance_allocations', 'host_id', 'instance_allocations'],
    ['floatingip_allocations', 'floatingip_id', 'floatingip_allocations'],
    ['volume_allocations', 'pool_id', 'volume_allocations'],
  ])('%s: the overlap index starts at the end date, so ended allocations are not read', async (table, column, prefix) => {
    const indexes = await columnsOf(table);
    expect(indexes[`${prefix}_until`]).toEqual([column, 'end_date', 'start_date']);
    expect(indexes[`${prefix}_overlap`]).toBeUndefined();
  });
});

describe.each(ENGINES)('usage ledger migration on %s', (dialect) => {
  let t: Db;
  beforeAll(async () => { t = await openDb(dialect, { migrate: true }); });
  afterAll(async () => { await t.close(); });

  it('indexes the allocations by end date, with the columns capacity over time reads', async () => {
    for (const [table, name] of [['computehost_allocations', 'allocations_window'], ['instance_allocations', 'instance_allocations_window']]) {
      const indexes = await t.db.sequelize.getQueryInterface().showIndex(table) as { name: string; fields: { attribute: string }[] }[];
      expect(indexes.find((i) => i.name === name)?.fields.map((f) => f.attribute)).toEqual(['end_date', 'start_date', 'host_id']);
    }
  });

  it('records what the leases of an upgraded database hold, from their allocations', async () => {
    const hosts = [await addHost(t, 'm1'), await addHost(t, 'm2')];
    const { lease, reservation } = await addLease(t, { projectId: 'upgraded' });
    await t.db.transaction((tx) => t.repos.hostAllocations.insert(tx, reservation.id, lease.id, hosts,
      { start: at('2030-01-01T10:00:00.000Z'), end: at('2030-01-01T12:00:00.000Z') }));
    // As before the migration: allocations, no ledger.
    const qi = t.db.sequelize.getQueryInterface();
    await usageLedger.down({ context: qi });
    await usageLedger.up({ context: qi });
    expect(await t.repos.usage.summarize({ start: at('2030-01-01T00:00:00.000Z'), end: at('2030-01-02T00:00:00.000Z') })).toEqual([
      { projectId: 'upgraded', resourceType: 'physical:host', hostHours: 4, instanceSlotHours: 0, leases: 1 },
    ]);
  });
});
