import { Database, currentVersion, migrateUp, pendingMigrations } from '../../../src/db';
import { DIALECTS } from '../../support/database';
import { openDb, type Db } from './helpers';

const TABLES = ['leases', 'reservations', 'events', 'hosts', 'resource_properties', 'host_extra_capabilities',
  'computehost_allocations', 'floatingips', 'notifications'];

describe.each(DIALECTS)('migrations on %s', (dialect) => {
  let t: Db;
  beforeEach(async () => { t = await openDb(dialect, { migrate: false }); });
  afterEach(async () => { await t.close(); });

  it('an empty database has no version and every migration pending', async () => {
    expect(await currentVersion(t.db)).toBeNull();
    expect(await pendingMigrations(t.db)).toEqual(['001-initial-schema']);
  });

  it('applies every migration once; a second migrateUp is a no-op', async () => {
    expect(await migrateUp(t.db)).toEqual(['001-initial-schema']);
    expect(await currentVersion(t.db)).toBe('001-initial-schema');
    expect(await pendingMigrations(t.db)).toEqual([]);
    for (const table of TABLES) {
      const [row] = await t.db.select<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`);
      expect(Number(row.n)).toBe(0);
    }

    expect(await migrateUp(t.db)).toEqual([]);
    expect(await currentVersion(t.db)).toBe('001-initial-schema');
    const [row] = await t.db.select<{ n: number }>('SELECT COUNT(*) AS n FROM climate_migrations');
    expect(Number(row.n)).toBe(1);
  });

  it('another process finds the schema current and applies nothing', async () => {
    await migrateUp(t.db);
    const other = new Database({ connection: t.url });
    try {
      await other.open();
      expect(await currentVersion(other)).toBe('001-initial-schema');
      expect(await migrateUp(other)).toEqual([]);
    } finally {
      await other.close();
    }
  });
});
