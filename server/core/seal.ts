import { randomBytes, randomUUID } from 'node:crypto';
import { combine, split } from 'shamir-secret-sharing';
import type { StorageBackend, StorageOp } from '../storage/backend.js';
import type { Barrier } from './barrier.js';
import { layout } from './storage-layout.js';
import { secretsEqual } from './token-id.js';
import { invalidRequest, VaultError } from './vault-error.js';

/** Shamir seal configuration, stored in plaintext (it is needed before the barrier opens). */
export interface SealConfig {
  type: 'shamir';
  secret_shares: number;
  secret_threshold: number;
}

export interface UnsealProgress {
  sealed: boolean;
  progress: number;
  nonce: string;
}

/** Checks Vault's rules for share counts; a violation is a 400. */
export function validateSealConfig(shares: number, threshold: number): void {
  if (!Number.isInteger(shares) || shares < 1) throw invalidRequest('secret shares must be at least one');
  if (!Number.isInteger(threshold) || threshold < 1) throw invalidRequest('secret threshold must be at least one');
  if (shares > 255) throw invalidRequest('secret shares must be at most 255');
  if (threshold > shares) throw invalidRequest('secret threshold cannot be larger than secret shares');
  if (shares > 1 && threshold === 1) throw invalidRequest('secret threshold must be greater than one for multiple shares');
}

/** Splits a root key into unseal key shares (a single share is the key itself, as in Vault). */
export async function splitRootKey(rootKey: Buffer, shares: number, threshold: number): Promise<Buffer[]> {
  if (shares === 1) return [Buffer.from(rootKey)];
  return (await split(new Uint8Array(rootKey), shares, threshold)).map((s) => Buffer.from(s));
}

export async function combineShares(shares: readonly Buffer[]): Promise<Buffer> {
  if (shares.length === 1) return Buffer.from(shares[0] as Buffer);
  try {
    return Buffer.from(await combine(shares.map((s) => new Uint8Array(s))));
  } catch {
    throw invalidRequest('failed to combine unseal key shares: the keys are not valid shares');
  }
}

/** Decodes an unseal key given as hex or base64, as Vault accepts both. */
export function decodeUnsealKey(key: string): Buffer {
  const trimmed = key.trim();
  let decoded: Buffer | undefined;
  if (/^[0-9a-fA-F]+$/.test(trimmed) && trimmed.length % 2 === 0) decoded = Buffer.from(trimmed, 'hex');
  else if (/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) decoded = Buffer.from(trimmed, 'base64');
  if (decoded === undefined) throw invalidRequest("'key' must be a valid hex or base64 string");
  // Vault's bounds: a share is the 32-byte key plus one byte; nothing shorter than 16 bytes is a key.
  if (decoded.length < 16 || decoded.length > 33) throw invalidRequest("'key' must be between 16 and 33 bytes");
  return decoded;
}

/**
 * The Shamir seal: initialization, collection of unseal key shares, and the root key that exists
 * in memory only while unsealed.
 */
export class Seal {
  private pending: Buffer[] = [];
  private nonce = '';
  private rootKey: Buffer | undefined;

  constructor(
    private readonly physical: StorageBackend,
    private readonly barrier: Barrier,
  ) {}

  async config(): Promise<SealConfig | undefined> {
    const raw = await this.physical.get(layout.sealConfig);
    return raw === undefined ? undefined : (JSON.parse(raw.toString('utf8')) as SealConfig);
  }

  get isSealed(): boolean {
    return this.rootKey === undefined;
  }

  get progress(): UnsealProgress {
    return { sealed: this.isSealed, progress: this.pending.length, nonce: this.nonce };
  }

  /** The root key while unsealed (for keyring rotation and replication bootstrap). */
  currentRootKey(): Buffer {
    if (this.rootKey === undefined) throw new VaultError('sealed', 'Vault is sealed');
    return this.rootKey;
  }

  /** Creates the root key, the first keyring and the seal config; returns the unseal key shares. */
  async initialize(shares: number, threshold: number): Promise<Buffer[]> {
    validateSealConfig(shares, threshold);
    if (await this.barrier.isInitialized()) throw invalidRequest('Vault is already initialized');
    const rootKey = randomBytes(32);
    const keys = await splitRootKey(rootKey, shares, threshold);
    await this.barrier.initialize(rootKey);
    const config: SealConfig = { type: 'shamir', secret_shares: shares, secret_threshold: threshold };
    await this.physical.put(layout.sealConfig, Buffer.from(JSON.stringify(config)));
    this.rootKey = rootKey;
    return keys;
  }

  /** Adds one share; at the threshold, combines them and opens the barrier. A wrong key resets progress. */
  async submitShare(share: Buffer): Promise<UnsealProgress> {
    const config = await this.config();
    if (config === undefined) throw invalidRequest('Vault is not initialized');
    if (!this.isSealed) return this.progress;
    if (this.pending.some((p) => secretsEqual(p, share))) throw invalidRequest('given key has already been provided during this generation operation');
    if (this.pending.length === 0) this.nonce = randomUUID();
    this.pending.push(share);
    if (this.pending.length < config.secret_threshold) return this.progress;
    const shares = this.pending;
    this.resetProgress();
    let rootKey: Buffer;
    try {
      rootKey = await combineShares(shares);
      await this.barrier.unseal(rootKey);
    } catch {
      throw invalidRequest('Error unsealing: the unseal keys are not valid for this Vault');
    }
    this.rootKey = rootKey;
    return this.progress;
  }

  /**
   * Replaces the root key and the unseal key configuration in one transaction: the keyring
   * re-sealed with `newRootKey`, the stored root key, the new seal config, and `extraOps` (the
   * rekey backup). The barrier's data keys do not change. The caller split `newRootKey` into the
   * `shares` it handed out.
   */
  async rekey(newRootKey: Buffer, shares: number, threshold: number, extraOps: readonly StorageOp[] = []): Promise<void> {
    validateSealConfig(shares, threshold);
    this.currentRootKey();
    const config: SealConfig = { type: 'shamir', secret_shares: shares, secret_threshold: threshold };
    await this.physical.transaction([
      ...this.barrier.rekeyOps(newRootKey),
      { op: 'put', key: layout.sealConfig, value: Buffer.from(JSON.stringify(config)) },
      ...extraOps,
    ]);
    this.rootKey = Buffer.from(newRootKey);
  }

  /**
   * Follows a rekey made elsewhere (the replicated keyring is now sealed with another root key):
   * takes the stored root key and re-opens the keyring with it. False when there is nothing to follow.
   */
  async followRekey(): Promise<boolean> {
    if (this.rootKey === undefined) return false;
    const stored = await this.barrier.storedRootKey();
    if (stored === undefined || secretsEqual(stored, this.rootKey)) return false;
    await this.barrier.reloadKeyring(stored);
    this.rootKey = stored;
    return true;
  }

  /** Unseals directly with a root key (dev mode, and a secondary adopting its primary's key). */
  async unsealWithRootKey(rootKey: Buffer): Promise<void> {
    await this.barrier.unseal(rootKey);
    this.rootKey = Buffer.from(rootKey);
    this.resetProgress();
  }

  /** Checks that the shares reconstruct this cluster's root key (generate-root). */
  async verifyShares(shares: readonly Buffer[]): Promise<boolean> {
    const rootKey = this.currentRootKey();
    const candidate = await combineShares(shares).catch(() => undefined);
    return candidate !== undefined && secretsEqual(candidate, rootKey);
  }

  resetProgress(): void {
    this.pending = [];
    this.nonce = '';
  }

  seal(): void {
    this.rootKey = undefined;
    this.resetProgress();
    this.barrier.seal();
  }
}
