import * as fs from 'node:fs';
import * as path from 'node:path';

/** What one entry point is, for its usage text. */
export interface CommandSpec {
  /** The program as operators type it, e.g. `climate-api`. */
  name: string;
  /** One sentence: what the program does. */
  description: string;
  /**
   * The words the program takes after its options, e.g. `db sync | db version`, and one line per subcommand for
   * the help. Absent: the program takes no arguments besides the generic options. When present, everything from
   * the first word on (the words and the options that are not generic ones) is handed to the program untouched.
   */
  subcommands?: { synopsis: string; help: string[] };
}

/** The command line of an entry point, once the generic options are taken out. */
export interface CommandLine {
  /** `--config-file`/`--config-dir` options, in command-line order, as src/config's loader reads them. */
  configArgs: string[];
  /** The subcommand's words and options (only for programs with subcommands; empty otherwise). */
  rest: string[];
}

/** What the command line asks for: run, or print something and exit with a code. */
export type ParseOutcome =
  | { kind: 'run'; line: CommandLine }
  | { kind: 'exit'; code: 0 | 2; stream: 'stdout' | 'stderr'; text: string };

/** Options with a value, taken by every entry point (oslo.config's names). */
const VALUE_OPTIONS = ['--config-file', '--config-dir'] as const;

/** The usage text `--help` prints (and errors print on stderr). */
export function usage(spec: CommandSpec): string {
  const words = spec.subcommands ? ` ${spec.subcommands.synopsis}` : '';
  const lines = [
    `usage: ${spec.name} [-h] [--version] [--config-file PATH] [--config-dir DIR]${words}`,
    '',
    ...wrap(spec.description, 100),
    '',
    'options:',
    '  -h, --help          show this help and exit',
    '  --version           show the version and exit',
    '  --config-file PATH  configuration file to read; repeatable, later files override earlier ones',
    `                      (default: $CLIMATE_CONFIG_FILE, else the built-in defaults)`,
    '  --config-dir DIR    read every *.conf file of DIR, in name order, after the --config-file files;',
    '                      repeatable',
  ];
  if (spec.subcommands) lines.push('', 'commands:', ...spec.subcommands.help.map((h) => `  ${h}`));
  return `${lines.join('\n')}\n`;
}

/** Words in lines of at most `width` characters. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const word of text.split(/\s+/)) {
    if (lines.length && lines[lines.length - 1].length + 1 + word.length <= width) lines[lines.length - 1] += ` ${word}`;
    else lines.push(word);
  }
  return lines;
}

/** Climate's version: the `version` of its package.json, found above this file (in src/ or in dist/src/). */
export function climateVersion(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'climate' && pkg.version) return pkg.version;
    }
    if (path.dirname(dir) === dir) return 'unknown';
  }
}

/**
 * Reads an entry point's command line: `-h`/`--help`, `--version`, `--config-file PATH` and `--config-dir DIR`
 * (also as `--option=value`), anywhere. Anything else is refused (exit 2, argparse's convention), except what
 * follows the first word of a program with subcommands, which is the subcommand's to read.
 */
export function parseCommandLine(argv: readonly string[], spec: CommandSpec): ParseOutcome {
  const configArgs: string[] = [];
  const rest: string[] = [];
  let help = false;
  let version = false;
  let problem: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const option = VALUE_OPTIONS.find((name) => arg === name || arg.startsWith(`${name}=`));
    if (option) {
      const value = arg === option ? argv[++i] : arg.slice(option.length + 1);
      if (value === undefined || value === '' || (arg === option && value.startsWith('-'))) {
        problem ??= `${option} needs a ${option === '--config-dir' ? 'directory' : 'path'}`;
        if (value?.startsWith('-')) i--; // the next option is read as an option
      } else {
        configArgs.push(option, value);
      }
    } else if (arg === '-h' || arg === '--help') {
      help = true;
    } else if (arg === '--version') {
      version = true;
    } else if (spec.subcommands && (rest.length > 0 || !arg.startsWith('-'))) {
      rest.push(arg);
    } else if (arg.startsWith('-')) {
      problem ??= `unrecognized argument: ${arg}`;
    } else {
      problem ??= `unexpected argument: ${arg} (${spec.name} takes no arguments besides its options)`;
    }
  }
  // Help wins over everything else, as with argparse: `climate --bogus --help` still helps.
  if (help) return { kind: 'exit', code: 0, stream: 'stdout', text: usage(spec) };
  if (problem) return { kind: 'exit', code: 2, stream: 'stderr', text: `${usage(spec)}${spec.name}: error: ${problem}\n` };
  if (version) return { kind: 'exit', code: 0, stream: 'stdout', text: `${spec.name} ${climateVersion()}\n` };
  return { kind: 'run', line: { configArgs, rest } };
}

/** parseCommandLine for a process: prints the help, the version or the error and exits, or returns the command line. */
export function commandLineOrExit(argv: readonly string[], spec: CommandSpec): CommandLine {
  const outcome = parseCommandLine(argv, spec);
  if (outcome.kind === 'run') return outcome.line;
  (outcome.stream === 'stdout' ? process.stdout : process.stderr).write(outcome.text);
  process.exit(outcome.code);
}
