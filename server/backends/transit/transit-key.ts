import { invalidRequest } from '../../core/vault-error.js';
import { generateKeyMaterial, traitsOf, type KeyMaterial, type TransitKeyType } from './transit-key-type.js';

/** One version of a named key: its material and when it was made. */
export interface KeyVersion extends KeyMaterial {
  /** RFC 3339. */
  creation_time: string;
}

/**
 * A named transit key (Vault's "policy"): every live version's material plus the settings that
 * govern which versions may encrypt and decrypt. Stored as one JSON document inside the barrier.
 */
export interface TransitKey {
  name: string;
  type: TransitKeyType;
  derived: boolean;
  convergent_encryption: boolean;
  exportable: boolean;
  allow_plaintext_backup: boolean;
  deletion_allowed: boolean;
  latest_version: number;
  min_decryption_version: number;
  /** 0 means "the latest version". */
  min_encryption_version: number;
  min_available_version: number;
  auto_rotate_period_seconds: number;
  /** Size of an `hmac` key in bytes. */
  key_size: number;
  versions: Record<string, KeyVersion>;
}

export interface NewKeyOptions {
  readonly type: TransitKeyType;
  readonly derived: boolean;
  readonly convergentEncryption: boolean;
  readonly exportable: boolean;
  readonly allowPlaintextBackup: boolean;
  readonly autoRotatePeriodSeconds: number;
  readonly keySize: number;
}

export const MIN_AUTO_ROTATE_SECONDS = 3600;

export function checkAutoRotatePeriod(seconds: number): void {
  if (seconds !== 0 && seconds < MIN_AUTO_ROTATE_SECONDS) throw invalidRequest('auto rotate period must be 0 to disable or at least an hour');
}

/** Validates the options of a new key and generates its first version. */
export async function createTransitKey(name: string, options: NewKeyOptions): Promise<TransitKey> {
  const traits = traitsOf(options.type);
  if (options.convergentEncryption && !options.derived) throw invalidRequest('convergent encryption requires derivation to be enabled');
  if (options.derived && !traits.supportsDerivation) throw invalidRequest(`key derivation is not supported for key type "${options.type}"`);
  if (options.convergentEncryption && !traits.supportsEncryption)
    throw invalidRequest(`convergent encryption not supported for keys of type "${options.type}"`);
  checkAutoRotatePeriod(options.autoRotatePeriodSeconds);
  let keySize = 0;
  if (options.type === 'hmac') {
    keySize = options.keySize === 0 ? 32 : options.keySize;
    if (keySize < 32 || keySize > 512) throw invalidRequest('key_size must be between 32 and 512 bytes');
  } else if (options.keySize !== 0) {
    throw invalidRequest('key_size is only valid for hmac keys');
  }
  return {
    name,
    type: options.type,
    derived: options.derived,
    convergent_encryption: options.convergentEncryption,
    exportable: options.exportable,
    allow_plaintext_backup: options.allowPlaintextBackup,
    deletion_allowed: false,
    latest_version: 1,
    min_decryption_version: 1,
    min_encryption_version: 0,
    min_available_version: 0,
    auto_rotate_period_seconds: options.autoRotatePeriodSeconds,
    key_size: keySize,
    versions: { '1': { ...(await generateKeyMaterial(options.type, keySize || undefined)), creation_time: new Date().toISOString() } },
  };
}

/** Adds a new latest version. */
export async function rotateTransitKey(key: TransitKey): Promise<TransitKey> {
  const next = key.latest_version + 1;
  const material = await generateKeyMaterial(key.type, key.key_size || undefined);
  return { ...key, latest_version: next, versions: { ...key.versions, [String(next)]: { ...material, creation_time: new Date().toISOString() } } };
}

/** The version used to encrypt, sign or HMAC: `requested` (0 = latest) within the allowed range. */
export function encryptionVersion(key: TransitKey, requested: number): { version: number; material: KeyVersion } {
  const version = requested === 0 ? key.latest_version : requested;
  if (version < 0) throw invalidRequest('requested version for encryption is negative');
  if (version > key.latest_version) throw invalidRequest('requested version for encryption is higher than the latest key version');
  if (key.min_encryption_version > 0 && version < key.min_encryption_version) {
    throw invalidRequest('requested version for encryption is less than the minimum encryption key version');
  }
  return { version, material: versionMaterial(key, version) };
}

/** The version named by a ciphertext, signature or HMAC, if policy still allows it. */
export function decryptionVersion(key: TransitKey, version: number): KeyVersion {
  if (version > key.latest_version) throw invalidRequest('invalid ciphertext: version is too new');
  if (version < key.min_decryption_version) throw invalidRequest('ciphertext or signature version is disallowed by policy (too old)');
  return versionMaterial(key, version);
}

function versionMaterial(key: TransitKey, version: number): KeyVersion {
  const material = key.versions[String(version)];
  if (material === undefined) throw invalidRequest(`key version ${version} is not available (trimmed)`);
  return material;
}

export interface KeyConfigChange {
  minDecryptionVersion?: number;
  minEncryptionVersion?: number;
  deletionAllowed?: boolean;
  exportable?: boolean;
  allowPlaintextBackup?: boolean;
  autoRotatePeriodSeconds?: number;
}

/** Applies `keys/:name/config`; validates the whole change before returning the new key. */
export function configureTransitKey(key: TransitKey, change: KeyConfigChange): TransitKey {
  const next = { ...key };
  if (change.minDecryptionVersion !== undefined) {
    const v = change.minDecryptionVersion === 0 ? 1 : change.minDecryptionVersion;
    if (v < 0) throw invalidRequest('min decryption version cannot be negative');
    if (v > key.latest_version) throw invalidRequest(`cannot set min decryption version of ${v}, latest key version is ${key.latest_version}`);
    if (v < key.min_available_version)
      throw invalidRequest(`cannot set min decryption version of ${v} below the min available version ${key.min_available_version}`);
    next.min_decryption_version = v;
  }
  if (change.minEncryptionVersion !== undefined) {
    const v = change.minEncryptionVersion;
    if (v < 0) throw invalidRequest('min encryption version cannot be negative');
    if (v > key.latest_version) throw invalidRequest(`cannot set min encryption version of ${v}, latest key version is ${key.latest_version}`);
    next.min_encryption_version = v;
  }
  if (next.min_encryption_version > 0 && next.min_encryption_version < next.min_decryption_version) {
    throw invalidRequest('min encryption version should not be less than min decryption version');
  }
  if (change.deletionAllowed !== undefined) next.deletion_allowed = change.deletionAllowed;
  if (change.exportable !== undefined) {
    if (key.exportable && !change.exportable) throw invalidRequest('exportable key cannot be made non-exportable');
    next.exportable = change.exportable;
  }
  if (change.allowPlaintextBackup !== undefined) {
    if (key.allow_plaintext_backup && !change.allowPlaintextBackup) throw invalidRequest('plaintext backup cannot be disabled once allowed');
    next.allow_plaintext_backup = change.allowPlaintextBackup;
  }
  if (change.autoRotatePeriodSeconds !== undefined) {
    checkAutoRotatePeriod(change.autoRotatePeriodSeconds);
    next.auto_rotate_period_seconds = change.autoRotatePeriodSeconds;
  }
  return next;
}

/** `keys/:name/trim`: deletes every version below `minAvailable` for good. */
export function trimTransitKey(key: TransitKey, minAvailable: number): TransitKey {
  if (minAvailable < 1) throw invalidRequest('minimum available version should be positive');
  if (key.min_encryption_version === 0) throw invalidRequest('minimum encryption version must be set before trimming');
  if (minAvailable < key.min_available_version) throw invalidRequest('minimum available version cannot be decremented');
  if (minAvailable > key.min_encryption_version) throw invalidRequest('minimum available version should not be greater than minimum encryption version');
  if (minAvailable > key.min_decryption_version) throw invalidRequest('minimum available version should not be greater than minimum decryption version');
  const versions: Record<string, KeyVersion> = {};
  for (const [v, material] of Object.entries(key.versions)) if (Number(v) >= minAvailable) versions[v] = material;
  return { ...key, min_available_version: minAvailable, versions };
}

/** The read view of a key: settings and, per version, its creation time (and public key). */
export function transitKeyView(key: TransitKey): Record<string, unknown> {
  const traits = traitsOf(key.type);
  const keys: Record<string, unknown> = {};
  for (const [v, material] of Object.entries(key.versions)) {
    const unix = Math.floor(Date.parse(material.creation_time) / 1000);
    keys[v] =
      traits.displayName === undefined ? unix : { creation_time: material.creation_time, name: traits.displayName, public_key: material.public_key ?? '' };
  }
  return {
    name: key.name,
    type: key.type,
    keys,
    latest_version: key.latest_version,
    min_available_version: key.min_available_version,
    min_decryption_version: key.min_decryption_version,
    min_encryption_version: key.min_encryption_version,
    deletion_allowed: key.deletion_allowed,
    derived: key.derived,
    exportable: key.exportable,
    allow_plaintext_backup: key.allow_plaintext_backup,
    auto_rotate_period: key.auto_rotate_period_seconds,
    imported_key: false,
    supports_encryption: traits.supportsEncryption,
    supports_decryption: traits.supportsEncryption,
    supports_derivation: traits.supportsDerivation,
    supports_signing: traits.supportsSigning,
    ...(key.derived ? { kdf: 'hkdf_sha256', convergent_encryption: key.convergent_encryption } : {}),
    ...(key.convergent_encryption ? { convergent_encryption_version: 3 } : {}),
    ...(key.type === 'hmac' ? { key_size: key.key_size } : {}),
  };
}
