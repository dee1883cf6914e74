import { createSecretKey, type KeyObject, randomBytes } from 'node:crypto';
import type { LogicalStorage } from './barrier.js';
import { layout } from './storage-layout.js';

/**
 * The key of the HMAC that signs `X-Vault-Index` states (Vault keeps its own at
 * `core/index-header-hmac-key`). It is replicated state: a cluster mints it once (at
 * initialization, or on first use where it may write replicated state) and every secondary
 * receives the primary's with the rest of the replicated keyspace, so a secondary verifies the
 * states its primary issued — and a cluster of another replication set, holding another key,
 * cannot make or pass one. It lives behind the barrier: never in a header, a log or an error.
 */
export class IndexHeaderKey {
  /** As a `KeyObject`, made once at load: each HMAC then skips importing the raw bytes. */
  private key: KeyObject | undefined;
  private loading: Promise<KeyObject | undefined> | undefined;

  constructor(private readonly barrier: Pick<LogicalStorage, 'get' | 'put'>) {}

  /**
   * The key, read from the barrier on first use. With `canMint` (this cluster writes replicated
   * state: not a secondary) a missing key is created; concurrent first uses share one attempt.
   */
  async get(canMint: boolean): Promise<KeyObject | undefined> {
    if (this.key !== undefined) return this.key;
    this.loading ??= this.load(canMint).finally(() => (this.loading = undefined));
    return this.loading;
  }

  /** Mints the key of a new cluster (called once, while initializing). */
  async initialize(): Promise<void> {
    await this.get(true);
  }

  /** The stored key changed underneath (replication brought the primary's): read it again on next use. */
  forget(): void {
    this.key = undefined;
  }

  private async load(canMint: boolean): Promise<KeyObject | undefined> {
    const stored = await this.barrier.get(layout.indexHeaderKey);
    if (stored !== undefined && stored.length > 0) return (this.key = createSecretKey(stored));
    if (!canMint) return undefined;
    const minted = randomBytes(32);
    await this.barrier.put(layout.indexHeaderKey, minted);
    return (this.key = createSecretKey(minted));
  }
}
