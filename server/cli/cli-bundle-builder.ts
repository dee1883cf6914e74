import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { builtinModules } from 'node:module';
import { mkdirSync, readdirSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';

/** Repository root: two folders above this file, whether it runs from `server/cli/` or `dist/server/cli/`. */
function findRepoRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const up = join(here, '..', '..');
  return up.endsWith(join('dist')) || /[\\/]dist$/.test(up) ? dirname(up) : up;
}

const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/**
 * What a command loads lazily (`import()`: the server for `ferry server`, storage backends for
 * `operator migrate`, ...) stays out of the bundle and is loaded from the compiled tree under dist/ when a
 * command needs it: the bundle holds what client commands load on every run, nothing more. A vm.Script
 * has no module loader of its own (and V8's code cache drops vm's import hook), so these `import()`s are
 * renamed to `__ferryImport()`, a function bin/ferry.js passes in that imports relative to the bundle.
 */
function lazyImportsFromDist(root: string, outDir: string): Plugin {
  const serverDir = realpathSync(join(root, 'server')); // esbuild hands out real paths
  return {
    name: 'ferry-lazy-imports-from-dist',
    setup(b) {
      b.onResolve({ filter: /^\./ }, (args) => {
        if (args.kind !== 'dynamic-import') return undefined;
        const source = relative(serverDir, join(args.resolveDir, args.path));
        return {
          path: relative(outDir, join(root, 'dist', 'server', source))
            .split(sep)
            .join('/'),
          external: true,
        };
      });
    },
  };
}

/**
 * Bundles the client CLI (server/cli/main.ts and what it loads, lazily imported modules excepted) into one CommonJS
 * file that bin/ferry.js compiles with V8's code cache: a command neither resolves ~150 modules nor
 * compiles them. Part of `npm run build`; the output lives under dist/cli-bundle/.
 */
export async function buildCliBundle(root = findRepoRoot()): Promise<string> {
  const outDir = join(root, 'dist', 'cli-bundle');
  mkdirSync(outDir, { recursive: true });
  // A cache of an earlier bundle would be rejected anyway (its name carries the bundle's size and mtime).
  for (const name of readdirSync(outDir)) if (name.endsWith('.v8cache')) rmSync(join(outDir, name), { force: true });
  const bundleFile = join(outDir, 'ferry-cli.cjs');
  const result = await build({
    entryPoints: [join(root, 'server', 'cli', 'main.ts')],
    outfile: bundleFile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    legalComments: 'linked',
    logLevel: 'warning',
    metafile: true,
    write: false,
    plugins: [lazyImportsFromDist(root, outDir)],
    // version-command.ts finds package.json from its own location; in the bundle that is the bundle file,
    // whose URL is made when first asked for (a getter), not on every run.
    define: { 'import.meta.url': '__ferryBundle.url' },
    banner: { js: 'var __ferryBundle = { get url() { return require("node:url").pathToFileURL(__filename).href; } };' },
  });
  const outside = Object.values(result.metafile.outputs)
    .flatMap((o) => o.imports)
    .filter((i) => i.external === true && !builtins.has(i.path) && !(i.kind === 'dynamic-import' && i.path.startsWith('../server/')))
    .map((i) => `${i.kind} ${i.path}`);
  if (outside.length > 0) throw new Error(`${bundleFile} is not self-contained: ${[...new Set(outside)].join(', ')}`);
  for (const file of result.outputFiles) {
    const text = file.path.endsWith('.cjs') ? file.text.replaceAll('import("../server/', '__ferryImport("../server/') : undefined;
    if (text !== undefined && /\bimport\(/.test(text)) throw new Error(`${bundleFile} keeps an import() that bin/ferry.js cannot serve`);
    const tmp = `${file.path}.${process.pid}.tmp`;
    writeFileSync(tmp, text ?? file.contents);
    renameSync(tmp, file.path); // a `ferry` launched during a rebuild never sees half a file
  }
  await warmCodeCache(root);
  return bundleFile;
}

/**
 * Writes V8's code cache with one `ferry read` against a loopback stand-in for a Vault server (bin/ferry.js
 * saves the cache on the way out of a run that found none), so the cache holds what a client command
 * compiles: argument parsing, the config, the HTTP exchange, parsing the answer and printing its table. A
 * `version` run would leave all of that to be compiled again by every later command. Also proves the
 * bundle starts.
 */
async function warmCodeCache(root: string, timeoutMs = 30_000): Promise<void> {
  const answer = JSON.stringify({
    request_id: 'warm',
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    data: { value: 'warm' },
    wrap_info: null,
    warnings: null,
    auth: null,
  });
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' }).end(answer);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const run = spawn(process.execPath, [join(root, 'bin', 'ferry.js'), 'read', 'secret/warm'], {
      env: { PATH: process.env['PATH'] ?? '', VAULT_ADDR: `http://127.0.0.1:${port}`, VAULT_TOKEN: 'warm' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
    });
    let out = '';
    run.stdout.on('data', (c: Buffer) => (out += c.toString()));
    run.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve, reject) => run.once('error', reject).once('close', resolve));
    if (code !== 0 || !out.includes('warm')) throw new Error(`the bundled CLI failed its warm-up read (exit ${code}): ${out.trim()}`);
  } finally {
    server.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  buildCliBundle().then(
    (file) => process.stderr.write(`cli bundle: ${file}\n`),
    (err: unknown) => {
      process.stderr.write(`cli bundle failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
