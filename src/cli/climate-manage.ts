#!/usr/bin/env node
import { commandsHelp, findCommand, UsageError, withoutConfigOptions } from './manage';

const USAGE = `usage: climate-manage [--config-file PATH] COMMAND [OPTIONS]\n\ncommands:\n${commandsHelp()}`;

/** Operator commands: database migrations and checks, events, lease repair, purge, policy sample. */
async function main(argv: string[]): Promise<number> {
  const args = withoutConfigOptions(argv);
  const command = findCommand(args);
  if (!command) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  try {
    return await command.run(args.slice(command.words.length), argv);
  } catch (error) {
    if (error instanceof UsageError) {
      const usage = `usage: climate-manage [--config-file PATH] ${command.words.join(' ')}${command.options ? ` ${command.options}` : ''}`;
      process.stderr.write(`climate-manage ${command.words.join(' ')}: ${error.message}\n${usage}\n`);
      return 2;
    }
    // A refusal (CommandError, InvalidState) or what the database or a file said: the message, exit code 1.
    const text = error instanceof Error ? error.message : String(error);
    process.stderr.write(`climate-manage ${command.words.join(' ')}: ${text}\n`);
    return 1;
  }
}

void main(process.argv.slice(2)).then((code) => process.exit(code));
