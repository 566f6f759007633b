import * as fs from 'node:fs';
import * as path from 'node:path';
import { closestName } from '../common/suggest';
import { deepFreeze, toClimateConfig } from './build';
import { convertValue } from './convert';
import { ConfigError } from './errors';
import { parseIni, type IniFile } from './ini';
import { defaultValues, findOption, isKnownSection, SCHEMA, type OptionValues } from './schema';
import type { ClimateConfig } from './types';

/** Environment variable naming the configuration file when the command line names none. */
export const CONFIG_FILE_ENV = 'CLIMATE_CONFIG_FILE';

/** Where loadConfig looks for configuration files. */
export interface LoadConfigOptions {
  /** Command-line arguments (without node and the script); `process.argv.slice(2)` when absent. Only `--config-file` and `--config-dir` are read. */
  argv?: string[];
  /** Environment; `process.env` when absent. Only CLIMATE_CONFIG_FILE is read. */
  env?: NodeJS.ProcessEnv;
  /** Files to read, in order; when given, argv and env are not consulted. */
  files?: string[];
}

/**
 * Reads the configuration: defaults, overridden by each file in turn (later files win, option by option).
 * The files are `opts.files` if given, else every `--config-file PATH` / `--config-file=PATH` in argv (else
 * $CLIMATE_CONFIG_FILE) followed by the `*.conf` files of every `--config-dir DIR`, else none (all defaults).
 *
 * @returns the deeply frozen configuration
 * @throws ConfigError when a named file is missing or unreadable, a line is not valid INI, an option in one of
 *   Climate's sections is unknown, a section's name is a near miss of one of Climate's (`[databse]`), or a value
 *   does not fit its declaration. Other sections (other tools') are ignored.
 */
export function loadConfig(opts: LoadConfigOptions = {}): ClimateConfig {
  const files = opts.files ?? configFiles(opts.argv ?? process.argv.slice(2), opts.env ?? process.env);
  const values = defaultValues();
  for (const file of files) applyFile(values, parseIni(readConfigFile(file), file));
  checkConsistency(values);
  return deepFreeze(toClimateConfig(values));
}

/** Rules that involve more than one option, checked once every file has been applied. */
function checkConsistency(values: OptionValues): void {
  const { api_default_page_limit: pageDefault, api_max_page_limit: pageMax } = values.DEFAULT;
  if (pageDefault > pageMax) {
    throw new ConfigError(
      `[DEFAULT] api_default_page_limit: ${pageDefault} is greater than api_max_page_limit (${pageMax})`,
      { section: 'DEFAULT', option: 'api_default_page_limit' },
    );
  }
}

/**
 * The configuration files named by the command line (`--config-file`), else by $CLIMATE_CONFIG_FILE, else none;
 * then, as oslo.config reads them, the files of each `--config-dir` (see configDirFiles).
 * @throws ConfigError for a `--config-file` or `--config-dir` without a path, or a directory that cannot be listed
 */
export function configFiles(argv: readonly string[], env: NodeJS.ProcessEnv): string[] {
  const files: string[] = [];
  const dirs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const option = ['--config-file', '--config-dir'].find((name) => arg === name || arg.startsWith(`${name}=`));
    if (!option) continue;
    const value = arg === option ? argv[++i] : arg.slice(option.length + 1);
    if (value === undefined || value === '') throw new ConfigError(`${option} needs a path`);
    (option === '--config-file' ? files : dirs).push(value);
  }
  const fromEnv = env[CONFIG_FILE_ENV];
  // An empty variable is treated as unset: that is how shells and compose files "unset" things.
  const named = files.length > 0 ? files : fromEnv ? [fromEnv] : [];
  return [...named, ...dirs.flatMap(configDirFiles)];
}

/**
 * oslo.config's `--config-dir DIR`: the `*.conf` files of the directory (not its subdirectories, not hidden
 * files), sorted by name, so that `10-base.conf` is read before (and overridden by) `20-site.conf`.
 * @throws ConfigError when the directory does not exist or cannot be listed
 */
export function configDirFiles(dir: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ConfigError(`config directory not found: ${dir}`, { cause: err });
    throw new ConfigError(`cannot read config directory ${dir}: ${(err as Error).message}`, { cause: err });
  }
  return entries
    .filter((e) => e.name.endsWith('.conf') && !e.name.startsWith('.'))
    .map((e) => ({ e, file: path.join(dir, e.name) }))
    // A link is followed: /etc/climate/climate.conf.d entries are often links to shared files.
    .filter(({ e, file }) => e.isFile() || (e.isSymbolicLink() && fs.statSync(file, { throwIfNoEntry: false })?.isFile()))
    .map(({ file }) => file)
    .sort();
}

function readConfigFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ConfigError(`config file not found: ${file}`, { cause: err });
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** Converts and stores every option of Climate's sections found in `ini` into `values`. */
function applyFile(values: OptionValues, ini: IniFile): void {
  for (const [section, entries] of ini.sections) {
    if (!isKnownSection(section)) {
      const meant = Object.keys(SCHEMA).find((known) => known.toLowerCase() === section.toLowerCase());
      const line = ini.sectionLines.get(section) ?? 1;
      if (meant) {
        throw new ConfigError(`section [${section}] should be written [${meant}]: section names are case-sensitive`, {
          section,
          location: { file: ini.source, line },
        });
      }
      // A typo would leave its options unread (a [databse] connection, and Climate on the default SQLite file):
      // refused like a misspelt option. Names further from Climate's belong to other tools and are ignored.
      const near = closestName(section, Object.keys(SCHEMA), section.length >= 6 ? 2 : 1);
      if (near) {
        throw new ConfigError(`section [${section}] is not one of Climate's (did you mean [${near}]?)`, {
          section,
          location: { file: ini.source, line },
        });
      }
      continue; // another tool's section
    }
    const target = values[section] as Record<string, unknown>;
    for (const [option, { value, line }] of entries) {
      const location = { file: ini.source, line };
      const spec = findOption(section, option);
      if (!spec) {
        const hint = closestName(option, Object.keys(SCHEMA[section]));
        const problem = hint ? `unknown option (did you mean ${hint}?)` : 'unknown option';
        throw new ConfigError(`[${section}] ${option}: ${problem}`, { section, option, location });
      }
      const result = convertValue(spec, value);
      if (!result.ok) throw new ConfigError(`[${section}] ${option}: ${result.problem}`, { section, option, location });
      target[option] = result.value;
    }
  }
}

