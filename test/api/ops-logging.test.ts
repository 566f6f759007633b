import { processLogger } from '../../src/cli/logging';
import { configWith } from '../../src/config';

/** What `fn` writes to stdout and stderr (the writes are intercepted, not passed on). */
function capture(fn: () => void): { stdout: string; stderr: string } {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => { out.push(String(chunk)); return true; });
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => { err.push(String(chunk)); return true; });
  try {
    fn();
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
  return { stdout: out.join(''), stderr: err.join('') };
}

describe('process logs', () => {
  it('go to stdout by default, as oslo-style text lines', () => {
    const { stdout, stderr } = capture(() => processLogger(configWith({})).child('manager').info('started', { owner: 'm1' }));
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} INFO climate\.manager \[-\] started {"owner":"m1"}\n$/);
  });

  it('are one JSON object per line with log_format = json, and debug lines only with debug', () => {
    const quiet = capture(() => processLogger(configWith({ default: { logFormat: 'json' } }), 'climate.provisioner').debug('hidden'));
    expect(quiet.stdout).toBe('');
    const { stdout } = capture(() => {
      const logger = processLogger(configWith({ default: { logFormat: 'json', debug: true } }), 'climate.provisioner');
      logger.debug('one');
      logger.error('two', { host: 'c1' });
    });
    const lines = stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
    expect(lines).toEqual([
      expect.objectContaining({ level: 'DEBUG', logger: 'climate.provisioner', message: 'one' }),
      expect.objectContaining({ level: 'ERROR', logger: 'climate.provisioner', message: 'two', host: 'c1' }),
    ]);
  });

  it('go to stderr with log_output = stderr', () => {
    const { stdout, stderr } = capture(() => processLogger(configWith({ default: { logOutput: 'stderr' } })).warning('careful'));
    expect(stdout).toBe('');
    expect(stderr).toMatch(/ WARNING climate \[-\] careful\n$/);
  });
});
