import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import packageJson from '../package.json' with { type: 'json' };

/**
 * Locates the repository root from this module, whether it runs from `provider/` (tsx, tests), from the
 * compiled `dist/provider/` tree or from an unpacked release package (which carries `schemas/` but no
 * `.proto` sources): the root is the nearest ancestor holding `schemas/tfplugin6.descriptor.json`.
 */
function findRepoRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'schemas', 'tfplugin6.descriptor.json'))) return dir;
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
/** package.json's `version`: the provider and the server are released together under one version. */
export const providerVersion: string = packageJson.version;
/** package.json's `engines.node` minimum (e.g. `20.17`): the launcher refuses an older node, naming it. */
export const requiredNodeVersion: string = packageJson.engines.node.replace(/^>=\s*/, '');
