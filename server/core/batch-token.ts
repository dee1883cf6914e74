/** What seals batch tokens: the barrier's encryption of values kept outside storage. */
export interface BatchTokenSealer {
  encryptFor(path: string, plaintext: Buffer): Buffer;
  decryptFor(path: string, ciphertext: Buffer): Buffer;
}

/** Vault's prefix of batch token ids. */
export const BATCH_TOKEN_PREFIX = 'hvb.';
/** The AAD of batch token ciphertexts (never a storage key). */
const BATCH_TOKEN_AAD = 'batch-token';

/** What a batch token carries: everything its entry needs, since nothing is stored. */
export interface BatchTokenPayload {
  policies: string[];
  path: string;
  meta: Record<string, string> | null;
  displayName: string;
  creationTime: number;
  ttlSeconds: number;
  expireTime: number;
  parentHash: string;
  entityId: string;
  role?: string;
}

export function isBatchTokenId(id: string): boolean {
  return id.startsWith(BATCH_TOKEN_PREFIX);
}

/**
 * A batch token id: the payload sealed with the barrier's active keyring term (AES-256-GCM through
 * the barrier). The keyring is replicated, so an orphan batch token made on a primary is valid on
 * its secondaries, as in Vault.
 */
export function encodeBatchToken(barrier: BatchTokenSealer, payload: BatchTokenPayload): string {
  const sealed = barrier.encryptFor(BATCH_TOKEN_AAD, Buffer.from(JSON.stringify(payload)));
  return BATCH_TOKEN_PREFIX + sealed.toString('base64url');
}

/** The payload of a batch token id, or undefined when it is not one this keyring sealed. */
export function decodeBatchToken(barrier: BatchTokenSealer, id: string): BatchTokenPayload | undefined {
  if (!isBatchTokenId(id)) return undefined;
  try {
    const plaintext = barrier.decryptFor(BATCH_TOKEN_AAD, Buffer.from(id.slice(BATCH_TOKEN_PREFIX.length), 'base64url'));
    return JSON.parse(plaintext.toString('utf8')) as BatchTokenPayload;
  } catch {
    return undefined;
  }
}
