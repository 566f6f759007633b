/** `climate-manage`'s subcommands, one module each; climate-manage.ts dispatches to them. */
import type { ManageCommand } from './command';
import { dbSync, dbUpgrade, dbVersion } from './db';
import { eventList } from './events';
import { leaseRepair } from './lease-repair';
import { policySample } from './policy';
import { purge } from './purge';
import { upgradeCheck } from './upgrade-check';

export { CommandError, UsageError, withoutConfigOptions, type ManageCommand } from './command';

export const COMMANDS: readonly ManageCommand[] = [
  dbSync, dbUpgrade, dbVersion, upgradeCheck, eventList, leaseRepair, purge, policySample,
];

/** The command named by the first words of `args`, if any. */
export function findCommand(args: readonly string[]): ManageCommand | undefined {
  return COMMANDS.find((c) => c.words.every((word, i) => args[i] === word));
}

/** Every command with its options and what it does. */
export function commandsHelp(): string {
  const lines = COMMANDS.map((c) => [`${c.words.join(' ')}${c.options ? ` ${c.options}` : ''}`, c.summary]);
  return lines.map(([usage, summary]) => `  ${usage}\n      ${summary}`).join('\n');
}
