#!/usr/bin/env node
import { commandLineOrExit, usage, type CommandSpec } from './args';
import { commandsHelp, findCommand, UsageError } from './manage';

const SPEC: CommandSpec = {
  name: 'climate-manage',
  description: 'Climate operator commands: database migrations and checks, events, lease repair, purge, policy sample.',
  subcommands: { synopsis: 'COMMAND [OPTIONS]', help: commandsHelp().split('\n').map((line) => line.slice(2)) },
};

/** Operator commands: the generic options are read by the shared parser, the rest by the command's module. */
async function main(argv: string[]): Promise<number> {
  const line = commandLineOrExit(argv, SPEC);
  const command = findCommand(line.rest);
  if (!command) {
    const problem = line.rest.length ? `unknown command: ${line.rest.join(' ')}` : 'a command is needed';
    process.stderr.write(`${usage(SPEC)}${SPEC.name}: error: ${problem}\n`);
    return 2;
  }
  try {
    return await command.run(line.rest.slice(command.words.length), line.configArgs);
  } catch (error) {
    if (error instanceof UsageError) {
      const synopsis = `usage: climate-manage [--config-file PATH] ${command.words.join(' ')}${command.options ? ` ${command.options}` : ''}`;
      process.stderr.write(`climate-manage ${command.words.join(' ')}: ${error.message}\n${synopsis}\n`);
      return 2;
    }
    // A refusal (CommandError, InvalidState) or what the database or a file said: the message, exit code 1.
    const text = error instanceof Error ? error.message : String(error);
    process.stderr.write(`climate-manage ${command.words.join(' ')}: ${text}\n`);
    return 1;
  }
}

void main(process.argv.slice(2)).then((code) => process.exit(code));
