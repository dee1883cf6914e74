import { constants, createHmac, createPublicKey, sign, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { invalidRequest } from '../../core/vault-error.js';
import { derivedKeyBytes } from './transit-cipher.js';
import { ed25519PrivateKey, ed25519PublicKey, ed25519PublicKeyObject, privateKeyFromPem, publicKeyFromPem } from './transit-key-objects.js';
import { traitsOf } from './transit-key-type.js';
import type { KeyVersion, TransitKey } from './transit-key.js';

/** Vault's hash algorithm names → Node's digest names. */
const HASHES: Readonly<Record<string, string>> = Object.freeze({
  sha1: 'sha1',
  'sha2-224': 'sha224',
  'sha2-256': 'sha256',
  'sha2-384': 'sha384',
  'sha2-512': 'sha512',
  'sha3-224': 'sha3-224',
  'sha3-256': 'sha3-256',
  'sha3-384': 'sha3-384',
  'sha3-512': 'sha3-512',
});

/** Node's digest for a Vault hash name (`sha2-256` by default); unknown names are a 400. */
export function nodeHash(algorithm: string): string {
  const name = HASHES[algorithm === '' ? 'sha2-256' : algorithm];
  if (name === undefined) throw invalidRequest(`unsupported hash algorithm ${algorithm}`);
  return name;
}

export interface SignOptions {
  readonly hashAlgorithm: string;
  readonly context?: Buffer;
  readonly signatureAlgorithm: string;
  readonly marshalingAlgorithm: string;
  readonly saltLength: string;
}

function checkSigningKey(key: TransitKey): void {
  if (!traitsOf(key.type).supportsSigning) throw invalidRequest(`key type ${key.type} does not support signing`);
}

function ed25519Seed(key: TransitKey, material: KeyVersion, context: Buffer | undefined): Buffer {
  return derivedKeyBytes(key, Buffer.from(material.key as string, 'base64'), context, 32);
}

function rsaPadding(options: SignOptions, signing: boolean): { padding: number; saltLength?: number } {
  const algorithm = options.signatureAlgorithm === '' ? 'pss' : options.signatureAlgorithm;
  if (algorithm === 'pkcs1v15') return { padding: constants.RSA_PKCS1_PADDING };
  if (algorithm !== 'pss') throw invalidRequest(`unsupported rsa signature algorithm ${algorithm}`);
  const salt = options.saltLength === '' ? 'auto' : options.saltLength;
  let saltLength: number;
  if (salt === 'auto') saltLength = signing ? constants.RSA_PSS_SALTLEN_MAX_SIGN : constants.RSA_PSS_SALTLEN_AUTO;
  else if (salt === 'hash') saltLength = constants.RSA_PSS_SALTLEN_DIGEST;
  else if (/^\d{1,4}$/.test(salt)) saltLength = Number(salt);
  else throw invalidRequest(`invalid salt_length ${salt}`);
  return { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength };
}

function dsaEncoding(options: SignOptions): 'der' | 'ieee-p1363' {
  const marshaling = options.marshalingAlgorithm === '' ? 'asn1' : options.marshalingAlgorithm;
  if (marshaling === 'asn1') return 'der';
  if (marshaling === 'jws') return 'ieee-p1363';
  throw invalidRequest(`unsupported marshaling algorithm ${marshaling}`);
}

/** Signs `input` with one version; returns the signature bytes and, for derived Ed25519, the public key. */
export function signWithVersion(key: TransitKey, material: KeyVersion, input: Buffer, options: SignOptions): { signature: Buffer; publicKey?: Buffer } {
  checkSigningKey(key);
  const traits = traitsOf(key.type);
  if (traits.family === 'ed25519') {
    const seed = ed25519Seed(key, material, options.context);
    return { signature: sign(null, input, ed25519PrivateKey(seed)), ...(key.derived ? { publicKey: ed25519PublicKey(seed) } : {}) };
  }
  const hash = nodeHash(options.hashAlgorithm);
  const privateKey = privateKeyFromPem(material.private_pem as string);
  if (traits.family === 'ecdsa') return { signature: sign(hash, input, { key: privateKey, dsaEncoding: dsaEncoding(options) }) };
  return { signature: sign(hash, input, { key: privateKey, ...rsaPadding(options, true) }) };
}

/** Verifies a signature made by one version; a malformed signature is simply invalid. */
export function verifyWithVersion(key: TransitKey, material: KeyVersion, input: Buffer, signature: Buffer, options: SignOptions): boolean {
  checkSigningKey(key);
  const traits = traitsOf(key.type);
  let publicKey: KeyObject;
  if (traits.family === 'ed25519') {
    publicKey = key.derived
      ? ed25519PublicKeyObject(ed25519PublicKey(ed25519Seed(key, material, options.context)))
      : ed25519PublicKeyObject(Buffer.from(material.public_key as string, 'base64'));
    try {
      return verify(null, input, publicKey, signature);
    } catch {
      return false;
    }
  }
  const hash = nodeHash(options.hashAlgorithm);
  publicKey = publicKeyFromPem(material.public_key as string);
  const settings = traits.family === 'ecdsa' ? { dsaEncoding: dsaEncoding(options) } : rsaPadding(options, false);
  try {
    return verify(hash, input, { key: publicKey, ...settings }, signature);
  } catch {
    // OpenSSL rejects some malformed signatures outright instead of answering false.
    return false;
  }
}

/** HMAC of `input` with the version's HMAC key. */
export function hmacWithVersion(material: KeyVersion, input: Buffer, algorithm: string): Buffer {
  return createHmac(nodeHash(algorithm), Buffer.from(material.hmac_key, 'base64')).update(input).digest();
}

/** Constant-time comparison of an expected and a presented HMAC. */
export function isSameHmac(expected: Buffer, presented: Buffer): boolean {
  return expected.length === presented.length && timingSafeEqual(expected, presented);
}

/** The public key of a version as `export/public-key` shows it. */
export function publicKeyOf(key: TransitKey, material: KeyVersion): string {
  if (traitsOf(key.type).family === 'ed25519') return material.public_key as string;
  return createPublicKey(material.public_key as string).export({ format: 'pem', type: 'spki' }) as string;
}
