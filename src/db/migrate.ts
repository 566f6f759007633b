import { DataTypes } from 'sequelize';
import { SequelizeStorage, Umzug } from 'umzug';
import type { Database } from './database';
import * as initial from './migrations/001-initial-schema';
import * as instanceAllocations from './migrations/002-instance-allocations';
import * as floatingipAllocations from './migrations/003-floatingip-allocations';
import * as volumePools from './migrations/004-volume-pools';
import * as allocationEndIndex from './migrations/005-allocation-end-index';
import { TABLE_OPTIONS } from './migrations/steps';
import * as usageLedger from './migrations/006-usage-ledger';
import * as enforcementCalls from './migrations/007-enforcement-calls';
import * as quotas from './migrations/008-quotas';
import * as allocationVersions from './migrations/009-allocation-versions';
import * as eventRetryIndex from './migrations/010-event-retry-index';

/** Migrations in order. Each is a module with `up` and `down`; names never change once released. */
const MIGRATIONS = [
  { name: '001-initial-schema', module: initial },
  { name: '002-instance-allocations', module: instanceAllocations },
  { name: '003-floatingip-allocations', module: floatingipAllocations },
  { name: '004-volume-pools', module: volumePools },
  { name: '005-allocation-end-index', module: allocationEndIndex },
  { name: '006-usage-ledger', module: usageLedger },
  { name: '007-enforcement-calls', module: enforcementCalls },
  { name: '008-quotas', module: quotas },
  { name: '009-allocation-versions', module: allocationVersions },
  { name: '010-event-retry-index', module: eventRetryIndex },
];

/** The names of every migration, oldest first: the newest is the schema version this code expects. */
export const MIGRATION_NAMES: readonly string[] = MIGRATIONS.map((m) => m.name);

/**
 * The table recording applied migrations, in the character set and collation of the others (umzug's own
 * default is utf8/utf8_unicode_ci). A database made before keeps the table it has: nothing references it.
 */
function migrationsTable(db: Database) {
  const name = 'ClimateMigration';
  if (db.sequelize.isDefined(name)) return db.sequelize.model(name);
  return db.sequelize.define(name, { name: { type: DataTypes.STRING, allowNull: false, unique: true, primaryKey: true } },
    { tableName: 'climate_migrations', timestamps: false, charset: TABLE_OPTIONS.charset, collate: TABLE_OPTIONS.collate });
}

function migrator(db: Database) {
  return new Umzug({
    migrations: MIGRATIONS.map(({ name, module }) => ({ name, up: module.up, down: module.down })),
    context: db.sequelize.getQueryInterface(),
    storage: new SequelizeStorage({ model: migrationsTable(db) }),
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

/**
 * Names of the migrations this code has that the database has not applied, read without writing anything
 * (unlike pendingMigrations, which creates the migrations table when it is missing): for health checks.
 * @throws DatabaseUnavailable when the database does not answer or has no migrations table
 */
export async function unappliedMigrations(db: Database): Promise<string[]> {
  const rows = await db.select<{ name: string }>('SELECT name FROM climate_migrations');
  const applied = new Set(rows.map((r) => String(r.name)));
  return MIGRATIONS.map((m) => m.name).filter((name) => !applied.has(name));
}
