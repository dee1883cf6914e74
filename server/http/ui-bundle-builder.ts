import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

/** Repository root: two folders above this file, whether it runs from `server/http/` or `dist/server/http/`. */
function findRepoRoot(): string {
  const up = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  return /[\\/]dist$/.test(up) ? dirname(up) : up;
}

/**
 * Builds the dashboard into dist/ui/: ui/main.ts and what it imports bundled by esbuild into one
 * ES module (no framework, no runtime dependency), next to the page and its stylesheet from
 * ui/static/. Part of `npm run build` (type checking is `tsc -p ui/tsconfig.json`, run before).
 */
export async function buildUiBundle(root = findRepoRoot()): Promise<string> {
  const outDir = join(root, 'dist', 'ui');
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [join(root, 'ui', 'main.ts')],
    outfile: join(outDir, 'dashboard.js'),
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  for (const name of ['index.html', 'dashboard.css']) copyFileSync(join(root, 'ui', 'static', name), join(outDir, name));
  return outDir;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await buildUiBundle();
}
