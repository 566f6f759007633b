import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const UNITS_DIR = path.join(ROOT, 'etc/systemd');
const INSTALL_DIR = '/opt/climate';
const NODE = '/usr/bin/node';
/** The manager's EventRunner.stop lets running events finish for up to 30 s before releasing their claims. */
const MANAGER_GRACE_SECONDS = 30;

type Unit = Map<string, Map<string, string[]>>;

/** systemd's unit file syntax: [Section], Key=Value (a key may repeat), # and ; comments, \ continues a line. */
function parseUnit(text: string): Unit {
  const unit: Unit = new Map();
  let section: Map<string, string[]> | null = null;
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const header = /^\[([A-Za-z]+)\]$/.exec(line);
    if (header) {
      if (unit.has(header[1])) throw new Error(`line ${i + 1}: section [${header[1]}] repeated`);
      section = new Map();
      unit.set(header[1], section);
      return;
    }
    const entry = /^([A-Za-z][A-Za-z0-9]*)=(.*)$/.exec(line);
    if (!entry || !section) throw new Error(`line ${i + 1}: not a Key=Value in a section: "${line}"`);
    const values: string[] = section.get(entry[1]) ?? [];
    values.push(entry[2].trim());
    section.set(entry[1], values);
  });
  return unit;
}

function value(unit: Unit, section: string, key: string): string | undefined {
  const values = unit.get(section)?.get(key);
  return values?.[values.length - 1];
}

/** systemd time spans as used here: "90", "90s", "1min 30s". */
function seconds(span: string): number {
  let total = 0;
  for (const [, n, u] of span.matchAll(/(\d+)\s*(min|s)?/g)) total += Number(n) * (u === 'min' ? 60 : 1);
  return total;
}

const bins = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin;
const expected: Record<string, string> = {
  'climate-api.service': 'climate-api',
  'climate-manager.service': 'climate-manager',
  'climate-provisioner.service': 'climate-provisioner',
};

describe('systemd units in etc/systemd', () => {
  it('are the three services', () => {
    expect(readdirSync(UNITS_DIR).filter((f) => f.endsWith('.service')).sort()).toEqual(Object.keys(expected).sort());
  });

  describe.each(Object.entries(expected))('%s', (file, bin) => {
    const unit = parseUnit(readFileSync(path.join(UNITS_DIR, file), 'utf8'));

    it('has [Unit], [Service] and [Install] with a description and a target', () => {
      expect([...unit.keys()]).toEqual(['Unit', 'Service', 'Install']);
      expect(value(unit, 'Unit', 'Description')).toMatch(/Climate/);
      expect(value(unit, 'Unit', 'After')).toContain('network-online.target');
      expect(value(unit, 'Install', 'WantedBy')).toBe('multi-user.target');
    });

    it('runs the package.json entry point with the configuration file', () => {
      const exec = value(unit, 'Service', 'ExecStart') ?? '';
      const [program, script, ...args] = exec.split(/\s+/);
      expect(program).toBe(NODE);
      expect(bins[bin]).toBeDefined();
      expect(script).toBe(`${INSTALL_DIR}/${bins[bin]}`);
      expect(args).toEqual(['--config-file', '/etc/climate/climate.conf']);
      // dist/src/cli/x.js is built from src/cli/x.ts.
      expect(existsSync(path.join(ROOT, bins[bin].replace(/^dist\//, '').replace(/\.js$/, '.ts')))).toBe(true);
    });

    it('runs as climate, restarts on failure, stops with SIGTERM, logs to the journal', () => {
      expect(value(unit, 'Service', 'User')).toBe('climate');
      expect(value(unit, 'Service', 'Restart')).toBe('on-failure');
      expect(value(unit, 'Service', 'KillSignal')).toBe('SIGTERM');
      expect(value(unit, 'Service', 'StandardOutput')).toBe('journal');
      const stop = seconds(value(unit, 'Service', 'TimeoutStopSec') ?? '0');
      expect(stop).toBeGreaterThanOrEqual(bin === 'climate-manager' ? MANAGER_GRACE_SECONDS * 2 : 15);
    });

    it('is hardened, with only the SQLite directory writable', () => {
      expect(value(unit, 'Service', 'NoNewPrivileges')).toBe('yes');
      expect(value(unit, 'Service', 'ProtectSystem')).toBe('strict');
      expect(value(unit, 'Service', 'PrivateTmp')).toBe('yes');
      expect(value(unit, 'Service', 'ReadWritePaths')).toBe('/var/lib/climate');
      expect(value(unit, 'Service', 'StateDirectory')).toBe('climate');
      expect(value(unit, 'Service', 'WorkingDirectory')).toBe('/var/lib/climate');
    });
  });

  const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  // systemd-analyze comes with Debian's systemd package; without it the structural checks above still run.
  (analyze.status === 0 ? it : it.skip)('pass systemd-analyze verify without a warning', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'climate-units-'));
    try {
      for (const file of Object.keys(expected)) {
        // The node binary of this machine, so that verify can check ExecStart's program exists wherever it lives.
        const text = readFileSync(path.join(UNITS_DIR, file), 'utf8').replaceAll(`ExecStart=${NODE} `, `ExecStart=${process.execPath} `);
        writeFileSync(path.join(dir, file), text);
      }
      const result = spawnSync('systemd-analyze', ['verify', ...Object.keys(expected).map((f) => path.join(dir, f))], { encoding: 'utf8' });
      expect({ status: result.status, output: `${result.stdout}${result.stderr}`.trim() }).toEqual({ status: 0, output: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has a parser that notices mistakes', () => {
    expect(() => parseUnit('Key=value\n')).toThrow(/not a Key=Value in a section/);
    expect(() => parseUnit('[Service]\nnot a pair\n')).toThrow(/not a Key=Value/);
    expect(parseUnit('[Service]\n# c\nExecStart=/a \\\n  b\n').get('Service')?.get('ExecStart')).toEqual(['/a    b']);
    expect(seconds('1min 30s')).toBe(90);
  });
});
