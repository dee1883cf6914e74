import { createMessage, encrypt, readKey, type Key } from 'openpgp';
import { invalidRequest } from './vault-error.js';

/** Key shares encrypted to OpenPGP public keys, one key per share, in order. */
export interface PgpEncryptedShares {
  /** Lower-case hex fingerprints of the keys, in the order of `pgp_keys`. */
  readonly fingerprints: string[];
  /** Binary OpenPGP messages; each decrypts to the hex encoding of its share, as in Vault. */
  readonly encrypted: Buffer[];
}

/**
 * Parses one entry of `pgp_keys`: a base64-encoded binary public key (Vault's form) or an
 * ASCII-armored one. Keybase references are not supported. Errors name the position, never the key.
 */
export async function readPgpPublicKey(text: string, index: number): Promise<Key> {
  const trimmed = text.trim();
  if (trimmed.startsWith('keybase:')) throw invalidRequest('keybase PGP keys are not supported; give base64-encoded public keys');
  let key: Key;
  try {
    key = trimmed.startsWith('-----BEGIN PGP')
      ? await readKey({ armoredKey: trimmed })
      : await readKey({ binaryKey: new Uint8Array(Buffer.from(trimmed, 'base64')) });
  } catch {
    throw invalidRequest(`error parsing PGP key ${index + 1}: not a valid base64-encoded OpenPGP public key`);
  }
  if (key.isPrivate()) throw invalidRequest(`PGP key ${index + 1} is a private key; give the public key`);
  return key;
}

/** Checks every key of `pgp_keys` (at rekey init) and returns their fingerprints. */
export async function pgpFingerprints(pgpKeys: readonly string[]): Promise<string[]> {
  const keys = await Promise.all(pgpKeys.map((k, i) => readPgpPublicKey(k, i)));
  return keys.map((k) => k.getFingerprint().toLowerCase());
}

/** Encrypts share i to key i with the openpgp library (never hand-rolled). */
export async function encryptSharesToPgpKeys(shares: readonly Buffer[], pgpKeys: readonly string[]): Promise<PgpEncryptedShares> {
  if (shares.length !== pgpKeys.length) throw invalidRequest('incorrect number of PGP keys for rekey');
  const fingerprints: string[] = [];
  const encrypted: Buffer[] = [];
  for (const [i, share] of shares.entries()) {
    const key = await readPgpPublicKey(pgpKeys[i] as string, i);
    let message: Uint8Array;
    try {
      message = await encrypt({
        message: await createMessage({ binary: new Uint8Array(Buffer.from(share.toString('hex'), 'utf8')) }),
        encryptionKeys: key,
        format: 'binary',
      });
    } catch {
      throw invalidRequest(`error encrypting to PGP key ${i + 1}: the key cannot encrypt`);
    }
    fingerprints.push(key.getFingerprint().toLowerCase());
    encrypted.push(Buffer.from(message));
  }
  return { fingerprints, encrypted };
}
