import { SequelizeStorage, Umzug } from 'umzug';
import type { Database } from './database';
import * as initial from './migrations/001-initial-schema';
import * as instanceAllocations from './migrations/002-instance-allocations';
import * as floatingipAllocations from './migrations/003-floatingip-allocations';
import * as volumePools from './migrations/004-volume-pools';
import * as allocationEndIndex from './migrations/005-allocation-end-index';
import * as enforcementCalls from './migrations/201-enforcement-calls';

/** Migrations in order. Each is a module with `up` and `down`; names never change once released. */
const MIGRATIONS = [
  { name: '001-initial-schema', module: initial },
  { name: '002-instance-allocations', module: instanceAllocations },
  { name: '003-floatingip-allocations', module: floatingipAllocations },
  { name: '004-volume-pools', module: volumePools },
  { name: '005-allocation-end-index', module: allocationEndIndex },
  { name: '201-enforcement-calls', module: enforcementCalls },
];

function migrator(db: Database) {
  return new Umzug({
    migrations: MIGRATIONS.map(({ name, module }) => ({ name, up: module.up, down: module.down })),
    context: db.sequelize.getQueryInterface(),
    storage: new SequelizeStorage({ sequelize: db.sequelize, tableName: 'climate_migrations' }),
    logger: undefined,
  });
}

/** Applies every pending migration; returns the names applied. */
export async function migrateUp(db: Database): Promise<string[]> {
  const applied = await migrator(db).up();
  return applied.map((m) => m.name);
}

/** The newest applied migration, or null for an empty database. */
export async function currentVersion(db: Database): Promise<string | null> {
  const executed = await migrator(db).executed();
  return executed.length ? executed[executed.length - 1].name : null;
}

/** Names of migrations not yet applied. */
export async function pendingMigrations(db: Database): Promise<string[]> {
  return (await migrator(db).pending()).map((m) => m.name);
}
