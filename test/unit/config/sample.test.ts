import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultConfig, listOptions, loadConfig, renderSample, SAMPLE_PATH } from '../../../src/config';
import { tempDir, writeConf } from './helpers';

const REPO_ROOT = path.resolve(__dirname, '../../..');
const REGENERATE = 'npm run gen:config';

const dir = tempDir();

describe('renderSample', () => {
  const sample = renderSample();

  it(`matches the committed ${SAMPLE_PATH}`, () => {
    const file = path.join(REPO_ROOT, SAMPLE_PATH);
    const committed = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    if (committed !== sample) {
      const a = committed.split('\n');
      const b = sample.split('\n');
      const line = a.findIndex((text, i) => text !== b[i]);
      throw new Error(
        `${SAMPLE_PATH} is out of date with src/config/schema.ts (first difference at line ${line + 1}: ` +
          `${JSON.stringify(a[line])} should be ${JSON.stringify(b[line])}).\n` +
          `Regenerate it from the repository root with:\n  ${REGENERATE}`,
      );
    }
    expect(committed).toBe(sample);
  });

  it('lists every option exactly once, commented out, in its own section', () => {
    // Section name -> the option lines ("#name = ...") under its header.
    const blocks = new Map<string, string[]>();
    let current: string[] = [];
    for (const line of sample.split('\n')) {
      const header = /^\[(.+)\]$/.exec(line);
      if (header) blocks.set(header[1], (current = []));
      else if (/^#[a-z_]+ =/.test(line)) current.push(line.slice(1).split(' =')[0]);
    }
    const expected = new Map<string, string[]>();
    for (const { section, name } of listOptions()) expected.set(section, [...(expected.get(section) ?? []), name]);
    expect(blocks).toEqual(expected);
  });

  it('loads, once uncommented, to exactly the defaults', () => {
    // Option lines are "#name = value"; help lines are "# text", so the space tells them apart.
    const uncommented = sample.replace(/^#(?=[a-z_]+ =)/gm, '');
    expect(uncommented).not.toBe(sample);
    expect(loadConfig({ files: [writeConf(dir, uncommented)] })).toEqual(defaultConfig());
  });

  it('shows types, ranges and choices next to the defaults', () => {
    expect(sample).toContain('# TCP port the API server listens on.\n# Type: integer, from 1 to 65535\n#port = 1234\n');
    expect(sample).toContain('# Type: one of none, nova\n#driver = none\n');
    expect(sample).toContain('# Type: string, secret\n#password =\n');
  });

  it('has no line over 79 characters and no trailing whitespace', () => {
    const bad = sample.split('\n').filter((line) => line.length > 79 || /\s$/.test(line));
    expect(bad).toEqual([]);
  });
});
