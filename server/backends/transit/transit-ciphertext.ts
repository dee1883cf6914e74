import { invalidRequest } from '../../core/vault-error.js';

const PREFIX = 'vault:v';
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

/** `vault:v<version>:<base64>`, Vault's envelope for ciphertexts, signatures and HMACs. */
export function formatVersioned(version: number, body: Buffer, encoding: 'base64' | 'base64url' = 'base64'): string {
  return `${PREFIX}${version}:${body.toString(encoding)}`;
}

/**
 * Parses `vault:v<version>:<base64>`. `what` names the value in Vault's error messages
 * ("invalid ciphertext: no prefix"); the value itself is never echoed.
 */
export function parseVersioned(value: string, what = 'ciphertext', encoding: 'base64' | 'base64url' = 'base64'): { version: number; body: Buffer } {
  if (!value.startsWith('vault:')) throw invalidRequest(`invalid ${what}: no prefix`);
  const parts = value.split(':');
  if (parts.length !== 3) throw invalidRequest(`invalid ${what}: wrong number of fields`);
  const versionText = (parts[1] as string).slice(1);
  if (!(parts[1] as string).startsWith('v') || !/^[1-9]\d{0,9}$/.test(versionText)) {
    throw invalidRequest(`invalid ${what}: version number could not be decoded`);
  }
  const encoded = parts[2] as string;
  if (!(encoding === 'base64' ? BASE64 : BASE64URL).test(encoded)) throw invalidRequest(`invalid ${what}: could not decode base64`);
  return { version: Number(versionText), body: Buffer.from(encoded, encoding) };
}

/** Decodes a standard-base64 request field; a malformed value is a 400 naming the field only. */
export function decodeBase64Field(value: string, field: string): Buffer {
  const compact = value.replace(/\s+/g, '');
  if (!BASE64.test(compact) || compact.length % 4 === 1) throw invalidRequest(`failed to base64-decode ${field}`);
  return Buffer.from(compact, 'base64');
}
