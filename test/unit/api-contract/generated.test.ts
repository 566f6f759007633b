/**
 * The committed TypeScript types must be what openapi-typescript generates from the document today, so that a
 * change to openapi.yaml cannot ship without the types (and the code compiled against them) following it.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const repoRoot = path.resolve(__dirname, '../../..');

describe('src/api/generated/openapi.ts', () => {
  it('is up to date with src/api/openapi.yaml (otherwise run `npm run gen:api`)', () => {
    // The generator itself does the comparison so that the test and `npm run gen:api` can never disagree on
    // options or header; it is an ES module, hence a child process rather than an import.
    const run = spawnSync(process.execPath, [path.join(repoRoot, 'tools/gen-api.mjs'), '--check'], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    if (run.status !== 0) {
      throw new Error(`generated types are stale: run \`npm run gen:api\`\n${run.stderr}${run.stdout}`);
    }
    expect(run.status).toBe(0);
  });
});
