import * as path from 'node:path';
import { buildKeystoneAuth, Policy } from '../../auth';
import { silentLogger, type Logger } from '../../common';
import { loadConfig, type ClimateConfig } from '../../config';
import { Database, pendingMigrations, Repositories } from '../../db';
import { buildComputeClients } from '../../openstack';
import { buildCinderClient } from '../../openstack/cinder';
import { buildHeatClient } from '../../openstack/heat';
import { buildNeutronClient } from '../../openstack/neutron';
import { VIRTUAL_FLOATINGIP } from '../../plugins/floatingip';
import { noHostActions } from '../../plugins/physical-host';
import { noInstanceActions } from '../../plugins/virtual-instance';
import { VIRTUAL_STACK } from '../../plugins/virtual-stack';
import { VIRTUAL_VOLUME } from '../../plugins/virtual-volume';
import { buildPlugins } from '../services';
import { parseOptions, type ManageCommand } from './command';

/** oslo.upgradecheck's codes, which are also the exit code: the worst result of all checks. */
export enum CheckCode { Success = 0, Warning = 1, Failure = 2 }

export interface CheckResult {
  code: CheckCode;
  details: string | null;
}

const ok = (details: string | null = null): CheckResult => ({ code: CheckCode.Success, details });
const warning = (details: string): CheckResult => ({ code: CheckCode.Warning, details });
const failure = (details: string): CheckResult => ({ code: CheckCode.Failure, details });
const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** A logger that keeps what is said at WARNING and above, for the policy check. */
function recordingLogger(lines: string[]): Logger {
  const keep = (m: string) => { lines.push(m); };
  const logger: Logger = {
    debug: () => undefined, info: () => undefined, warning: keep, error: keep, child: () => logger,
  };
  return logger;
}

/**
 * The options that would stop a Climate process at start-up, short of the network: the files load (every
 * option known and valid), the database URL is usable, the resource plugins exist, the Keystone options are
 * complete, and with [compute] driver = nova every OpenStack service the enabled plugins use can be found. The
 * clients are built as buildServices builds them, which sends nothing. (Nova's freepool aggregate, which the
 * services also check, needs Nova and is not checked here.)
 */
async function checkConfiguration(config: ClimateConfig): Promise<CheckResult> {
  try {
    const db = new Database({ connection: config.database.connection });
    try {
      buildPlugins(config, new Repositories(db), noHostActions, noInstanceActions);
    } finally {
      await db.close();
    }
    const keystone = await buildKeystoneAuth(config, { policy: new Policy(), logger: silentLogger });
    if (config.compute.driver === 'nova') {
      const deps = { keystone, logger: silentLogger };
      buildComputeClients(config, deps);
      const plugins = config.manager.plugins;
      if (plugins.includes(VIRTUAL_FLOATINGIP)) buildNeutronClient(config, deps);
      if (plugins.includes(VIRTUAL_VOLUME)) buildCinderClient(config, deps);
      if (plugins.includes(VIRTUAL_STACK)) buildHeatClient(config, deps);
    }
    return ok();
  } catch (error) {
    return failure(message(error));
  }
}

/** Loads `[oslo_policy] policy_file` as the services do, and reports what the loader warns about. */
function checkPolicy(config: ClimateConfig): CheckResult {
  const file = config.osloPolicy.policyFile;
  if (!file) return ok('no policy file: the default rules apply');
  const warnings: string[] = [];
  try {
    Policy.fromFile(path.resolve(file), recordingLogger(warnings));
  } catch (error) {
    return failure(message(error));
  }
  return warnings.length ? warning(warnings.join('; ')) : ok();
}

/** Connects to `[database] connection`, then compares the applied migrations with this version's. */
async function checkDatabase(config: ClimateConfig): Promise<[CheckResult, CheckResult]> {
  let db: Database;
  try {
    db = new Database({ connection: config.database.connection });
  } catch (error) {
    const unusable = failure(`[database] connection: ${message(error)}`);
    return [unusable, failure('not checked: the database is unavailable')];
  }
  try {
    try {
      await db.open();
    } catch (error) {
      return [failure(`cannot connect with [database] connection: ${message(error)}`), failure('not checked: the database is unavailable')];
    }
    const pending = await pendingMigrations(db).catch((error: unknown) => error as Error);
    if (pending instanceof Error) return [ok(), failure(`cannot read the applied migrations: ${pending.message}`)];
    if (!pending.length) return [ok(), ok()];
    return [ok(), failure(`${pending.length} migration(s) pending: ${pending.join(', ')}. `
      + 'Run `climate-manage db upgrade` before starting the services.')];
  } finally {
    await db.close().catch(() => undefined);
  }
}

/** Runs every check; a configuration that does not load fails them all, since each reads it. */
export async function runChecks(configArgv: string[]): Promise<[string, CheckResult][]> {
  let config: ClimateConfig;
  try {
    config = loadConfig({ argv: configArgv, env: process.env });
  } catch (error) {
    const skipped = failure('not checked: the configuration does not load');
    return [['Configuration', failure(message(error))], ['Policy file', skipped], ['Database connection', skipped],
      ['Database schema', skipped]];
  }
  const [connection, schema] = await checkDatabase(config);
  return [
    ['Configuration', await checkConfiguration(config)],
    ['Policy file', checkPolicy(config)],
    ['Database connection', connection],
    ['Database schema', schema],
  ];
}

/** The results as oslo.upgradecheck prints them: one box per check with its name, result and details. */
export function renderChecks(results: readonly [string, CheckResult][]): string {
  const wrap = (text: string, width: number): string[] => {
    const lines: string[] = [];
    let line = '';
    for (const word of text.split(/\s+/)) {
      if (line && line.length + 1 + word.length > width) { lines.push(line); line = word; } else line = line ? `${line} ${word}` : word;
    }
    return [...lines, line];
  };
  const cells = results.map(([name, r]) => {
    const [first, ...rest] = wrap(r.details ?? 'None', 60);
    return [`Check: ${name}`, `Result: ${CheckCode[r.code]}`, `Details: ${first}`, ...rest.map((l) => `  ${l}`)];
  });
  const title = 'Upgrade Check Results';
  const width = Math.max(title.length, ...cells.flat().map((l) => l.length));
  const rule = `+${'-'.repeat(width + 2)}+`;
  const row = (l: string) => `| ${l.padEnd(width)} |`;
  return [rule, row(title), rule, ...cells.flatMap((c) => [...c.map(row), rule])].join('\n') + '\n';
}

/**
 * `upgrade check`, as `nova-status upgrade check` (oslo.upgradecheck): run after `db upgrade` and before the
 * services start on a new version. Exit code 0 when every check succeeds, 1 with a warning, 2 with a failure.
 */
export const upgradeCheck: ManageCommand = {
  words: ['upgrade', 'check'],
  summary: 'check the configuration, the policy file and the database before (re)starting the services; '
    + 'exit code 0 success, 1 warning, 2 failure',
  async run(args, configArgv) {
    parseOptions(args, {});
    const results = await runChecks(configArgv);
    process.stdout.write(renderChecks(results));
    return Math.max(CheckCode.Success, ...results.map(([, r]) => r.code));
  },
};
