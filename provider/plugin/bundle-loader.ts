/**
 * Entry point the launcher runs (`dist/provider-bundle/loader.cjs`, built by provider-bundle-builder.ts).
 * It compiles the provider bundle beside it with V8's code cache, so a launch neither resolves ~300 modules
 * nor compiles them: Terraform starts the provider 3–5 times per command. The libraries the handshake does
 * not need (protobufjs, pino, msgpack: late-vendor.ts) are in a second bundle beside it, with a code cache
 * of its own, compiled and run the first time the provider bundle asks for one of them.
 *
 * A cache file is named for the node version, the architecture and its bundle's size and mtime, so a
 * rebuilt bundle or another node never picks up a stale cache (V8 itself only checks the source length).
 * This file may import node built-ins only: it is bundled alone.
 */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { codeCacheHookKey, loaderMarksKey } from './code-cache.js';
import { requireWithDeferredBuiltins } from './deferred-builtins.js';
import { lateVendorHookKey } from './late-vendor.js';

/** File name of the provider bundle, next to this loader. */
export const providerBundleName = 'terraform-provider-ferry.cjs';

/** File name of the bundle of libraries loaded after the handshake (late-vendor.ts), next to this loader. */
export const lateVendorBundleName = 'terraform-provider-ferry-vendor.cjs';

type ModuleFunction = (exports: object, require: (id: string) => unknown, module: { exports: object }, filename: string, dirname: string) => void;

/** Written into the bundle folder of a release package only (provider/release/). */
export const releaseManifestName = 'release.json';

/** What a release package's release.json says (written by provider/release/package-files.ts). */
interface ReleaseManifest {
  /** SHA-256 (hex) of the bundle files: names their code caches, since the unpacked files' times vary. */
  bundleSha256?: string;
}

/**
 * The code cache file for `bundleName` in `dir`. In a checkout: beside the bundle, named for its size and
 * mtime. In an installed release package the folder must stay exactly as unpacked — Terraform checks its
 * hash against `.terraform.lock.hcl` on every command — so the cache goes to the user's own cache folder
 * (private to the user: V8 trusts a cache file), named for the bundles' content hash: every working
 * directory that installs the same release shares one cache file per bundle.
 */
function codeCacheFile(dir: string, bundleName: string): string {
  const tag = `${bundleName}.${process.version}-${process.arch}`;
  let manifest: ReleaseManifest;
  try {
    manifest = JSON.parse(readFileSync(join(dir, releaseManifestName), 'utf8')) as ReleaseManifest;
  } catch {
    const stat = statSync(join(dir, bundleName));
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

/** A bundle compiled through its code cache, ready to run. */
interface CompiledBundle {
  run(requireBuiltin: (id: string) => unknown): object;
  /** Whether V8 accepted an existing code cache. */
  accepted: boolean;
  /** Writes the code cache (once) unless V8 accepted the one there was. */
  saveCodeCache(): void;
}

function compileBundle(dir: string, bundleName: string, marks?: Array<[string, number]>): CompiledBundle {
  const bundleFile = join(dir, bundleName);
  const cacheFile = codeCacheFile(dir, bundleName);
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
  return {
    accepted,
    run: (requireBuiltin) => {
      const moduleFunction = script.runInThisContext() as ModuleFunction;
      const mod = { exports: {} };
      moduleFunction(mod.exports, requireBuiltin, mod, bundleFile, dir);
      return mod.exports;
    },
    saveCodeCache: () => {
      if (saved) return;
      saved = true;
      try {
        const tmp = `${cacheFile}.${process.pid}.tmp`;
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cacheFile); // atomic: Terraform runs several provider processes at once
      } catch {
        // a read-only install: every launch compiles, which is slower but correct
      }
    },
  };
}

/**
 * Loads and runs the provider bundle in `dir`; returns whether V8 accepted an existing code cache. The
 * bundle requires node built-ins only (provider-bundle-builder.ts refuses anything else), so it is given
 * the loader's own `require`, from the same folder: `createRequire` would load `node:module` and the ESM
 * loader modules first (about 0.3 ms). The built-ins start-up never uses load on first use
 * (deferred-builtins.ts). The late vendor bundle is compiled and run on the provider bundle's first call
 * of the hook under `lateVendorHookKey`; the code cache hook saves the caches of both.
 */
export function runProviderBundle(dir: string, requireBuiltin: NodeJS.Require): boolean {
  const marks: Array<[string, number]> | undefined = process.env['FERRY_PROVIDER_TRACE_STARTUP'] === '1' ? [['loader', performance.now()]] : undefined;
  const builtins = requireWithDeferredBuiltins(requireBuiltin);
  const provider = compileBundle(dir, providerBundleName, marks);
  marks?.push(['compiled', performance.now()]);
  let vendor: { bundle: CompiledBundle; exports: Record<string, unknown> } | undefined;
  const globals = globalThis as Record<symbol, unknown>;
  globals[lateVendorHookKey] = (id: string): unknown => {
    if (vendor === undefined) {
      const bundle = compileBundle(dir, lateVendorBundleName);
      vendor = { bundle, exports: bundle.run(builtins) as Record<string, unknown> };
    }
    if (!(id in vendor.exports)) throw new Error(`${lateVendorBundleName} has no module ${id}`);
    return vendor.exports[id];
  };
  globals[codeCacheHookKey] = (): void => {
    provider.saveCodeCache();
    vendor?.bundle.saveCodeCache();
  };
  if (marks !== undefined) globals[loaderMarksKey] = marks;
  provider.run(builtins);
  return provider.accepted;
}

// Only when run as the bundled loader.cjs (CommonJS); importing this file (ESM) runs nothing.
if (typeof module !== 'undefined' && typeof require !== 'undefined' && require.main === module) {
  runProviderBundle(__dirname, require);
}
