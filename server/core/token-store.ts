import type { LogicalStorage } from './barrier.js';
import { decodeBatchToken, encodeBatchToken, isBatchTokenId, type BatchTokenPayload, type BatchTokenSealer } from './batch-token.js';
import { KeyedLock } from './keyed-lock.js';
import { layout } from './storage-layout.js';
import { newAccessor, newSalt, newTokenId, saltedHash } from './token-id.js';
import { invalidRequest, VaultError } from './vault-error.js';

/** A token as stored: keyed by the salted hash of its id; the id itself is never stored. */
export interface TokenEntry {
  hash: string;
  accessor: string;
  parentHash: string;
  policies: string[];
  path: string;
  meta: Record<string, string> | null;
  displayName: string;
  /** Uses left; 0 = unlimited; REVOCATION_PENDING once a running request holds the last one. */
  numUses: number;
  creationTime: number;
  ttlSeconds: number;
  explicitMaxTtlSeconds: number;
  periodSeconds: number;
  renewable: boolean;
  orphan: boolean;
  /** Batch tokens are never stored: the id carries the entry, sealed by the barrier (see batch-token.ts). */
  type: 'service' | 'batch';
  /** Unix seconds; 0 = never expires. */
  expireTime: number;
  entityId: string;
  /** The token store role it was created against (`auth/token/create/:role`); absent otherwise. */
  role?: string;
  /** CIDR blocks the token may be used from (Vault's `bound_cidrs`); absent or empty: anywhere. */
  boundCidrs?: string[];
}

export interface CreateTokenInput {
  id?: string;
  parent?: TokenEntry;
  policies: string[];
  path: string;
  meta?: Record<string, string> | null;
  displayName?: string;
  numUses?: number;
  ttlSeconds?: number;
  explicitMaxTtlSeconds?: number;
  periodSeconds?: number;
  renewable?: boolean;
  noParent?: boolean;
  entityId?: string;
  role?: string;
  boundCidrs?: string[];
  type?: 'service' | 'batch';
}

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
  private salt: Buffer | undefined;
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
    this.salt = salt;
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
    if (input.type === 'batch') return this.createBatch(input, ttl, now);
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

  /**
   * A batch token: nothing is stored; the id carries the entry sealed by the barrier. It has no
   * accessor, no use limit and no renewal; with a parent it lives only while the parent does.
   */
  private createBatch(input: CreateTokenInput, ttl: number, now: number): { id: string; entry: TokenEntry } {
    if (this.batchSealer === undefined) throw invalidRequest('batch tokens are not supported');
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
      ttlSeconds: ttl,
      expireTime: now + ttl,
      parentHash: input.noParent || input.parent === undefined ? '' : input.parent.hash,
      entityId: input.entityId ?? '',
      ...(input.role === undefined ? {} : { role: input.role }),
    };
    const id = encodeBatchToken(this.batchSealer, payload);
    return { id, entry: this.batchEntry(id, payload) };
  }

  private batchEntry(id: string, payload: BatchTokenPayload): TokenEntry {
    return {
      hash: this.hashOf(id),
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
    };
  }

  /** The live entry for a token id; expired or unknown tokens resolve to undefined. */
  async lookupById(id: string, options: LookupOptions = {}): Promise<TokenEntry | undefined> {
    if (id === '') return undefined;
    if (isBatchTokenId(id)) {
      const payload = this.batchSealer === undefined ? undefined : decodeBatchToken(this.batchSealer, id);
      if (payload === undefined || payload.expireTime <= nowSeconds()) return undefined;
      // A batch token with a parent lives only as long as its parent (local to this cluster).
      if (payload.parentHash !== '' && (await this.lookupByHash(payload.parentHash)) === undefined) return undefined;
      return this.batchEntry(id, payload);
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
      await this.revokeTree(entry).catch(() => undefined);
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
