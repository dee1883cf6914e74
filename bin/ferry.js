#!/usr/bin/env node
// The `ferry` command. Client commands run the one-file CLI bundle (dist/cli-bundle/ferry-cli.cjs, built by
// `npm run build`) compiled through V8's code cache; `ferry server`, or a checkout without the bundle, runs
// the compiled modules under dist/server/.
// CommonJS (bin/package.json): Node starts a CommonJS entry a few milliseconds sooner than an ES module.
'use strict';
const { readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');
const { Script } = require('node:vm');

const argv = process.argv.slice(2);

// FERRY_CLI_TRACE_STARTUP=1 prints the start-up phases (ms since the process started) to stderr on exit:
// node's own bootstrap ends at `bin`; the request's start and answer come from node:http's diagnostics channels.
const marks = process.env.FERRY_CLI_TRACE_STARTUP === '1' ? [['bin', performance.now()]] : undefined;
if (marks !== undefined) {
  const channels = require('node:diagnostics_channel');
  channels.subscribe('http.client.request.start', () => marks.push(['request', performance.now()]));
  channels.subscribe('http.client.response.finish', () => marks.push(['response', performance.now()]));
  process.once('exit', () => {
    marks.push(['exit', performance.now()]);
    process.stderr.write(`startup ms: ${marks.map(([name, ms]) => `${name}=${ms.toFixed(1)}`).join(' ')}\n`);
  });
}

function fail(err) {
  process.stderr.write(`ferry: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}

/** Runs the bundle through V8's code cache; returns its exports, or undefined when there is no bundle. */
function loadBundle() {
  const bundleFile = join(__dirname, '..', 'dist', 'cli-bundle', 'ferry-cli.cjs');
  let source;
  let stat;
  try {
    source = readFileSync(bundleFile, 'utf8');
    stat = statSync(bundleFile);
  } catch {
    return undefined;
  }
  // Named for node, architecture and the bundle's size and mtime: a rebuilt bundle or another node never
  // meets a stale cache (V8 itself only checks the source length).
  const cacheFile = `${bundleFile}.${process.version}-${process.arch}-${stat.size}-${Math.trunc(stat.mtimeMs)}.v8cache`;
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  marks?.push(['read', performance.now()]);
  const script = new Script(`(function (exports, require, module, __filename, __dirname, __ferryImport) {${source}\n})`, {
    filename: bundleFile,
    ...(cachedData === undefined ? {} : { cachedData }),
  });
  if (cachedData === undefined || script.cachedDataRejected === true) {
    // Written on exit, after the command ran: the cache then holds the functions it compiled lazily.
    process.once('exit', () => {
      try {
        const tmp = `${cacheFile}.${process.pid}.tmp`;
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cacheFile);
      } catch {
        // a read-only install: every run compiles, which is slower but correct
      }
    });
  }
  marks?.push(['compiled', performance.now()]);
  const mod = { exports: {} };
  const bundleDir = join(__dirname, '..', 'dist', 'cli-bundle');
  // The bundle's lazy imports (cli-bundle-builder.ts) load compiled modules from dist/ through this module;
  // the URL is made on the first one only (most commands have none).
  const importFromDist = (specifier) => import(new URL(specifier, pathToFileURL(join(bundleDir, '/'))).href);
  // The bundle requires node built-ins only (cli-bundle-builder.ts checks): this file's own require serves them.
  script.runInThisContext()(mod.exports, require, mod, bundleFile, bundleDir, importFromDist);
  marks?.push(['loaded', performance.now()]);
  return mod.exports;
}

const bundle = argv[0] === 'server' ? undefined : loadBundle();
if (bundle !== undefined) {
  bundle.main(argv).catch(fail);
} else {
  import(pathToFileURL(join(__dirname, '..', 'dist', 'server', 'cli', 'main.js')).href).then((m) => m.main(argv)).catch(fail);
}
