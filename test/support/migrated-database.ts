/**
 * Fresh databases that already have the whole schema, for the suites that start a service per test: migrating
 * costs 0.6-2 s per database (ten migrations of DDL statements, each synced to disk), copying a migrated one
 * a few milliseconds. The schema is the migrations' own: the first database of a given migration source is
 * migrated for real and kept as the template (a SQLite file in the temporary directory, a PostgreSQL template
 * database), later ones are copies of it. A change to the migration code changes the template's name, so a
 * template never outlives the code that made it.
 *
 * MariaDB has no database copy: a template database's tables are re-created from their own definitions
 * (SHOW CREATE TABLE: columns, indexes, foreign keys, character set and collation) and their rows copied,
 * about 20 statements where the migrations run about 70, each of them DDL that MariaDB syncs to disk.
 *
 * The migrations themselves are proven on every engine by their own suites (test/integration/migrations-*.test.ts,
 * test/unit/db), which start from empty databases made by createTestDatabase.
 */
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Database, MIGRATION_NAMES, migrateUp } from '../../src/db';
import { MYSQL_BASE, mariadbTestDatabase, mysqlAdmin, POSTGRES_BASE, postgresAdmin, type TestDatabase, type TestDialect } from './database';

const DB_SOURCE = path.resolve(__dirname, '../../src/db');

/**
 * A digest of the code that decides the schema: the migrations, the migrator, the connection set-up, and the
 * version of Sequelize that turns the migrations' steps into SQL.
 */
function schemaDigest(): string {
  const files = [
    require.resolve('sequelize/package.json'),
    path.join(DB_SOURCE, 'migrate.ts'),
    path.join(DB_SOURCE, 'database.ts'),
    ...readdirSync(path.join(DB_SOURCE, 'migrations')).sort().map((name) => path.join(DB_SOURCE, 'migrations', name)),
  ];
  const hash = createHash('sha256');
  for (const file of files) hash.update(path.basename(file)).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex').slice(0, 16);
}

async function migrate(url: string): Promise<void> {
  const db = new Database({ connection: url });
  try {
    await db.open();
    await migrateUp(db);
  } finally {
    await db.close();
  }
}

let sqliteTemplate: Promise<string> | undefined;

/** The migrated SQLite file copies are made from; built once by whichever test process needs it first. */
function sqliteTemplateFile(): Promise<string> {
  sqliteTemplate ??= (async () => {
    const dir = path.join(tmpdir(), 'climate-test-templates');
    const file = path.join(dir, `schema-${schemaDigest()}.sqlite`);
    if (existsSync(file)) return file;
    mkdirSync(dir, { recursive: true });
    const work = mkdtempSync(path.join(dir, 'building-'));
    try {
      const built = path.join(work, 'climate.sqlite');
      await migrate(`sqlite:///${built}`);
      // Closing the last connection checkpoints the write-ahead log into the file: the file is the whole database.
      if (existsSync(`${built}-wal`)) throw new Error(`SQLite left ${built}-wal after closing: the template would be incomplete`);
      renameSync(built, file); // atomic: another process building the same template at once replaces it with its equal
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    return file;
  })();
  return sqliteTemplate;
}

let postgresTemplate: Promise<string> | undefined;

/** PostgreSQL refuses to rename or copy a database while a session is still leaving it: retried briefly. */
async function whileInUse(sql: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await postgresAdmin(sql);
    } catch (error) {
      if ((error as { code?: string }).code !== '55006' || attempt >= 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** The name of the migrated PostgreSQL template database; built once by whichever test process needs it first. */
function postgresTemplateName(): Promise<string> {
  postgresTemplate ??= (async () => {
    const name = `climate_template_${schemaDigest()}`;
    const admin = new Database({ connection: `${POSTGRES_BASE}/postgres` });
    let exists: boolean;
    try {
      await admin.open();
      exists = (await admin.select('SELECT 1 FROM pg_database WHERE datname = ?', [name])).length > 0;
    } finally {
      await admin.close();
    }
    if (exists) return name;
    const building = `${name}_${randomBytes(4).toString('hex')}`;
    await postgresAdmin(`CREATE DATABASE ${building}`);
    try {
      await migrate(`${POSTGRES_BASE}/${building}`);
      await whileInUse(`ALTER DATABASE ${building} RENAME TO ${name}`);
    } catch (error) {
      await postgresAdmin(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`);
      // Another process built it at the same time: theirs is as good.
      if ((error as { code?: string }).code !== '42P04') throw error;
    }
    return name;
  })();
  return postgresTemplate;
}

let mariadbTemplate: Promise<string> | undefined;

/**
 * The statements that make a copy of the MariaDB template database, in the database in use: its tables
 * (foreign keys checked only once all exist) and their rows. The template is built once, under a server lock
 * so that test processes starting together do not build it twice.
 */
function mariadbCopyStatements(): Promise<string> {
  mariadbTemplate ??= (async () => {
    const template = `climate_template_${schemaDigest()}`;
    const admin = await mysqlAdmin();
    try {
      await admin.query('SELECT GET_LOCK(?, 300)', [template]);
      const [applied] = await admin.query(
        'SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = ? AND table_name = ?', [template, 'climate_migrations']);
      const complete = Number((applied as { n: number }[])[0].n) === 1
        && Number(((await admin.query(`SELECT COUNT(*) AS n FROM ${template}.climate_migrations`))[0] as { n: number }[])[0].n) === MIGRATION_NAMES.length;
      if (!complete) {
        // A build interrupted half-way leaves an incomplete one: made again from nothing.
        await admin.query(`DROP DATABASE IF EXISTS ${template}`);
        await admin.query(`CREATE DATABASE ${template}`);
        await migrate(`${MYSQL_BASE}/${template}`);
      }
      const [tables] = await admin.query('SELECT table_name AS t FROM information_schema.tables WHERE table_schema = ? ORDER BY table_name', [template]);
      const statements = ['SET SESSION foreign_key_checks = 0'];
      for (const { t } of tables as { t: string }[]) {
        const [[created]] = await admin.query(`SHOW CREATE TABLE ${template}.\`${t}\``) as unknown as [Record<string, string>[]];
        statements.push(created['Create Table'], `INSERT INTO \`${t}\` SELECT * FROM ${template}.\`${t}\``);
      }
      statements.push('SET SESSION foreign_key_checks = 1');
      return statements.join(';\n');
    } finally {
      await admin.query('SELECT RELEASE_LOCK(?)', [template]).catch(() => undefined);
      await admin.end();
    }
  })();
  return mariadbTemplate;
}

/** A fresh database with every migration applied (see the file comment); dropped by its `drop()`. */
export async function createMigratedTestDatabase(dialect: TestDialect): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const template = await sqliteTemplateFile();
    const dir = mkdtempSync(path.join(tmpdir(), 'climate-test-'));
    const file = path.join(dir, 'climate.sqlite');
    copyFileSync(template, file);
    return { url: `sqlite:///${file}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  if (dialect === 'postgres') {
    const template = await postgresTemplateName();
    const name = `climate_test_${randomBytes(6).toString('hex')}`;
    await whileInUse(`CREATE DATABASE ${name} TEMPLATE ${template}`);
    return { url: `${POSTGRES_BASE}/${name}`, drop: () => postgresAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
  }
  const copy = await mariadbCopyStatements();
  const name = `climate_test_${randomBytes(6).toString('hex')}`;
  const admin = await mysqlAdmin({ multipleStatements: true });
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.query(`USE ${name};\n${copy}`);
  } finally {
    await admin.end();
  }
  return mariadbTestDatabase(name);
}
