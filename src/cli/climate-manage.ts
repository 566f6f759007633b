#!/usr/bin/env node
import * as fs from 'node:fs';
import { renderPolicySample } from '../auth';
import { Database, currentVersion, migrateUp, pendingMigrations } from '../db';
import { commandLineOrExit } from './args';
import { configOrExit } from './run';

const USAGE = 'usage: climate-manage [--config-file PATH] db sync | db version | policy sample [--output-file PATH]';

/** `policy sample [--output-file PATH]`: the default policy rules with their descriptions (no configuration needed). */
function policyCommand(args: string[]): number {
  const out = args.indexOf('--output-file');
  const file = out >= 0 ? args[out + 1] : undefined;
  const rest = out >= 0 ? args.filter((_a, i) => i !== out && i !== out + 1) : args;
  if (rest.join(' ') !== 'sample' || (out >= 0 && !file)) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  if (file) fs.writeFileSync(file, renderPolicySample());
  else process.stdout.write(renderPolicySample());
  return 0;
}

/** Operator commands: database migrations, policy sample. */
async function main(argv: string[]): Promise<number> {
  // The generic options (--help, --version, --config-file, --config-dir) are read by the shared parser; the rest is the command's.
  const commandLine = commandLineOrExit(argv, {
    name: 'climate-manage', description: 'Climate operator commands.',
    subcommands: { synopsis: 'COMMAND ...', help: USAGE.replace(/^usage: climate-manage \[--config-file PATH\] /, '').split(' | ') },
  });
  const withoutConfig = commandLine.rest;
  if (withoutConfig[0] === 'policy') return policyCommand(withoutConfig.slice(1));
  const words = withoutConfig; // an option db sync/db version do not take makes an unknown command (usage, exit 2)
  const config = configOrExit(commandLine.configArgs);
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
