#!/usr/bin/env node
import { Database, currentVersion, migrateUp, pendingMigrations } from '../db';
import { configOrExit } from './run';

const USAGE = 'usage: climate-manage [--config-file PATH] db sync | db version';

/** Operator commands: database migrations. */
async function main(argv: string[]): Promise<number> {
  const words = argv.filter((a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--config-file'));
  const config = configOrExit(argv.filter((a) => !words.includes(a)));
  const db = new Database({ connection: config.database.connection });
  try {
    await db.open();
    const command = words.join(' ');
    if (command === 'db sync') {
      const applied = await migrateUp(db);
      process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
    } else if (command === 'db version') {
      const version = await currentVersion(db);
      const pending = await pendingMigrations(db);
      process.stdout.write(`${version ?? 'empty (no migrations applied)'}${pending.length ? ` (pending: ${pending.join(', ')})` : ''}\n`);
    } else {
      process.stderr.write(`${USAGE}\n`);
      return 2;
    }
    return 0;
  } catch (error) {
    process.stderr.write(`climate-manage: ${(error as Error).message}\n`);
    return 1;
  } finally {
    await db.close();
  }
}

void main(process.argv.slice(2)).then((code) => process.exit(code));
