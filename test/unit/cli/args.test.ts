import { parseCommandLine, usage, type CommandSpec } from '../../../src/cli/args';

const API: CommandSpec = { name: 'climate-api', description: 'Serves the API.' };
const MANAGE: CommandSpec = { name: 'climate-manage', description: 'Operator commands.', subcommands: { synopsis: 'COMMAND ...', help: ['db sync'] } };

describe('parseCommandLine', () => {
  it('collects --config-file and --config-dir in order, in both spellings', () => {
    expect(parseCommandLine(['--config-file', 'a.conf', '--config-dir=d', '--config-file=b.conf'], API)).toEqual({
      kind: 'run', line: { configArgs: ['--config-file', 'a.conf', '--config-dir', 'd', '--config-file', 'b.conf'], rest: [] },
    });
  });

  it('hands a subcommand its words and options, and still takes the generic options anywhere', () => {
    expect(parseCommandLine(['db', 'sync', '--config-file', 'x.conf'], MANAGE)).toEqual({
      kind: 'run', line: { configArgs: ['--config-file', 'x.conf'], rest: ['db', 'sync'] },
    });
    expect(parseCommandLine(['policy', 'sample', '--output-file', 'p.yaml'], MANAGE)).toEqual({
      kind: 'run', line: { configArgs: [], rest: ['policy', 'sample', '--output-file', 'p.yaml'] },
    });
  });

  it('refuses an unknown option before the subcommand, and any argument of a program without subcommands', () => {
    expect(parseCommandLine(['--bogus', 'db', 'sync'], MANAGE)).toMatchObject({ kind: 'exit', code: 2, stream: 'stderr' });
    expect(parseCommandLine(['db'], API)).toMatchObject({ kind: 'exit', code: 2, text: expect.stringContaining('unexpected argument: db') });
  });

  it('does not take the next option as the value of --config-file', () => {
    const outcome = parseCommandLine(['--config-file', '--version'], API);
    expect(outcome).toMatchObject({ kind: 'exit', code: 2, text: expect.stringContaining('--config-file needs a path') });
  });

  it('helps whatever else is on the line; --version prints the version', () => {
    expect(parseCommandLine(['--bogus', '--help'], API)).toEqual({ kind: 'exit', code: 0, stream: 'stdout', text: usage(API) });
    expect(parseCommandLine(['--version'], API)).toMatchObject({ kind: 'exit', code: 0, text: expect.stringMatching(/^climate-api \d+\.\d+\.\d+\n$/) });
  });
});
