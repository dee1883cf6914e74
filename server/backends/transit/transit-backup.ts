import { createPrivateKey, createPublicKey } from 'node:crypto';
import { invalidRequest } from '../../core/vault-error.js';
import { ed25519PublicKey } from './transit-key-objects.js';
import { KEY_TYPES, traitsOf, type TransitKeyType } from './transit-key-type.js';
import type { TransitKey } from './transit-key.js';

const BACKUP_FORMAT = 'ferry-transit-backup-v1';
const NAME = /^\w(?:[\w.-]*\w)?$/;

/** A plaintext backup of a key (every version and setting), allowed only when the key says so. */
export function backupOf(key: TransitKey): string {
  if (!key.exportable) throw invalidRequest('exporting is disallowed on the policy');
  if (!key.allow_plaintext_backup) throw invalidRequest('plaintext backup is disallowed on the policy');
  return Buffer.from(JSON.stringify({ format: BACKUP_FORMAT, policy: key })).toString('base64');
}

/** Parses and checks a backup blob; `name` (from the path) renames the restored key. */
export function restoreFromBackup(blob: string, name: string | undefined): TransitKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(blob, 'base64').toString('utf8'));
  } catch {
    throw invalidRequest('failed to decode backup: not a transit key backup');
  }
  const policy = (parsed as { format?: unknown; policy?: unknown } | null)?.policy as TransitKey | undefined;
  if ((parsed as { format?: unknown } | null)?.format !== BACKUP_FORMAT || !isTransitKey(policy)) {
    throw invalidRequest('failed to decode backup: not a transit key backup');
  }
  const restored = { ...policy, name: name ?? policy.name };
  if (!NAME.test(restored.name)) throw invalidRequest('invalid key name in backup');
  return restored;
}

function isTransitKey(value: unknown): value is TransitKey {
  if (typeof value !== 'object' || value === null) return false;
  const key = value as Record<string, unknown>;
  const ints = ['latest_version', 'min_decryption_version', 'min_encryption_version', 'min_available_version'];
  if (typeof key.name !== 'string' || typeof key.type !== 'string' || !Object.hasOwn(KEY_TYPES, key.type)) return false;
  if (!ints.every((f) => Number.isSafeInteger(key[f]) && (key[f] as number) >= 0)) return false;
  if (typeof key.versions !== 'object' || key.versions === null) return false;
  const versions = Object.entries(key.versions as Record<string, unknown>);
  if (versions.length === 0 || !versions.some(([v]) => Number(v) === key.latest_version)) return false;
  return versions.every(([v, m]) => /^[1-9]\d*$/.test(v) && hasUsableMaterial(key.type as TransitKeyType, m));
}

const bytesOf = (value: unknown): Buffer | undefined =>
  typeof value === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(value) ? Buffer.from(value, 'base64') : undefined;

/** A restored version must work with Node's crypto, or every later use would fail inside the server. */
function hasUsableMaterial(type: TransitKeyType, value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  if (typeof m.creation_time !== 'string' || Number.isNaN(Date.parse(m.creation_time))) return false;
  const hmacKey = bytesOf(m.hmac_key);
  if (hmacKey === undefined || hmacKey.length < 16) return false;
  const traits = traitsOf(type);
  try {
    switch (traits.family) {
      case 'aead':
        return bytesOf(m.key)?.length === traits.keyBytes;
      case 'hmac':
        return (bytesOf(m.key)?.length ?? 0) >= 32;
      case 'ed25519': {
        const seed = bytesOf(m.key);
        return seed?.length === 32 && ed25519PublicKey(seed).toString('base64') === m.public_key;
      }
      case 'ecdsa':
      case 'rsa': {
        if (typeof m.private_pem !== 'string' || typeof m.public_key !== 'string') return false;
        const privateKey = createPrivateKey(m.private_pem);
        const publicKey = createPublicKey(m.public_key);
        const expected = traits.family === 'ecdsa' ? 'ec' : 'rsa';
        if (privateKey.asymmetricKeyType !== expected || publicKey.asymmetricKeyType !== expected) return false;
        const details = privateKey.asymmetricKeyDetails ?? {};
        return traits.family === 'ecdsa' ? details.namedCurve === nodeCurve(traits.nodeName) : details.modulusLength === traits.rsaBits;
      }
    }
  } catch {
    return false;
  }
}

/** Node reports curves by their OpenSSL names. */
function nodeCurve(name: string | undefined): string {
  return { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1' }[name ?? ''] ?? '';
}
