import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';
import { repoRoot, vendorBundleFile } from '../paths.js';
import type * as VendorModules from './vendor-modules.js';

/** The third-party modules used on the startup path (gRPC, protobuf runtime, X.509, logging). */
export type Vendor = typeof VendorModules;

/** Metadata written beside the bundle; a bundle built from another package-lock.json is ignored. */
export interface VendorStamp {
  lockfileSize: number;
  lockfileMtimeMs: number;
}

export const vendorStampFile = vendorBundleFile.replace(/\.cjs$/, '.stamp.json');
const codeCacheFile = `${vendorBundleFile}.${process.version}-${process.arch}.v8cache`;

export function currentVendorStamp(): VendorStamp {
  const lock = statSync(`${repoRoot}/package-lock.json`);
  return { lockfileSize: lock.size, lockfileMtimeMs: Math.trunc(lock.mtimeMs) };
}

let pendingCodeCache: Script | undefined;

/**
 * Loads the startup modules. When `npm run provider:bundle` has produced an up-to-date bundle it is run
 * through V8's code cache (compiling grpc-js and the ASN.1 stack dominates startup otherwise); else the
 * modules come from node_modules as usual. Both paths expose the same modules.
 */
export async function loadVendor(): Promise<Vendor> {
  const bundled = loadVendorBundle();
  if (bundled !== undefined) return bundled;
  return await import('./vendor-modules.js');
}

function loadVendorBundle(): Vendor | undefined {
  if (process.env['FERRY_PROVIDER_NO_BUNDLE'] === '1' || !existsSync(vendorBundleFile)) return undefined;
  try {
    const stamp = JSON.parse(readFileSync(vendorStampFile, 'utf8')) as VendorStamp;
    const now = currentVendorStamp();
    if (stamp.lockfileSize !== now.lockfileSize || stamp.lockfileMtimeMs !== now.lockfileMtimeMs) return undefined;
  } catch {
    return undefined;
  }
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(codeCacheFile);
  } catch {
    cachedData = undefined;
  }
  const source = readFileSync(vendorBundleFile, 'utf8');
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  const script = new Script(wrapped, { filename: vendorBundleFile, ...(cachedData ? { cachedData } : {}) });
  if (cachedData === undefined || script.cachedDataRejected === true) pendingCodeCache = script;
  const moduleFn = script.runInThisContext() as (
    exports: object, require: NodeJS.Require, module: { exports: object }, filename: string, dirname: string,
  ) => void;
  const mod = { exports: {} };
  moduleFn(mod.exports, createRequire(vendorBundleFile), mod, vendorBundleFile, dirname(vendorBundleFile));
  return mod.exports as Vendor;
}

/**
 * Writes V8's code cache for the bundle if this launch had none. Called once the process has done real
 * work (so lazily compiled functions are included); failures are ignored, the cache is an optimisation.
 */
export function saveVendorCodeCache(): void {
  const script = pendingCodeCache;
  if (script === undefined) return;
  pendingCodeCache = undefined;
  try {
    const tmp = `${codeCacheFile}.${process.pid}.tmp`;
    writeFileSync(tmp, script.createCachedData());
    renameSync(tmp, codeCacheFile);
  } catch {
    // read-only install or a concurrent writer: the next launch simply compiles again
  }
}
