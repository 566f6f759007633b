import { currentVersion, migrateUp, pendingMigrations } from '../../db';
import { configOrExit } from '../run';
import { parseOptions, withDatabase, type ManageCommand } from './command';

/** `db sync` and Blazar's name for it, `db upgrade`: applies every pending migration. */
function migrateCommand(word: 'sync' | 'upgrade'): ManageCommand {
  return {
    words: ['db', word],
    summary: word === 'sync' ? 'apply every pending database migration' : 'the same as db sync (Blazar\'s name for it)',
    async run(args, configArgv) {
      parseOptions(args, {});
      const config = configOrExit(configArgv);
      const applied = await withDatabase(config, (db) => migrateUp(db));
      process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
      return 0;
    },
  };
}

export const dbSync = migrateCommand('sync');
export const dbUpgrade = migrateCommand('upgrade');

/** `db version`: the newest applied migration, and those pending. */
export const dbVersion: ManageCommand = {
  words: ['db', 'version'],
  summary: 'show the schema version (the newest migration applied) and any pending migrations',
  async run(args, configArgv) {
    parseOptions(args, {});
    const config = configOrExit(configArgv);
    const [version, pending] = await withDatabase(config, async (db) => [await currentVersion(db), await pendingMigrations(db)] as const);
    process.stdout.write(`${version ?? 'empty (no migrations applied)'}${pending.length ? ` (pending: ${pending.join(', ')})` : ''}\n`);
    return 0;
  },
};
