import { posix } from 'node:path';
import { providerSourceAddress } from '../paths.js';
import type { PublicSigningKey } from './release-signature.js';
import { platformName, type ReleasePlatform } from './release-platforms.js';

/** One packaged platform: its zip's name and Terraform's two hashes of it. */
export interface PackagedArchive {
  platform: ReleasePlatform;
  fileName: string;
  /** `h1:` — of the unpacked contents; what `terraform init` computes from a mirror. */
  h1: string;
  /** `zh:` — of the zip; what registries sign through SHA256SUMS. */
  zh: string;
}

/** A file of the release folder: path relative to it (forward slashes) and contents. */
export interface ReleaseFile {
  path: string;
  content: Buffer | string;
}

export function archiveFileName(version: string, platform: ReleasePlatform): string {
  return `terraform-provider-ferry_${version}_${platformName(platform)}.zip`;
}

export function sha256SumsFileName(version: string): string {
  return `terraform-provider-ferry_${version}_SHA256SUMS`;
}

export function manifestFileName(version: string): string {
  return `terraform-provider-ferry_${version}_manifest.json`;
}

/** The registry's manifest: which plugin protocol versions the release speaks. */
export function releaseManifest(): string {
  return `${JSON.stringify({ version: 1, metadata: { protocol_versions: ['6.0'] } }, null, 2)}\n`;
}

/** `sha256  file` lines, sorted by file name, as `shasum -a 256` and registries write them. */
export function sha256Sums(entries: ReadonlyArray<{ fileName: string; sha256: string }>): string {
  return [...entries]
    .sort((a, b) => (a.fileName < b.fileName ? -1 : 1))
    .map((e) => `${e.sha256}  ${e.fileName}\n`)
    .join('');
}

const [host, namespace, type] = providerSourceAddress.split('/') as [string, string, string];

/** Where the provider's files live in a mirror: HOST/NAMESPACE/TYPE. */
export const mirrorProviderDir = `${host}/${namespace}/${type}`;

/**
 * The packed filesystem mirror and the network mirror are one folder: the zips under HOST/NAMESPACE/TYPE/
 * (what `filesystem_mirror` reads; it ignores the JSON) plus the network mirror protocol's two static
 * documents beside them, `index.json` (versions) and `VERSION.json` (archives with their `h1:` hashes).
 * The zips themselves are added by the caller.
 */
export function networkMirrorIndex(version: string, archives: readonly PackagedArchive[]): ReleaseFile[] {
  const versionDoc = {
    archives: Object.fromEntries(archives.map((a) => [platformName(a.platform), { url: a.fileName, hashes: [a.h1] }])),
  };
  return [
    { path: `mirror/${mirrorProviderDir}/index.json`, content: `${JSON.stringify({ versions: { [version]: {} } }, null, 2)}\n` },
    { path: `mirror/${mirrorProviderDir}/${version}.json`, content: `${JSON.stringify(versionDoc, null, 2)}\n` },
  ];
}

/**
 * The provider registry protocol (`providers.v1`) as static files under registry/v1/providers/: a versions
 * list and one download document per platform pointing at the release's zip, SHA256SUMS and signature with
 * the public key. Unlike a mirror, this lets Terraform check the signature, after which it records the `zh:`
 * hash of every platform in the lock file — and `terraform providers lock`, which ignores mirrors, works.
 */
export function registryDocuments(
  version: string,
  archives: readonly PackagedArchive[],
  key: PublicSigningKey,
  sha256ByFile: ReadonlyMap<string, string>,
): ReleaseFile[] {
  const base = `registry/v1/providers/${namespace}/${type}`;
  const files: ReleaseFile[] = [
    {
      path: `${base}/versions`,
      content: `${JSON.stringify(
        { versions: [{ version, protocols: ['6.0'], platforms: archives.map((a) => ({ os: a.platform.os, arch: a.platform.arch })) }] },
        null,
        2,
      )}\n`,
    },
  ];
  for (const a of archives) {
    const docPath = `${base}/${version}/download/${a.platform.os}/${a.platform.arch}`;
    const fromDoc = (target: string): string => posix.relative(posix.dirname(docPath), target);
    const sha256 = sha256ByFile.get(a.fileName);
    if (sha256 === undefined) throw new Error(`no SHA-256 for ${a.fileName}`);
    const doc = {
      protocols: ['6.0'],
      os: a.platform.os,
      arch: a.platform.arch,
      filename: a.fileName,
      download_url: fromDoc(a.fileName),
      shasums_url: fromDoc(sha256SumsFileName(version)),
      shasums_signature_url: fromDoc(`${sha256SumsFileName(version)}.sig`),
      shasum: sha256,
      signing_keys: { gpg_public_keys: [{ key_id: key.keyId, ascii_armor: key.armoredPublicKey, source: 'Ferry', source_url: null }] },
    };
    files.push({ path: docPath, content: `${JSON.stringify(doc, null, 2)}\n` });
  }
  return files;
}

/**
 * A dependency lock entry pinning this release on every packaged platform (`h1:` and `zh:` of each), in the
 * format `terraform init` writes. Copied to `.terraform.lock.hcl` before `terraform init`, it makes an
 * install from a mirror check the package against it and keep every platform's hashes.
 */
export function dependencyLockFile(version: string, archives: readonly PackagedArchive[]): string {
  const hashes = [...new Set(archives.flatMap((a) => [a.h1, a.zh]))].sort();
  return [
    '# This file is maintained automatically by "terraform init".',
    '# Manual edits may be lost in future updates.',
    '',
    `provider ${JSON.stringify(providerSourceAddress)} {`,
    `  version = ${JSON.stringify(version)}`,
    '  hashes = [',
    ...hashes.map((h) => `    ${JSON.stringify(h)},`),
    '  ]',
    '}',
    '',
  ].join('\n');
}
