import { createSecretKey, type KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import type { LogicalStorage } from './barrier.js';
import { batchTokenEntry, createBatchToken, decodeBatchToken, isBatchTokenId, type BatchTokenSealer } from './batch-token.js';
import { KeyedLock } from './keyed-lock.js';
import { layout } from './storage-layout.js';
import type { CreateTokenInput, TokenEntry } from './token-entry.js';
import { newAccessor, newSalt, newTokenId, saltedHash } from './token-id.js';
import { invalidRequest, VaultError } from './vault-error.js';

export type { CreateTokenInput, TokenEntry } from './token-entry.js';

/**
 * `numUses` of a token whose last use a request in flight holds (Vault's tokenRevocationPending):
 * the token no longer authenticates anything, and that request revokes it when it is done.
 */
export const REVOCATION_PENDING = -1;

export interface LookupOptions {
  /**
   * Also answer a token whose last use is held by a running request. Only for that request's own
   * view of its caller (for example a token creating a child with its last use).
   */
  readonly includeRevocationPending?: boolean;
}

/** Default and ceiling TTL for tokens without their own: Vault's 32 days. */
export const SYSTEM_MAX_TTL_SECONDS = 32 * 24 * 3600;

const idKey = (hash: string) => `${layout.tokens}id/${hash}`;
const accessorKey = (hash: string) => `${layout.tokens}accessor/${hash}`;
const parentKey = (parentHash: string, childHash: string) => `${layout.tokens}parent/${parentHash}/${childHash}`;
const SALT_KEY = `${layout.clusterSecrets}token-salt`;
const encode = (entry: TokenEntry): Buffer => Buffer.from(JSON.stringify(entry));

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/**
 * The token store: issues, looks up, renews and revokes tokens of this cluster. Tokens never
 * replicate (everything is under `local/`), and only salted hashes of ids and accessors are stored.
 *
 * Every read-modify-write of one token's entry (a use, a renewal, orphaning, revocation) runs
 * under that token's lock, so concurrent requests see each other's changes and a revoked token
 * is never written back. The lock is in this process and works over any storage backend.
 */
export class TokenStore {
  /** The token salt as a `KeyObject` (made once at load: each hash then skips importing the bytes). */
  private salt: KeyObject | undefined;
  /** Hooks run when a token is revoked (lease revocation, cubbyhole cleanup). */
  private readonly revokeHooks: ((entry: TokenEntry) => Promise<void>)[] = [];

  /** Parsed entries by hash; dropped on every token write (all of which pass through here). */
  private readonly cache = new Map<string, TokenEntry>();
  private generation = 0;
  private readonly storage: LogicalStorage;
  private readonly locks = new KeyedLock();
  /** Hashes of tokens whose last use a request of this process holds right now. */
  private readonly lastUsesHeld = new Set<string>();

  constructor(
    storage: LogicalStorage,
    private readonly batchSealer?: BatchTokenSealer,
    private readonly logger?: Logger,
  ) {
    const dropCache = () => {
      this.generation++;
      this.cache.clear();
    };
    this.storage = {
      get: (key) => storage.get(key),
      list: (prefix) => storage.list(prefix),
      scan: (prefix, options) => storage.scan(prefix, options),
      put: async (key, value) => {
        dropCache();
        await storage.put(key, value).finally(dropCache);
      },
      delete: async (key) => {
        dropCache();
        await storage.delete(key).finally(dropCache);
      },
      transaction: async (ops) => {
        dropCache();
        await storage.transaction(ops).finally(dropCache);
      },
    };
  }

  onRevoke(hook: (entry: TokenEntry) => Promise<void>): void {
    this.revokeHooks.push(hook);
  }

  async load(): Promise<void> {
    let salt = await this.storage.get(SALT_KEY);
    if (salt === undefined) {
      salt = newSalt();
      await this.storage.put(SALT_KEY, salt);
    }
    this.salt = createSecretKey(salt);
  }

  unload(): void {
    this.cache.clear();
    this.generation++;
    this.salt = undefined;
  }

  hashOf(id: string): string {
    if (this.salt === undefined) throw new VaultError('sealed', 'Vault is sealed');
    return saltedHash(this.salt, id);
  }

  async create(input: CreateTokenInput): Promise<{ id: string; entry: TokenEntry }> {
    const id = input.id ?? newTokenId();
    if (input.id !== undefined) {
      if (input.id.includes('.') && !input.id.startsWith('hvs.')) throw invalidRequest('custom token ID cannot contain a period');
      if (await this.lookupById(input.id)) throw invalidRequest('cannot create a token with a duplicate ID');
    }
    const now = nowSeconds();
    let ttl = input.ttlSeconds ?? 0;
    const explicitMax = input.explicitMaxTtlSeconds ?? 0;
    const isRootToken = input.policies.includes('root');
    const periodSeconds = input.periodSeconds ?? 0;
    if (periodSeconds > 0) {
      // A periodic token lives one period at a time, with no max TTL unless an explicit one is set.
      ttl = explicitMax > 0 ? Math.min(periodSeconds, explicitMax) : periodSeconds;
    } else if (!isRootToken || ttl > 0) {
      if (ttl === 0) ttl = SYSTEM_MAX_TTL_SECONDS;
      ttl = Math.min(ttl, SYSTEM_MAX_TTL_SECONDS);
      if (explicitMax > 0) ttl = Math.min(ttl, explicitMax);
      if (input.parent && input.parent.expireTime > 0 && !input.noParent) {
        ttl = Math.min(ttl, Math.max(0, input.parent.expireTime - now));
      }
    }
    if (input.type === 'batch') {
      if (this.batchSealer === undefined) throw invalidRequest('batch tokens are not supported');
      return createBatchToken(this.batchSealer, (batchId) => this.hashOf(batchId), input, ttl, now);
    }
    const entry: TokenEntry = {
      hash: this.hashOf(id),
      accessor: newAccessor(),
      parentHash: input.noParent || input.parent === undefined ? '' : input.parent.hash,
      policies: [...new Set(input.policies)].sort(),
      path: input.path,
      meta: input.meta ?? null,
      displayName: input.displayName ?? 'token',
      numUses: input.numUses ?? 0,
      creationTime: now,
      ttlSeconds: ttl,
      explicitMaxTtlSeconds: explicitMax,
      periodSeconds,
      renewable: input.renewable ?? !isRootToken,
      orphan: input.noParent === true || input.parent === undefined,
      type: 'service',
      expireTime: ttl > 0 ? now + ttl : 0,
      entityId: input.entityId ?? '',
      ...(input.role === undefined ? {} : { role: input.role }),
      ...(input.boundCidrs === undefined || input.boundCidrs.length === 0 ? {} : { boundCidrs: [...input.boundCidrs] }),
    };
    const ops = [
      { op: 'put' as const, key: idKey(entry.hash), value: Buffer.from(JSON.stringify(entry)) },
      { op: 'put' as const, key: accessorKey(this.hashOf(entry.accessor)), value: Buffer.from(entry.hash) },
    ];
    if (entry.parentHash !== '') ops.push({ op: 'put', key: parentKey(entry.parentHash, entry.hash), value: Buffer.from('') });
    await this.storage.transaction(ops);
    return { id, entry };
  }

  /** The live entry for a token id; expired or unknown tokens resolve to undefined. */
  async lookupById(id: string, options: LookupOptions = {}): Promise<TokenEntry | undefined> {
    if (id === '') return undefined;
    if (isBatchTokenId(id)) {
      const payload = this.batchSealer === undefined ? undefined : decodeBatchToken(this.batchSealer, id);
      if (payload === undefined || payload.expireTime <= nowSeconds()) return undefined;
      // A batch token with a parent lives only as long as its parent (local to this cluster).
      if (payload.parentHash !== '' && (await this.lookupByHash(payload.parentHash)) === undefined) return undefined;
      return batchTokenEntry(payload, this.hashOf(id));
    }
    return this.lookupByHash(this.hashOf(id), options);
  }

  async lookupByHash(hash: string, options: LookupOptions = {}): Promise<TokenEntry | undefined> {
    let entry = this.cache.get(hash);
    if (entry === undefined) {
      const generation = this.generation;
      const raw = await this.storage.get(idKey(hash));
      if (raw === undefined) return undefined;
      entry = JSON.parse(raw.toString('utf8')) as TokenEntry;
      if (generation === this.generation) {
        if (this.cache.size >= 10_000) this.cache.clear();
        this.cache.set(hash, entry);
      }
    }
    // Callers may adjust fields of what they get; the cached entry stays as stored.
    entry = { ...entry };
    if (isExpired(entry)) {
      // The lookup answers "no such token" either way; the expiry sweep retries a failed revocation.
      await this.revokeTree(entry).catch((err: unknown) =>
        this.logger?.warn({ err: err instanceof Error ? err.message : String(err) }, 'revoking an expired token failed'),
      );
      return undefined;
    }
    if (entry.numUses < 0 && options.includeRevocationPending !== true) return undefined;
    return entry;
  }

  async lookupByAccessor(accessor: string, options: LookupOptions = {}): Promise<TokenEntry | undefined> {
    const raw = await this.storage.get(accessorKey(this.hashOf(accessor)));
    return raw === undefined ? undefined : this.lookupByHash(raw.toString('utf8'), options);
  }

  /**
   * Takes one use of a token before its request is dispatched, atomically: the uses of one token
   * are taken one at a time against the stored entry, so concurrent requests never get more uses
   * than remain. Resolves to the entry after the use, or undefined when the token is gone,
   * expired or used up. When this was the last use, `numUses` is REVOCATION_PENDING and the caller
   * revokes the token once its request is over (whether it succeeded or failed). A token without
   * a use limit is returned as stored.
   */
  reserveUse(hash: string): Promise<TokenEntry | undefined> {
    return this.locks.run(hash, async () => {
      const current = await this.readRaw(hash);
      if (current === undefined || current.numUses < 0 || isExpired(current)) return undefined;
      if (current.numUses === 0) return current;
      const next: TokenEntry = { ...current, numUses: current.numUses === 1 ? REVOCATION_PENDING : current.numUses - 1 };
      // Known as held before anyone can read the pending entry (see isAbandoned).
      if (next.numUses === REVOCATION_PENDING) this.lastUsesHeld.add(hash);
      try {
        await this.storage.put(idKey(hash), encode(next));
      } catch (err) {
        this.lastUsesHeld.delete(hash);
        throw err;
      }
      return next;
    });
  }

  /** Ends the request that held a token's last use: the token (and its descendants) is revoked. */
  async finishLastUse(entry: TokenEntry): Promise<void> {
    try {
      await this.revokeTree(entry);
    } finally {
      this.lastUsesHeld.delete(entry.hash);
    }
  }

  /**
   * True for a token whose last use was taken by a request that never finished here (the process
   * stopped in between): nothing will revoke it, so the expiration sweep does.
   */
  isAbandoned(entry: TokenEntry): boolean {
    return entry.numUses < 0 && !this.lastUsesHeld.has(entry.hash);
  }

  /**
   * Extends a token's TTL (within its limits), on the stored entry; a token revoked meanwhile is not
   * revived. A periodic token is reset to its period (`periodSeconds` overrides the stored one: the
   * current period of the role it was created against) and has no max TTL but an explicit one.
   */
  renew(entry: TokenEntry, incrementSeconds: number, options: { periodSeconds?: number } = {}): Promise<TokenEntry> {
    if (!entry.renewable) return Promise.reject(invalidRequest('token is not renewable'));
    return this.locks.run(entry.hash, async () => {
      const current = await this.readRaw(entry.hash);
      if (current === undefined) throw new VaultError('permission_denied', 'permission denied');
      const now = nowSeconds();
      const period = options.periodSeconds !== undefined && options.periodSeconds > 0 ? options.periodSeconds : current.periodSeconds;
      let expire: number;
      if (period > 0) {
        expire = now + period;
      } else {
        const ttl = Math.min(incrementSeconds > 0 ? incrementSeconds : current.ttlSeconds, SYSTEM_MAX_TTL_SECONDS);
        expire = Math.min(now + ttl, current.creationTime + SYSTEM_MAX_TTL_SECONDS);
      }
      if (current.explicitMaxTtlSeconds > 0) expire = Math.min(expire, current.creationTime + current.explicitMaxTtlSeconds);
      const updated: TokenEntry = { ...current, ttlSeconds: Math.max(0, expire - now), expireTime: expire };
      await this.storage.put(idKey(current.hash), encode(updated));
      return updated;
    });
  }

  /** Revokes a token and every descendant. */
  async revokeTree(entry: TokenEntry): Promise<void> {
    const children = await this.storage.list(`${layout.tokens}parent/${entry.hash}/`);
    for (const childHash of children) {
      const child = await this.readRaw(childHash);
      if (child) await this.revokeTree(child);
      else await this.storage.delete(parentKey(entry.hash, childHash));
    }
    await this.revokeOne(entry);
  }

  /** Revokes only this token; its children become orphans. */
  async revokeOrphan(entry: TokenEntry): Promise<void> {
    const children = await this.storage.list(`${layout.tokens}parent/${entry.hash}/`);
    for (const childHash of children) {
      await this.locks.run(childHash, async () => {
        const child = await this.readRaw(childHash);
        if (child === undefined) return;
        await this.storage.transaction([
          { op: 'put', key: idKey(child.hash), value: encode({ ...child, parentHash: '', orphan: true }) },
          { op: 'delete', key: parentKey(entry.hash, childHash) },
        ]);
      });
    }
    await this.revokeOne(entry);
  }

  /** Every stored token entry (for the expiration sweeper). */
  async allEntries(): Promise<TokenEntry[]> {
    const rows = await this.storage.scan(`${layout.tokens}id/`);
    return rows.map((r) => JSON.parse(r.value.toString('utf8')) as TokenEntry);
  }

  private async readRaw(hash: string): Promise<TokenEntry | undefined> {
    const raw = await this.storage.get(idKey(hash));
    return raw === undefined ? undefined : (JSON.parse(raw.toString('utf8')) as TokenEntry);
  }

  private async revokeOne(entry: TokenEntry): Promise<void> {
    for (const hook of this.revokeHooks) await hook(entry);
    const ops: { op: 'delete'; key: string }[] = [
      { op: 'delete', key: idKey(entry.hash) },
      { op: 'delete', key: accessorKey(this.hashOf(entry.accessor)) },
    ];
    if (entry.parentHash !== '') ops.push({ op: 'delete', key: parentKey(entry.parentHash, entry.hash) });
    // Under the token's lock: a use or renewal in progress finishes first and cannot write it back.
    await this.locks.run(entry.hash, () => this.storage.transaction(ops));
  }
}

function isExpired(entry: TokenEntry): boolean {
  return entry.expireTime > 0 && entry.expireTime <= nowSeconds();
}
