import type { CreateTokenInput, TokenEntry } from './token-entry.js';
import { invalidRequest } from './vault-error.js';

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
  /** Sealed into the id like the rest, so a batch token is bound to its CIDR blocks too. */
  boundCidrs?: string[];
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

/**
 * Issues a batch token: nothing is stored; the id carries the entry sealed by the barrier. It has
 * no accessor, no use limit and no renewal; with a parent it lives only while the parent does.
 */
export function createBatchToken(
  sealer: BatchTokenSealer,
  hashOf: (id: string) => string,
  input: CreateTokenInput,
  ttlSeconds: number,
  now: number,
): { id: string; entry: TokenEntry } {
  if (input.id !== undefined) throw invalidRequest('batch tokens cannot have a custom id');
  if (input.policies.includes('root')) throw invalidRequest('batch tokens cannot be root tokens');
  if ((input.numUses ?? 0) > 0) throw invalidRequest('batch tokens cannot have a use limit');
  if ((input.periodSeconds ?? 0) > 0) throw invalidRequest('batch tokens cannot be periodic');
  const payload: BatchTokenPayload = {
    policies: [...new Set(input.policies)].sort(),
    path: input.path,
    meta: input.meta ?? null,
    displayName: input.displayName ?? 'token',
    creationTime: now,
    ttlSeconds,
    expireTime: now + ttlSeconds,
    parentHash: input.noParent || input.parent === undefined ? '' : input.parent.hash,
    entityId: input.entityId ?? '',
    ...(input.role === undefined ? {} : { role: input.role }),
    ...(input.boundCidrs === undefined || input.boundCidrs.length === 0 ? {} : { boundCidrs: [...input.boundCidrs] }),
  };
  const id = encodeBatchToken(sealer, payload);
  return { id, entry: batchTokenEntry(payload, hashOf(id)) };
}

/** The token entry a batch token stands for (`hash` is the salted hash of its id). */
export function batchTokenEntry(payload: BatchTokenPayload, hash: string): TokenEntry {
  return {
    hash,
    accessor: '',
    parentHash: payload.parentHash,
    policies: payload.policies,
    path: payload.path,
    meta: payload.meta,
    displayName: payload.displayName,
    numUses: 0,
    creationTime: payload.creationTime,
    ttlSeconds: payload.ttlSeconds,
    explicitMaxTtlSeconds: 0,
    periodSeconds: 0,
    renewable: false,
    orphan: payload.parentHash === '',
    type: 'batch',
    expireTime: payload.expireTime,
    entityId: payload.entityId,
    ...(payload.role === undefined ? {} : { role: payload.role }),
    ...(payload.boundCidrs === undefined ? {} : { boundCidrs: payload.boundCidrs }),
  };
}
