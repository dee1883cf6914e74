/**
 * Packages the built provider (dist/provider-bundle: run `npm run build` first) as a release signed with a
 * throwaway OpenPGP key, the way `npm run provider:package` does, minus the clean-tree check (tests run in
 * trees being worked on). Also reads the hashes out of a `.terraform.lock.hcl`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { providerSourceAddress, repoRoot } from '../../provider/paths.js';
import { packageRelease, type PackagedRelease } from '../../provider/release/package-release.js';
import { commitOf } from '../../provider/release/release-guard.js';
import { openReleaseSigner } from '../../provider/release/release-signature.js';

export async function packageThrowawayRelease(releasesDir: string): Promise<PackagedRelease> {
  const { privateKey } = await openpgp.generateKey({ userIDs: [{ name: 'Ferry throwaway test release key' }], format: 'armored' });
  const signer = await openReleaseSigner({ armoredPrivateKey: privateKey });
  return await packageRelease({ releasesDir, signer, epochSeconds: commitOf(repoRoot).commitEpochSeconds });
}

/** The hashes recorded for the Ferry provider in a lock file, sorted. */
export function lockedHashes(lockFile: string): string[] {
  const text = readFileSync(lockFile, 'utf8');
  const block = text.slice(text.indexOf(`provider "${providerSourceAddress}"`));
  const list = /hashes = \[([^\]]*)\]/.exec(block)?.[1];
  if (list === undefined) throw new Error(`${lockFile} has no hashes for ${providerSourceAddress}:\n${text}`);
  return [...list.matchAll(/"([^"]+)"/g)].map((m) => m[1] as string).sort();
}

/** Writes a Terraform CLI configuration file and returns its path. */
export function writeCliConfig(dir: string, name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, body);
  return file;
}
