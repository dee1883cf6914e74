import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';

/** PKCS#8 DER prefix of an Ed25519 private key; the 32-byte seed follows. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const MAX_CACHED = 256;
const cache = new Map<string, KeyObject>();

function cached(id: string, make: () => KeyObject): KeyObject {
  const hit = cache.get(id);
  if (hit !== undefined) return hit;
  // Parsing an RSA PEM costs far more than a signature; keep a bounded set of parsed keys.
  if (cache.size >= MAX_CACHED) cache.clear();
  const made = make();
  cache.set(id, made);
  return made;
}

/** An Ed25519 private key from its 32-byte seed. */
export function ed25519PrivateKey(seed: Buffer): KeyObject {
  return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

/** The raw 32-byte Ed25519 public key of a seed. */
export function ed25519PublicKey(seed: Buffer): Buffer {
  const jwk = createPublicKey(ed25519PrivateKey(seed)).export({ format: 'jwk' });
  return Buffer.from(jwk.x as string, 'base64url');
}

/** An Ed25519 public key object from its raw 32 bytes. */
export function ed25519PublicKeyObject(raw: Buffer): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
}

export function privateKeyFromPem(pem: string): KeyObject {
  return cached(`priv:${pem}`, () => createPrivateKey(pem));
}

export function publicKeyFromPem(pem: string): KeyObject {
  return cached(`pub:${pem}`, () => createPublicKey(pem));
}
