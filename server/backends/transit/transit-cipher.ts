import { constants, createCipheriv, createDecipheriv, createHmac, hkdfSync, privateDecrypt, publicEncrypt, randomBytes } from 'node:crypto';
import { invalidRequest } from '../../core/vault-error.js';
import { privateKeyFromPem, publicKeyFromPem } from './transit-key-objects.js';
import { traitsOf } from './transit-key-type.js';
import type { KeyVersion, TransitKey } from './transit-key.js';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Node's HKDF refuses a longer `info`. */
const MAX_CONTEXT_BYTES = 1024;

export const MISSING_CONTEXT =
  "missing 'context' for key derivation; the key was created using a derived key, which means additional, per-request information must be included in order to perform operations with the key";

/** Per-request inputs of encrypt, decrypt and rewrap (already base64-decoded). */
export interface CipherInput {
  readonly context?: Buffer;
  readonly associatedData?: Buffer;
}

/**
 * The key to use for one request: the version's key itself, or for a derived key an HKDF-SHA256
 * expansion of it with the request's context as the info string.
 */
export function derivedKeyBytes(key: TransitKey, secret: Buffer, context: Buffer | undefined, length: number): Buffer {
  if (!key.derived) return secret;
  if (context === undefined || context.length === 0) throw invalidRequest(MISSING_CONTEXT);
  if (context.length > MAX_CONTEXT_BYTES) throw invalidRequest(`context is longer than ${MAX_CONTEXT_BYTES} bytes`);
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), context, length));
}

/**
 * Convergent encryption derives the nonce from the plaintext with an HMAC keyed per context, so
 * equal plaintexts under one context give equal ciphertexts and nothing links two contexts.
 */
function convergentNonce(material: KeyVersion, context: Buffer, plaintext: Buffer): Buffer {
  const nonceKey = Buffer.from(hkdfSync('sha256', Buffer.from(material.hmac_key, 'base64'), Buffer.alloc(0), context, 32));
  return createHmac('sha256', nonceKey).update(plaintext).digest().subarray(0, NONCE_BYTES);
}

/** Encrypts with one key version; returns the raw body of the `vault:vN:` ciphertext. */
export function encryptWithVersion(key: TransitKey, material: KeyVersion, plaintext: Buffer, input: CipherInput): Buffer {
  const traits = traitsOf(key.type);
  if (!traits.supportsEncryption) throw invalidRequest(`key type ${key.type} does not support encryption`);
  if (traits.family === 'rsa') {
    if (input.associatedData !== undefined) throw invalidRequest('associated_data is not supported by RSA keys');
    try {
      return publicEncrypt({ key: publicKeyFromPem(material.public_key as string), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, plaintext);
    } catch {
      throw invalidRequest('plaintext is too long for this RSA key');
    }
  }
  const aeadKey = derivedKeyBytes(key, Buffer.from(material.key as string, 'base64'), input.context, traits.keyBytes as number);
  const nonce = key.convergent_encryption ? convergentNonce(material, input.context as Buffer, plaintext) : randomBytes(NONCE_BYTES);
  const cipher = createCipheriv(traits.nodeName as 'aes-256-gcm', aeadKey, nonce, { authTagLength: TAG_BYTES });
  if (input.associatedData !== undefined) cipher.setAAD(input.associatedData);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}

/** Decrypts the raw body of a `vault:vN:` ciphertext; any tampering is a 400, never a 500. */
export function decryptWithVersion(key: TransitKey, material: KeyVersion, body: Buffer, input: CipherInput): Buffer {
  const traits = traitsOf(key.type);
  if (!traits.supportsEncryption) throw invalidRequest(`key type ${key.type} does not support decryption`);
  if (traits.family === 'rsa') {
    try {
      return privateDecrypt({ key: privateKeyFromPem(material.private_pem as string), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, body);
    } catch {
      throw invalidRequest('invalid ciphertext: decryption failed');
    }
  }
  const aeadKey = derivedKeyBytes(key, Buffer.from(material.key as string, 'base64'), input.context, traits.keyBytes as number);
  if (body.length < NONCE_BYTES + TAG_BYTES) throw invalidRequest('invalid ciphertext: too short');
  const decipher = createDecipheriv(traits.nodeName as 'aes-256-gcm', aeadKey, body.subarray(0, NONCE_BYTES), { authTagLength: TAG_BYTES });
  decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
  if (input.associatedData !== undefined) decipher.setAAD(input.associatedData);
  try {
    return Buffer.concat([decipher.update(body.subarray(NONCE_BYTES, body.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw invalidRequest('cipher: message authentication failed');
  }
}
