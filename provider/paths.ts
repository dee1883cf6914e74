import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Locates the repository root from this module, whether it runs from `provider/` (tsx, tests) or from the
 * compiled `dist/provider/` tree: the root is the nearest ancestor holding `schemas/proto/tfplugin6.proto`.
 */
function findRepoRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'schemas', 'proto', 'tfplugin6.proto'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the Ferry repository above ${start}`);
    dir = parent;
  }
}

export const repoRoot = findRepoRoot(dirname(fileURLToPath(import.meta.url)));
export const schemasDir = join(repoRoot, 'schemas');
export const protoDir = join(schemasDir, 'proto');
export const protoDescriptorFile = join(schemasDir, 'tfplugin6.descriptor.json');
export const providerSchemaFile = join(schemasDir, 'ferry-provider.schema.json');
export const providerLauncherFile = join(repoRoot, 'provider', 'bin', 'terraform-provider-ferry');
/** `npm run build` writes the one-file provider and the loader the launcher runs here. */
export const providerBundleDir = join(repoRoot, 'dist', 'provider-bundle');
export const providerBundleLoaderFile = join(providerBundleDir, 'loader.cjs');

/** The provider's source address, as written in `required_providers` and in schema output. */
export const providerSourceAddress = 'registry.terraform.io/ferry-project/ferry';
export const providerVersion = '0.1.0';
