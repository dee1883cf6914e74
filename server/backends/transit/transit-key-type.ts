import { generateKeyPair, randomBytes, type KeyPairKeyObjectResult } from 'node:crypto';
import { promisify } from 'node:util';
import { invalidRequest } from '../../core/vault-error.js';
import { ed25519PublicKey } from './transit-key-objects.js';

const generateKeyPairAsync = promisify(generateKeyPair) as (type: string, options: Record<string, unknown>) => Promise<KeyPairKeyObjectResult>;

export type TransitKeyType =
  | 'aes128-gcm96'
  | 'aes256-gcm96'
  | 'chacha20-poly1305'
  | 'ed25519'
  | 'ecdsa-p256'
  | 'ecdsa-p384'
  | 'ecdsa-p521'
  | 'rsa-2048'
  | 'rsa-3072'
  | 'rsa-4096'
  | 'hmac';

/** What a key type can do, as Vault's `supports_*` fields report it. */
export interface KeyTypeTraits {
  /** aead: symmetric AEAD; ed25519/ecdsa/rsa: asymmetric; hmac: an HMAC key only. */
  readonly family: 'aead' | 'ed25519' | 'ecdsa' | 'rsa' | 'hmac';
  readonly supportsEncryption: boolean;
  readonly supportsSigning: boolean;
  readonly supportsDerivation: boolean;
  /** AEAD key length in bytes. */
  readonly keyBytes?: number;
  /** Node's cipher name (AEAD) or named curve (ECDSA). */
  readonly nodeName?: string;
  readonly rsaBits?: number;
  /** Name shown in a key version's `name` for asymmetric keys. */
  readonly displayName?: string;
}

const aead = (keyBytes: number, nodeName: string): KeyTypeTraits => ({
  family: 'aead',
  supportsEncryption: true,
  supportsSigning: false,
  supportsDerivation: true,
  keyBytes,
  nodeName,
});
const ecdsa = (curve: string): KeyTypeTraits => ({
  family: 'ecdsa',
  supportsEncryption: false,
  supportsSigning: true,
  supportsDerivation: false,
  nodeName: curve,
  displayName: curve,
});
const rsa = (bits: number): KeyTypeTraits => ({
  family: 'rsa',
  supportsEncryption: true,
  supportsSigning: true,
  supportsDerivation: false,
  rsaBits: bits,
  displayName: `rsa-${bits}`,
});

export const KEY_TYPES: Readonly<Record<TransitKeyType, KeyTypeTraits>> = Object.freeze({
  'aes128-gcm96': aead(16, 'aes-128-gcm'),
  'aes256-gcm96': aead(32, 'aes-256-gcm'),
  'chacha20-poly1305': aead(32, 'chacha20-poly1305'),
  ed25519: { family: 'ed25519', supportsEncryption: false, supportsSigning: true, supportsDerivation: true, displayName: 'ed25519' },
  'ecdsa-p256': ecdsa('P-256'),
  'ecdsa-p384': ecdsa('P-384'),
  'ecdsa-p521': ecdsa('P-521'),
  'rsa-2048': rsa(2048),
  'rsa-3072': rsa(3072),
  'rsa-4096': rsa(4096),
  hmac: { family: 'hmac', supportsEncryption: false, supportsSigning: false, supportsDerivation: false },
});

export function parseKeyType(value: string): TransitKeyType {
  if (Object.hasOwn(KEY_TYPES, value)) return value as TransitKeyType;
  throw invalidRequest(`unknown key type "${value}"`);
}

export function traitsOf(type: TransitKeyType): KeyTypeTraits {
  return KEY_TYPES[type];
}

/** The secret material of one key version, as stored (inside the barrier) and backed up. */
export interface KeyMaterial {
  /** Base64: the AEAD key, the Ed25519 seed, or the HMAC key of an `hmac` key. */
  key?: string;
  /** PKCS#8 PEM of an ECDSA or RSA private key. */
  private_pem?: string;
  /** Public key: SPKI PEM (ECDSA, RSA) or base64 raw (Ed25519). */
  public_key?: string;
  /** Base64 key of this version's `hmac/` endpoint (every type has one). */
  hmac_key: string;
}

export const HMAC_KEY_BYTES = 32;

/** Generates the material of a new key version with Node's CSPRNG and key generators. */
export async function generateKeyMaterial(type: TransitKeyType, hmacKeyBytes = HMAC_KEY_BYTES): Promise<KeyMaterial> {
  const traits = traitsOf(type);
  const hmac_key = randomBytes(HMAC_KEY_BYTES).toString('base64');
  switch (traits.family) {
    case 'aead':
      return { key: randomBytes(traits.keyBytes as number).toString('base64'), hmac_key };
    case 'hmac': {
      const key = randomBytes(hmacKeyBytes).toString('base64');
      return { key, hmac_key: key };
    }
    case 'ed25519': {
      const seed = randomBytes(32);
      return { key: seed.toString('base64'), public_key: ed25519PublicKey(seed).toString('base64'), hmac_key };
    }
    case 'ecdsa':
    case 'rsa': {
      const pair =
        traits.family === 'ecdsa'
          ? await generateKeyPairAsync('ec', { namedCurve: traits.nodeName })
          : await generateKeyPairAsync('rsa', { modulusLength: traits.rsaBits });
      return {
        private_pem: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
        public_key: pair.publicKey.export({ format: 'pem', type: 'spki' }) as string,
        hmac_key,
      };
    }
  }
}
