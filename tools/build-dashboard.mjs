// Builds the dashboard (src/dashboard) into dist/dashboard: one minified script bundled by esbuild with Preact,
// the page and the style sheet. Everything it needs at run time is in that folder: no CDN, no fetch elsewhere.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src/dashboard');
const out = join(root, 'dist/dashboard');
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(source, 'main.tsx')],
  outfile: join(out, 'app.js'),
  bundle: true,
  minify: true,
  sourcemap: true,
  target: ['chrome110', 'firefox110', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  tsconfig: join(source, 'tsconfig.json'),
  legalComments: 'linked',
  logLevel: 'warning',
});
for (const file of ['index.html', 'style.css']) copyFileSync(join(source, file), join(out, file));
const kb = (file) => (statSync(join(out, file)).size / 1024).toFixed(1);
console.log(`dashboard: dist/dashboard/app.js ${kb('app.js')} KiB, style.css ${kb('style.css')} KiB`);
