import { Database, pendingMigrations } from '../../db';
import type { ClimateConfig } from '../../config';

/** One `climate-manage` subcommand. */
export interface ManageCommand {
  /** The words that name it, e.g. `['db', 'sync']`. */
  readonly words: readonly string[];
  /** Its options, for the usage text, e.g. `[--dry-run] --before DATE`. */
  readonly options?: string;
  /** One line saying what it does. */
  readonly summary: string;
  /**
   * Runs it and returns the exit code.
   * @param args what follows the command's words on the command line (its own options)
   * @param configArgv the whole command line, from which the configuration is loaded
   */
  run(args: string[], configArgv: string[]): Promise<number>;
}

/** A command line a command cannot use: the message and the usage are printed, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A command that cannot go on, with a message for the operator: exit code 1. */
export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandError';
  }
}

export interface ParsedOptions {
  values: Map<string, string>;
  flags: Set<string>;
  positionals: string[];
}

/**
 * A command's own options: `--name VALUE` or `--name=VALUE` for those in `valued`, bare `--name` for those in
 * `flags`, anything else not starting with `--` as a positional. Configuration options (`--config-file`) are
 * the dispatcher's and are skipped here.
 * @throws UsageError for an unknown option, a missing value, an option given twice, or more than
 *   `spec.positionals` (default none) positional arguments
 */
export function parseOptions(args: readonly string[],
  spec: { valued?: readonly string[]; flags?: readonly string[]; positionals?: number }): ParsedOptions {
  const parsed: ParsedOptions = { values: new Map(), flags: new Set(), positionals: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith('--')) { parsed.positionals.push(arg); continue; }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (CONFIG_OPTIONS.includes(name)) { if (eq < 0) i++; continue; }
    if (spec.flags?.includes(name) && eq < 0) { parsed.flags.add(name); continue; }
    if (!spec.valued?.includes(name)) throw new UsageError(`unknown option ${name}`);
    const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined || value === '' || (eq < 0 && value.startsWith('--'))) throw new UsageError(`${name} needs a value`);
    if (parsed.values.has(name)) throw new UsageError(`${name} given twice`);
    parsed.values.set(name, value);
  }
  const extra = parsed.positionals[spec.positionals ?? 0];
  if (extra !== undefined) throw new UsageError(`unexpected argument ${extra}`);
  return parsed;
}

/** Options that name configuration and are read by the configuration loader, whatever the command. */
export const CONFIG_OPTIONS: readonly string[] = ['--config-file', '--config-dir'];

/** The command line without the configuration options and their values. */
export function withoutConfigOptions(argv: readonly string[]): string[] {
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (CONFIG_OPTIONS.includes(argv[i])) { i++; continue; }
    if (CONFIG_OPTIONS.some((o) => argv[i].startsWith(`${o}=`))) continue;
    rest.push(argv[i]);
  }
  return rest;
}

/** Opens `[database] connection`, runs `fn`, and closes the connection whatever happens. */
export async function withDatabase<T>(config: ClimateConfig, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = new Database({ connection: config.database.connection });
  try {
    await db.open();
    return await fn(db);
  } finally {
    await db.close();
  }
}

/**
 * As withDatabase, for commands that read Climate's tables: a schema that is not up to date is refused with
 * what to do, rather than failing on a missing table or column.
 */
export async function withSchema<T>(config: ClimateConfig, fn: (db: Database) => Promise<T>): Promise<T> {
  return withDatabase(config, async (db) => {
    const pending = await pendingMigrations(db);
    if (pending.length) {
      throw new CommandError(`the database schema is not up to date (pending: ${pending.join(', ')}); `
        + 'run `climate-manage db upgrade` first');
    }
    return fn(db);
  });
}
