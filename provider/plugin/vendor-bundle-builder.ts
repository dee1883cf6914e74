import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { repoRoot, vendorBundleFile } from '../paths.js';
import { currentVendorStamp, vendorStampFile } from './vendor.js';

/**
 * Bundles provider/plugin/vendor-modules.ts with its dependencies into one CommonJS file under dist/, so
 * the provider's launch compiles one script (and, from the second launch on, none: see vendor.ts).
 */
export async function buildVendorBundle(): Promise<string> {
  mkdirSync(dirname(vendorBundleFile), { recursive: true });
  for (const stale of [vendorBundleFile, vendorStampFile]) rmSync(stale, { force: true });
  await build({
    entryPoints: [join(repoRoot, 'provider', 'plugin', 'vendor-modules.ts')],
    outfile: vendorBundleFile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    legalComments: 'linked',
    logLevel: 'warning',
  });
  writeFileSync(vendorStampFile, JSON.stringify(currentVendorStamp()) + '\n');
  return vendorBundleFile;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  buildVendorBundle().then(
    (file) => process.stderr.write(`wrote ${file}\n`),
    (err: unknown) => {
      process.stderr.write(`provider bundle failed: ${String(err)}\n`);
      process.exit(1);
    },
  );
}
