import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { lateVendorBundleName, providerBundleName, releaseManifestName } from '../plugin/bundle-loader.js';
import { providerBundleDir, providerLauncherFile, protoDescriptorFile, providerSchemaFile, repoRoot, requiredNodeVersion } from '../paths.js';
import type { PackageFile } from './provider-hash.js';
import { platformName, type ReleasePlatform } from './release-platforms.js';

/** The executable's name in a package: Terraform runs the `terraform-provider-ferry*` file at its root. */
export function packageExecutableName(version: string): string {
  return `terraform-provider-ferry_v${version}`;
}

/**
 * The files of one platform's package. The layout inside the zip mirrors the checkout, so the launcher and
 * paths.ts find everything the same way in both:
 *
 *   terraform-provider-ferry_vX.Y.Z            the launcher (provider/bin/terraform-provider-ferry)
 *   dist/provider-bundle/loader.cjs, terraform-provider-ferry.cjs, terraform-provider-ferry-vendor.cjs (the
 *                                              libraries loaded after the handshake), their legal notices; the
 *                                              loader opens with provider/bin/node-check.cjs: refuses a too-old node
 *   dist/provider-bundle/release.json          version and platform; also tells the loader it is installed
 *   schemas/tfplugin6.descriptor.json, schemas/ferry-provider.schema.json
 *   LICENSE
 *
 * The launcher's second line names the platform, so each platform's package (and hash) is its own.
 */
export function collectPackageFiles(version: string, platform: ReleasePlatform): PackageFile[] {
  if (!existsSync(join(providerBundleDir, 'loader.cjs'))) throw new Error(`${providerBundleDir} has no provider bundle: run npm run build first`);
  const launcher = readFileSync(providerLauncherFile, 'utf8');
  const shebang = '#!/bin/sh\n';
  if (!launcher.startsWith(shebang)) throw new Error(`${providerLauncherFile} does not start with ${shebang.trim()}`);
  const stamped = `${shebang}# terraform-provider-ferry ${version}, release package for ${platformName(platform)}\n${launcher.slice(shebang.length)}`;
  const text = (name: string, content: string | Buffer, mode = 0o644): PackageFile => ({ name, content: Buffer.from(content), mode });
  const bundleFiles = readdirSync(providerBundleDir)
    .filter((name) => name.endsWith('.cjs') || name.endsWith('.LEGAL.txt'))
    .filter((name) => name !== releaseManifestName)
    .sort();
  // Names the code caches of both bundles in the user's cache folder (bundle-loader.ts).
  const bundleSha256 = createHash('sha256')
    .update(readFileSync(join(providerBundleDir, providerBundleName)))
    .update(readFileSync(join(providerBundleDir, lateVendorBundleName)))
    .digest('hex');
  const manifest = { name: 'terraform-provider-ferry', version, os: platform.os, arch: platform.arch, node: `>=${requiredNodeVersion}`, bundleSha256 };
  return [
    text(packageExecutableName(version), stamped, 0o755),
    ...bundleFiles.map((name) => text(`dist/provider-bundle/${name}`, readFileSync(join(providerBundleDir, name)))),
    text(`dist/provider-bundle/${releaseManifestName}`, `${JSON.stringify(manifest, null, 2)}\n`),
    text('schemas/tfplugin6.descriptor.json', readFileSync(protoDescriptorFile)),
    text('schemas/ferry-provider.schema.json', readFileSync(providerSchemaFile)),
    text('LICENSE', readFileSync(join(repoRoot, 'LICENSE'))),
  ];
}
