import * as fs from 'node:fs';
import { renderPolicySample } from '../../auth';
import { parseOptions, type ManageCommand } from './command';

/** `policy sample [--output-file PATH]`: the default policy rules with their descriptions (no configuration needed). */
export const policySample: ManageCommand = {
  words: ['policy', 'sample'],
  options: '[--output-file PATH]',
  summary: 'write the default policy rules with their descriptions (stdout unless --output-file)',
  async run(args) {
    const { values } = parseOptions(args, { valued: ['--output-file'] });
    const file = values.get('--output-file');
    if (file) fs.writeFileSync(file, renderPolicySample());
    else process.stdout.write(renderPolicySample());
    return 0;
  },
};
