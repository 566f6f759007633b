/**
 * The Nova scheduler filter (src/nova_filter/climate_nova_filter.py) is Python: its tests
 * (test/nova_filter/test_climate_nova_filter.py, a unittest suite over decisions.json) run against Debian's
 * python3-nova with the system Python. This wrapper makes sure Nova is installed
 * (tools/ensure-python-nova.sh), runs the suite as a child process, and checks that it succeeded and that
 * every case of the decision table was run.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const PYTHON = '/usr/bin/python3';
const ENSURE = path.join(ROOT, 'tools/ensure-python-nova.sh');
const DECISIONS = path.join(__dirname, 'decisions.json');
/** apt-get update + install of python3-nova and its dependencies on a fresh machine. */
const INSTALL_TIMEOUT_MS = 15 * 60_000;
/** The suite itself takes a couple of seconds (Nova's import included). */
const SUITE_TIMEOUT_MS = 2 * 60_000;

interface RunResult {
  code: number | string | null;
  stdout: string;
  stderr: string;
}

/** The environment without anything that could point at another Python; no __pycache__ left in the tree. */
const pyEnv: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^PYTHON/.test(key))),
  PYTHONDONTWRITEBYTECODE: '1',
};

function run(command: string, args: string[], timeout: number): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: ROOT, env: pyEnv, timeout, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? ((error as NodeJS.ErrnoException & { code?: number | string }).code ?? 'killed') : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

describe('Climate Nova scheduler filter (Python, against python3-nova)', () => {
  let result: RunResult;
  const cases = (JSON.parse(readFileSync(DECISIONS, 'utf8')) as { cases: unknown[] }).cases.length;

  beforeAll(async () => {
    const ensured = await run('bash', [ENSURE], INSTALL_TIMEOUT_MS);
    if (ensured.code !== 0) {
      throw new Error(`tools/ensure-python-nova.sh failed (${ensured.code}):\n${ensured.stderr}${ensured.stdout}`);
    }
    result = await run(PYTHON, ['-m', 'unittest', 'discover', '-s', 'test/nova_filter', '-p', 'test_*.py', '-v'],
      SUITE_TIMEOUT_MS);
  }, INSTALL_TIMEOUT_MS + SUITE_TIMEOUT_MS + 30_000);

  it('passes every Python test', () => {
    if (result.code !== 0) throw new Error(`python3 -m unittest exited ${result.code}:\n${result.stderr}${result.stdout}`);
    expect(result.stderr).toMatch(/^OK\s*$/m);
  });

  it('runs every case of decisions.json', () => {
    expect(cases).toBeGreaterThanOrEqual(15);
    const counted = /^climate-nova-filter: (\d+) decision cases run$/m.exec(result.stdout);
    expect(counted).not.toBeNull();
    expect(Number(counted![1])).toBe(cases);
    // One generated test method per case, besides the loading/options tests; with -v unittest prints the
    // method, then its docstring on the next line, then "... ok".
    const generated = result.stderr.match(/^test_decision_\d+_\w+ \([^)\n]*\)(?:\n[^\n]*)? \.\.\. ok$/gm) ?? [];
    expect(generated).toHaveLength(cases);
  });
});
