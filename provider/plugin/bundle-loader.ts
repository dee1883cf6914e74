/**
 * Entry point the launcher runs (`dist/provider-bundle/loader.cjs`, built by provider-bundle-builder.ts).
 * It compiles the one-file provider bundle beside it with V8's code cache, so a launch neither resolves
 * ~300 modules nor compiles them: Terraform starts the provider 3–5 times per command.
 *
 * The cache file is named for the node version, the architecture and the bundle's size and mtime, so a
 * rebuilt bundle or another node never picks up a stale cache (V8 itself only checks the source length).
 * This file may import node built-ins only: it is bundled alone.
 */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { codeCacheHookKey, loaderMarksKey } from './code-cache.js';
import { requireWithDeferredBuiltins } from './deferred-builtins.js';

/** File name of the provider bundle, next to this loader. */
export const providerBundleName = 'terraform-provider-ferry.cjs';

type ModuleFunction = (exports: object, require: (id: string) => unknown, module: { exports: object }, filename: string, dirname: string) => void;

/** Written into the bundle folder of a release package only (provider/release/). */
export const releaseManifestName = 'release.json';

/** What a release package's release.json says (written by provider/release/package-files.ts). */
interface ReleaseManifest {
  /** SHA-256 (hex) of the bundle file: names its code cache, since the unpacked files' times vary. */
  bundleSha256?: string;
}

/**
 * The code cache file for the bundle in `dir`. In a checkout: beside the bundle, named for its size and
 * mtime. In an installed release package the folder must stay exactly as unpacked — Terraform checks its
 * hash against `.terraform.lock.hcl` on every command — so the cache goes to the user's own cache folder
 * (private to the user: V8 trusts a cache file), named for the bundle's content hash: every working
 * directory that installs the same release shares one cache file.
 */
function codeCacheFile(dir: string, bundleFile: string): string {
  const tag = `${providerBundleName}.${process.version}-${process.arch}`;
  let manifest: ReleaseManifest;
  try {
    manifest = JSON.parse(readFileSync(join(dir, releaseManifestName), 'utf8')) as ReleaseManifest;
  } catch {
    const stat = statSync(bundleFile);
    return join(dir, `${tag}-${stat.size}-${Math.trunc(stat.mtimeMs)}.v8cache`);
  }
  const cacheDir = join(process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'terraform-provider-ferry');
  try {
    mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
  } catch {
    // no writable home: reading and writing the cache below fail quietly, and every launch compiles
  }
  return join(cacheDir, `${tag}-${String(manifest.bundleSha256 ?? 'unknown').slice(0, 32)}.v8cache`);
}

/**
 * Loads and runs the provider bundle in `dir`; returns whether V8 accepted an existing code cache. The
 * bundle requires node built-ins only (provider-bundle-builder.ts refuses anything else), so it is given
 * the loader's own `require`, from the same folder: `createRequire` would load `node:module` and the ESM
 * loader modules first (about 0.3 ms). The built-ins start-up never uses load on first use
 * (deferred-builtins.ts).
 */
export function runProviderBundle(dir: string, requireBuiltin: NodeJS.Require): boolean {
  const marks: Array<[string, number]> | undefined = process.env['FERRY_PROVIDER_TRACE_STARTUP'] === '1' ? [['loader', performance.now()]] : undefined;
  const bundleFile = join(dir, providerBundleName);
  const cacheFile = codeCacheFile(dir, bundleFile);
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined; // first launch after a build
  }
  const source = readFileSync(bundleFile, 'latin1'); // ASCII only (charset: 'ascii' in provider-bundle-builder.ts)
  marks?.push(['read', performance.now()]);
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: bundleFile,
    ...(cachedData === undefined ? {} : { cachedData }),
  });
  const accepted = cachedData !== undefined && script.cachedDataRejected !== true;
  let saved = accepted;
  (globalThis as Record<symbol, unknown>)[codeCacheHookKey] = (): void => {
    if (saved) return;
    saved = true;
    try {
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      writeFileSync(tmp, script.createCachedData());
      renameSync(tmp, cacheFile); // atomic: Terraform runs several provider processes at once
    } catch {
      // a read-only install: every launch compiles, which is slower but correct
    }
  };
  marks?.push(['compiled', performance.now()]);
  if (marks !== undefined) (globalThis as Record<symbol, unknown>)[loaderMarksKey] = marks;
  const moduleFunction = script.runInThisContext() as ModuleFunction;
  const mod = { exports: {} };
  moduleFunction(mod.exports, requireWithDeferredBuiltins(requireBuiltin), mod, bundleFile, dir);
  return accepted;
}

// Only when run as the bundled loader.cjs (CommonJS); importing this file (ESM) runs nothing.
if (typeof module !== 'undefined' && typeof require !== 'undefined' && require.main === module) {
  runProviderBundle(__dirname, require);
}
