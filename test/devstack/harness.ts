/**
 * Runs devstack/plugin.sh phases without DevStack: DevStack's functions are the recorders of
 * fake-devstack.sh, and the external commands the plugin runs (node, npm, openstack, ...) are links
 * to fake-command.sh on PATH. Everything else on PATH (coreutils, awk, sed, ...) is the machine's, through a
 * directory of links that leaves out the commands the fakes stand for, so a test can take `node` away.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '../..');
export const PLUGIN_DIR = path.join(REPO, 'devstack');
const FAKE_DEVSTACK = path.join(__dirname, 'fake-devstack.sh');
const FAKE_COMMAND = path.join(__dirname, 'fake-command.sh');

/** Commands the fakes stand for: never taken from the machine. */
export const FAKED_COMMANDS = ['node', 'npm', 'openstack', 'rabbitmq-plugins', 'apt-cache', 'dnf', 'python3', 'mysql', 'psql', 'createdb', 'sudo'];
const HIDDEN_COMMANDS = new Set([...FAKED_COMMANDS, 'nodejs', 'npx', 'corepack', 'python', 'mariadb', 'yum', 'apt-get', 'apt']);

/** One recorded call: a DevStack function ("fn") or an external command ("exec", with its working directory). */
export interface Call {
  kind: 'fn' | 'exec';
  name: string;
  cwd?: string;
  args: string[];
}

export interface PhaseResult {
  status: number;
  stdout: string;
  stderr: string;
  calls: Call[];
}

export interface WorldOptions {
  /** Version `node --version` prints (e.g. "v20.11.1"); null: no node on PATH. */
  node?: string | null;
  /** Whether npm is on PATH (default true). */
  npm?: boolean;
  /** What `apt-cache policy nodejs` gives as candidate (default: none). */
  aptCandidate?: string;
  /** What `dnf repoquery` gives for nodejs (default: nothing). */
  dnfCandidate?: string;
  /** Version node reports once install_package nodejs ran (default: none appears). */
  nodeAfterInstall?: string;
  /** Initial nova.conf; null: none. */
  novaConf?: string | null;
  /** Whether python3 can import nova (default true). */
  novaImportable?: boolean;
  /** Aggregates that already exist. */
  aggregates?: string[];
  /** Extra or overriding environment (local.conf settings, DevStack variables). */
  env?: Record<string, string>;
}

export const DEFAULT_NOVA_CONF = [
  '[DEFAULT]',
  'debug = True',
  'transport_url = rabbit://stackrabbit:rabbitpass@10.0.0.5:5672/',
  '',
  '[filter_scheduler]',
  'enabled_filters = ComputeFilter,ComputeCapabilitiesFilter,ImagePropertiesFilter,SameHostFilter',
  'track_instance_changes = False',
  '',
  '[placement]',
  'region_name = RegionOne',
  '',
].join('\n');

/** DevStack's variables as stack.sh would have them, for a host at 10.0.0.5. */
export function devstackVariables(world: { dest: string; root: string }): Record<string, string> {
  return {
    DEST: world.dest,
    DATA_DIR: path.join(world.dest, 'data'),
    STACK_USER: os.userInfo().username,
    SERVICE_HOST: '10.0.0.5',
    SERVICE_PROTOCOL: 'http',
    SERVICE_LISTEN_ADDRESS: '0.0.0.0',
    SERVICE_PASSWORD: 'servicepass',
    SERVICE_PROJECT_NAME: 'service',
    SERVICE_DOMAIN_NAME: 'Default',
    REGION_NAME: 'RegionOne',
    KEYSTONE_SERVICE_URI: 'http://10.0.0.5/identity',
    RABBIT_USERID: 'stackrabbit',
    RABBIT_PASSWORD: 'rabbitpass',
    RABBIT_HOST: '10.0.0.5',
    DATABASE_TYPE: 'mysql',
    DATABASE_USER: 'root',
    DATABASE_PASSWORD: 'dbpass',
    DATABASE_HOST: '127.0.0.1',
    MYSQL_HOST: '127.0.0.1',
    BASE_SQL_CONN: 'mysql+pymysql://root:dbpass@127.0.0.1',
    NOVA_CONF: path.join(world.root, 'etc', 'nova', 'nova.conf'),
    ENABLE_DEBUG_LOG_LEVEL: 'True',
    ENABLED_SERVICES: 'key,mysql,rabbit,placement-api,n-api,n-cond,n-sch,n-cpu,g-api,q-svc',
    DISABLED_SERVICES: '',
  };
}

export class World {
  readonly root: string;
  readonly dest: string;
  readonly climateDir: string;
  readonly confDir: string;
  readonly novaConf: string;
  readonly site: string;
  readonly state: string;
  readonly bin: string;
  readonly log: string;
  readonly env: Record<string, string>;

  constructor(opts: WorldOptions = {}) {
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), 'climate-devstack-'));
    this.dest = path.join(this.root, 'opt', 'stack');
    this.climateDir = path.join(this.dest, 'climate');
    this.confDir = path.join(this.root, 'etc', 'climate');
    this.site = path.join(this.root, 'site-packages');
    this.state = path.join(this.root, 'state');
    this.bin = path.join(this.root, 'bin');
    this.log = path.join(this.root, 'calls.log');

    for (const dir of [this.dest, path.join(this.root, 'etc', 'nova'), this.site, this.state, this.bin]) {
      fs.mkdirSync(dir, { recursive: true });
    }
    // The Climate source tree as enable_plugin clones it (only what the plugin reads).
    fs.mkdirSync(path.join(this.climateDir, 'src', 'nova_filter'), { recursive: true });
    fs.writeFileSync(path.join(this.climateDir, 'package.json'), '{"name": "climate"}\n');
    fs.writeFileSync(path.join(this.climateDir, 'src', 'nova_filter', 'climate_nova_filter.py'), 'class ClimateFilter:\n    pass\n');

    for (const name of FAKED_COMMANDS) {
      if (name === 'node' && opts.node === null) continue;
      if (name === 'npm' && opts.npm === false) continue;
      fs.symlinkSync(FAKE_COMMAND, path.join(this.bin, name));
    }
    if (opts.node !== null) fs.writeFileSync(path.join(this.state, 'node-version'), `${opts.node ?? 'v20.11.1'}\n`);
    if (opts.nodeAfterInstall) fs.writeFileSync(path.join(this.state, 'node-version-after-install'), `${opts.nodeAfterInstall}\n`);
    if (opts.aptCandidate) fs.writeFileSync(path.join(this.state, 'apt-candidate'), `${opts.aptCandidate}\n`);
    if (opts.dnfCandidate) fs.writeFileSync(path.join(this.state, 'dnf-candidate'), `${opts.dnfCandidate}\n`);
    if (opts.novaImportable !== false) fs.writeFileSync(path.join(this.state, 'nova-site'), `${this.site}\n`);
    if (opts.aggregates?.length) fs.writeFileSync(path.join(this.state, 'aggregates'), `${opts.aggregates.join('\n')}\n`);

    const base = devstackVariables(this);
    this.novaConf = opts.env?.NOVA_CONF ?? base.NOVA_CONF;
    if (opts.novaConf !== null) fs.writeFileSync(this.novaConf, opts.novaConf ?? DEFAULT_NOVA_CONF);

    this.env = {
      PATH: `${this.bin}:${machineBin()}`,
      HOME: this.root,
      LC_ALL: 'C',
      FAKE_LOG: this.log,
      FAKE_STATE: this.state,
      FAKE_BIN: this.bin,
      FAKE_COMMAND,
      FAKE_DISTRO: 'ubuntu',
      ...base,
      CLIMATE_CONF_DIR: this.confDir,
      ...opts.env,
    };
  }

  get conf(): string {
    return path.join(this.env.CLIMATE_CONF_DIR, 'climate.conf');
  }

  /** Sources settings then plugin.sh with `args` (e.g. "stack", "install"), as DevStack does, under errexit. */
  run(...args: string[]): PhaseResult {
    fs.writeFileSync(this.log, '');
    const script = [
      'set -o errexit',
      `source "${FAKE_DEVSTACK}"`,
      `source "${path.join(PLUGIN_DIR, 'settings')}"`,
      `source "${path.join(PLUGIN_DIR, 'plugin.sh')}" "$@"`,
    ].join('\n');
    const result = spawnSync('bash', ['-c', script, 'plugin-phase', ...args], {
      env: this.env,
      cwd: this.root,
      encoding: 'utf8',
      timeout: 20_000,
    });
    if (result.error) throw result.error;
    return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr, calls: parseCalls(fs.readFileSync(this.log, 'utf8')) };
  }

  cleanup(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

export function parseCalls(text: string): Call[] {
  return text.split('\n').filter((line) => line !== '').map((line) => {
    const [kind, name, ...rest] = line.split('\t');
    if (kind === 'exec') return { kind, name, cwd: rest[0], args: rest.slice(1) };
    return { kind: kind as 'fn', name, args: rest };
  });
}

/** The calls of one function or command. */
export function callsTo(calls: Call[], name: string): Call[] {
  return calls.filter((c) => c.name === name);
}

/** An INI file: section -> option -> values (several when the option repeats). */
export type Ini = Map<string, Map<string, string[]>>;

export function readIni(file: string): Ini {
  const ini: Ini = new Map();
  let section: Map<string, string[]> | undefined;
  for (const raw of fs.readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      section = ini.get(header[1]) ?? new Map();
      ini.set(header[1], section);
      continue;
    }
    const eq = line.indexOf('=');
    if (!section || eq < 0) throw new Error(`${file}: unexpected line ${JSON.stringify(raw)}`);
    const key = line.slice(0, eq).trim();
    section.set(key, [...(section.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return ini;
}

/** Section as a plain object with single values (the last when repeated), for toEqual. */
export function sectionOf(ini: Ini, name: string): Record<string, string> {
  return Object.fromEntries([...(ini.get(name) ?? new Map<string, string[]>())].map(([k, v]) => [k, v[v.length - 1]]));
}

let systemCommands: Array<[string, string]> | undefined;

/**
 * The machine's commands (name, path) from this process's PATH, except the ones the fakes stand for and
 * other Node.js/Python/package-manager commands.
 */
function machineCommands(): Array<[string, string]> {
  if (systemCommands) return systemCommands;
  const found = new Map<string, string>();
  for (const from of (process.env.PATH ?? '').split(':')) {
    if (!from || !path.isAbsolute(from)) continue;
    let names: string[];
    try {
      names = fs.readdirSync(from);
    } catch {
      continue;
    }
    for (const name of names) {
      if (HIDDEN_COMMANDS.has(name) || /^python[0-9.]*$/.test(name) || found.has(name)) continue;
      const target = path.join(from, name);
      try {
        const stat = fs.statSync(target);
        if (stat.isFile() && (stat.mode & 0o111) !== 0) found.set(name, target);
      } catch {
        // dangling or unreadable entry: not a command we need
      }
    }
  }
  systemCommands = [...found];
  return systemCommands;
}

let machineBinDir: string | undefined;

/**
 * A directory of links to the machine's commands, shared by the worlds of this test file (making one per
 * world costs seconds); removed by removeMachineBin or when the process exits.
 */
function machineBin(): string {
  if (machineBinDir) return machineBinDir;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'climate-devstack-bin-'));
  for (const [name, target] of machineCommands()) fs.symlinkSync(target, path.join(dir, name));
  machineBinDir = dir;
  process.once('exit', removeMachineBin);
  return dir;
}

export function removeMachineBin(): void {
  if (machineBinDir) fs.rmSync(machineBinDir, { recursive: true, force: true });
  machineBinDir = undefined;
}
