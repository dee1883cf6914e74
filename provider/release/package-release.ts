import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { providerVersion, repoRoot } from '../paths.js';
import { collectPackageFiles } from './package-files.js';
import { buildPackageZip } from './package-zip.js';
import { fileSha256, packageHashV1, zipHash } from './provider-hash.js';
import { requireChangelogEntry, requireCleanTree, requireNewVersion } from './release-guard.js';
import {
  archiveFileName,
  dependencyLockFile,
  manifestFileName,
  mirrorProviderDir,
  networkMirrorIndex,
  registryDocuments,
  releaseManifest,
  sha256Sums,
  sha256SumsFileName,
  type PackagedArchive,
  type ReleaseFile,
} from './release-layouts.js';
import { releasePlatforms, type ReleasePlatform } from './release-platforms.js';
import { openReleaseSigner, type ReleaseSigner } from './release-signature.js';

export interface PackageReleaseOptions {
  /** Releases go to `releasesDir/VERSION/`; one that exists already is refused. */
  releasesDir: string;
  signer: ReleaseSigner;
  /** The zips' timestamp (the release commit's time), so packaging the same commit twice is byte-identical. */
  epochSeconds: number;
  version?: string;
  platforms?: readonly ReleasePlatform[];
}

/** What `packageRelease` wrote, by absolute path. */
export interface PackagedRelease {
  version: string;
  dir: string;
  archives: PackagedArchive[];
  sha256SumsFile: string;
  signatureFile: string;
  publicKeyFile: string;
  /** Packed filesystem mirror and network mirror in one: point `filesystem_mirror` or a web server here. */
  mirrorDir: string;
  /** Static provider registry protocol documents; `providers.v1` is `<served URL>/registry/v1/providers/`. */
  registryDir: string;
  /** A `.terraform.lock.hcl` pinning every packaged platform. */
  lockFile: string;
}

/**
 * Packages the built provider (dist/provider-bundle) as Terraform's distribution format: one zip per
 * platform, the registry manifest, SHA256SUMS and its detached signature, the public key, and the mirror,
 * registry and lock-file layouts built from those zips. The folder appears whole or not at all.
 */
export async function packageRelease(options: PackageReleaseOptions): Promise<PackagedRelease> {
  const version = options.version ?? providerVersion;
  requireNewVersion(options.releasesDir, version);
  const finalDir = join(options.releasesDir, version);
  const files: ReleaseFile[] = [];
  const archives: PackagedArchive[] = [];
  for (const platform of options.platforms ?? releasePlatforms) {
    const packageFiles = collectPackageFiles(version, platform);
    const zip = await buildPackageZip(packageFiles, options.epochSeconds);
    const fileName = archiveFileName(version, platform);
    archives.push({ platform, fileName, h1: packageHashV1(packageFiles), zh: zipHash(zip) });
    files.push({ path: fileName, content: zip }, { path: `mirror/${mirrorProviderDir}/${fileName}`, content: zip });
  }
  files.push({ path: manifestFileName(version), content: releaseManifest() });
  const sha256ByFile = new Map(files.filter((f) => !f.path.includes('/')).map((f) => [f.path, fileSha256(Buffer.from(f.content))]));
  const sums = sha256Sums([...sha256ByFile].map(([fileName, sha256]) => ({ fileName, sha256 })));
  const sumsName = sha256SumsFileName(version);
  files.push(
    { path: sumsName, content: sums },
    { path: `${sumsName}.sig`, content: await options.signer.signDetached(Buffer.from(sums)) },
    { path: 'signing-key.asc', content: options.signer.publicKey.armoredPublicKey },
    { path: 'terraform.lock.hcl', content: dependencyLockFile(version, archives) },
    ...networkMirrorIndex(version, archives),
    ...registryDocuments(version, archives, options.signer.publicKey, sha256ByFile),
  );

  const stagingDir = `${finalDir}.${process.pid}.tmp`;
  rmSync(stagingDir, { recursive: true, force: true });
  try {
    for (const file of files) {
      const target = join(stagingDir, file.path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, file.content);
    }
    renameSync(stagingDir, finalDir);
  } catch (err) {
    rmSync(stagingDir, { recursive: true, force: true });
    throw err;
  }
  return {
    version,
    dir: finalDir,
    archives,
    sha256SumsFile: join(finalDir, sumsName),
    signatureFile: join(finalDir, `${sumsName}.sig`),
    publicKeyFile: join(finalDir, 'signing-key.asc'),
    mirrorDir: join(finalDir, 'mirror'),
    registryDir: join(finalDir, 'registry'),
    lockFile: join(finalDir, 'terraform.lock.hcl'),
  };
}

/** `npm run provider:package`: the key comes from files and the environment, never from arguments. */
async function main(): Promise<void> {
  const keyFile = process.env['FERRY_RELEASE_SIGNING_KEY_FILE'];
  if (keyFile === undefined || keyFile === '') {
    throw new Error('set FERRY_RELEASE_SIGNING_KEY_FILE to an armored OpenPGP private key file (see provider/README.md, "Releases")');
  }
  const outFlag = process.argv.indexOf('--out');
  const releasesDir = resolve(outFlag > 0 && process.argv[outFlag + 1] ? (process.argv[outFlag + 1] as string) : join(repoRoot, 'dist', 'release'));
  const { commit, commitEpochSeconds } = requireCleanTree(repoRoot);
  requireNewVersion(releasesDir, providerVersion);
  requireChangelogEntry(readFileSync(join(repoRoot, 'CHANGELOG.md'), 'utf8'), providerVersion);
  const passphrase = process.env['FERRY_RELEASE_SIGNING_KEY_PASSPHRASE'];
  const signer = await openReleaseSigner({ armoredPrivateKey: readFileSync(keyFile, 'utf8'), ...(passphrase ? { passphrase } : {}) });
  const release = await packageRelease({ releasesDir, signer, epochSeconds: commitEpochSeconds });
  process.stdout.write(
    [
      `Packaged terraform-provider-ferry ${release.version} (commit ${commit.slice(0, 12)}) into ${release.dir}`,
      ...release.archives.map((a) => `  ${a.fileName}  ${a.h1}`),
      `  signed by key ${signer.publicKey.keyId}`,
      `  filesystem / network mirror: ${release.mirrorDir}`,
      `  registry documents:          ${release.registryDir}`,
      `  lock file for every platform: ${release.lockFile}`,
      '',
    ].join('\n'),
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`provider:package failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
