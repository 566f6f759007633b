/**
 * Writes etc/climate/climate.conf.sample from the option schema (or, with --check, exits 1 if it is stale).
 * Run from the repository root; Node 20 cannot run TypeScript, so compile first:
 *
 *   npx tsc --outDir /tmp/climate-gen --rootDir . --module commonjs --target ES2022 --strict --skipLibCheck \
 *     --types node tools/gen-config-sample.ts && node /tmp/climate-gen/tools/gen-config-sample.js
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderSample, SAMPLE_PATH } from '../src/config';

function main(argv: string[]): number {
  // The working directory, not __dirname: the compiled copy of this script lives outside the repository.
  const target = path.resolve(process.cwd(), SAMPLE_PATH);
  const sample = renderSample();
  if (argv.includes('--check')) {
    const current = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : '';
    if (current === sample) return 0;
    process.stderr.write(`${SAMPLE_PATH} is out of date; run tools/gen-config-sample.ts\n`);
    return 1;
  }
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, sample);
  process.stdout.write(`wrote ${SAMPLE_PATH}\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
