import { createHmac, type KeyObject, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function randomBase62(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += BASE62[randomInt(BASE62.length)];
  return out;
}

/** A new service token id in Vault's current format. */
export function newTokenId(): string {
  return `hvs.${randomBase62(24)}`;
}

export function newAccessor(): string {
  return randomBase62(24);
}

/**
 * Salted hash under which a token (or accessor) is stored: the raw value never reaches storage.
 * `salt`: raw bytes or, on the request path, the salt as a `KeyObject` made once.
 */
export function saltedHash(salt: Buffer | KeyObject, value: string): string {
  return createHmac('sha256', salt).update(value, 'utf8').digest('hex');
}

export function newSalt(): Buffer {
  return randomBytes(32);
}

/** Constant-time comparison of two secrets. */
export function secretsEqual(a: string | Buffer, b: string | Buffer): boolean {
  const left = typeof a === 'string' ? Buffer.from(a, 'utf8') : a;
  const right = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}
