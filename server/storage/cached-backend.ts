import type { ScanOptions, StagedWrite, StagingArea, StorageBackend, StorageEntry, StorageOp, ConsistentRead } from './backend.js';

/** Writes with more ops than this are only invalidated, not written through. */
const WRITE_THROUGH_MAX_OPS = 64;

/** What one cached entry costs beyond its value: the key string, the Map entry, the Buffer object. */
const ENTRY_OVERHEAD_BYTES = 160;

/**
 * A read cache in front of a physical backend (Vault's physical cache): an LRU of stored values
 * (ciphertext) by key, bounded by bytes (values, keys and a per-entry overhead), so its memory
 * does not follow the keyspace or the size of values. Every write goes through this layer, so it
 * invalidates exactly what it changes; a read that raced a write does not populate the cache.
 *
 * Writes are written through, as Vault's physical cache does: once a staged write commits (commit
 * order), its puts become cache entries and its deletes cached misses, so the read that usually
 * follows a write (the next request's existence check, a read of what was just written) costs no
 * storage round trip. Keys under `writeThroughExcept` (bookkeeping written once and rarely read
 * back, such as the WAL) are never cached, so deleting a prefix of them (the WAL's trim) need not
 * look through the cache.
 */
export class CachedBackend implements StorageBackend {
  private readonly cache = new Map<string, Buffer | null>();
  private cachedBytes = 0;
  /** Bumped by every write; a read populates the cache only if no write happened meanwhile. */
  private generation = 0;

  constructor(
    private readonly inner: StorageBackend,
    private readonly maxBytes = 16 * 1024 * 1024,
    private readonly writeThroughExcept: readonly string[] = [],
  ) {}

  /** Bytes the cache accounts for now (never above its bound). */
  get bytes(): number {
    return this.cachedBytes;
  }

  get kind(): string {
    return this.inner.kind;
  }

  /** When set and false, reads go straight to storage and are not cached (another node may be writing). */
  private isCaching: (() => boolean) | undefined;

  /**
   * HA: cache only while `isCaching()` holds (while this node is the only writer, i.e. active); a
   * standby or sealed node reads storage directly. Call `clear()` when caching starts again.
   */
  cacheOnlyWhile(isCaching: () => boolean): void {
    this.isCaching = isCaching;
  }

  /** Forgets every cached value (an HA standby's view may be stale: another node wrote underneath). */
  clear(): void {
    this.generation++;
    this.cache.clear();
    this.cachedBytes = 0;
  }

  async get(key: string): Promise<Buffer | undefined> {
    if (this.isCaching?.() === false || this.isUncached(key)) return this.inner.get(key);
    const hit = this.cache.get(key);
    if (hit !== undefined) {
      // Refresh recency: Map iteration order is insertion order (delete and set keep the byte count).
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit === null ? undefined : Buffer.from(hit);
    }
    const generation = this.generation;
    const value = await this.inner.get(key);
    if (generation === this.generation && entryBytes(key, value) <= this.maxBytes / 8) {
      this.evict(key); // two reads of one key may both have missed
      this.cache.set(key, value === undefined ? null : Buffer.from(value));
      this.cachedBytes += entryBytes(key, value);
      while (this.cachedBytes > this.maxBytes) this.evict(this.cache.keys().next().value as string);
    }
    return value;
  }

  put(key: string, value: Buffer): Promise<void> {
    return this.transaction([{ op: 'put', key, value }]);
  }

  delete(key: string): Promise<void> {
    return this.transaction([{ op: 'delete', key }]);
  }

  list(prefix: string): Promise<string[]> {
    return this.inner.list(prefix);
  }

  scan(prefix: string, options?: ScanOptions): Promise<StorageEntry[]> {
    return this.inner.scan(prefix, options);
  }

  scanKeys(prefix: string, options?: ScanOptions): Promise<string[]> {
    return this.inner.scanKeys(prefix, options);
  }

  async transaction(ops: readonly StorageOp[]): Promise<void> {
    this.invalidate(ops);
    try {
      await this.inner.transaction(ops);
    } finally {
      this.invalidate(ops);
    }
  }

  /**
   * Until the write commits, the cache keeps serving the committed values (what storage's readers
   * see too): a write in flight is not acknowledged, so reads before its commit may not see it. At
   * the commit (`committed`, in commit order) its keys are written through, or invalidated; the
   * generation bump there keeps a read that raced the commit from caching what it saw.
   */
  async stage(write: StagedWrite): Promise<void> {
    let ops: readonly StorageOp[] = [];
    let isWrittenThrough = false;
    try {
      // Everything the write says passes through (its size, whether its flush may be deferred …);
      // only the hooks are wrapped.
      await this.inner.stage({
        ...write,
        prepare: () => {
          ops = write.prepare();
          return ops;
        },
        committed: () => {
          this.invalidate(ops);
          isWrittenThrough = this.writeThrough(ops);
          write.committed?.();
        },
        abandoned: () => {
          this.invalidate(ops);
          write.abandoned?.();
        },
      });
    } finally {
      // After a commit the cache holds what it wrote (and later writes keep it current); otherwise,
      // whatever happened, nothing of this write stays cached.
      if (!isWrittenThrough) this.invalidate(ops);
    }
  }

  /** An install replaces every key: the whole cache is forgotten before and after it. */
  async beginStaging(): Promise<StagingArea> {
    const area = await this.inner.beginStaging();
    return {
      add: (entries) => area.add(entries),
      install: async (ops) => {
        this.clear();
        try {
          await area.install(ops);
        } finally {
          this.clear();
        }
      },
      discard: () => area.discard(),
    };
  }

  consistentRead(): Promise<ConsistentRead> {
    return this.inner.consistentRead();
  }

  close(): Promise<void> {
    this.clear();
    return this.inner.close();
  }

  /**
   * Caches what committed ops left in storage, in commit order. Only after `invalidate(ops)`: the
   * generation bump keeps a read that started before the commit from caching what it saw.
   */
  private writeThrough(ops: readonly StorageOp[]): boolean {
    // A bulk write (a bootstrap, a restore, a Merkle sync) would only churn the cache.
    if (this.isCaching?.() === false || ops.length > WRITE_THROUGH_MAX_OPS) return false;
    for (const op of ops) {
      if (op.op === 'delete-prefix' || this.isUncached(op.key)) continue;
      const value = op.op === 'put' ? op.value : undefined;
      const bytes = entryBytes(op.key, value);
      if (bytes > this.maxBytes / 8) continue;
      this.evict(op.key); // a write may put one key twice
      this.cache.set(op.key, value === undefined ? null : Buffer.from(value));
      this.cachedBytes += bytes;
    }
    while (this.cachedBytes > this.maxBytes) this.evict(this.cache.keys().next().value as string);
    return true;
  }

  /** Under `writeThroughExcept` (a prefix too: every key below it is). */
  private isUncached(key: string): boolean {
    return this.writeThroughExcept.some((prefix) => key.startsWith(prefix));
  }

  private evict(key: string): void {
    const value = this.cache.get(key);
    if (!this.cache.delete(key)) return;
    this.cachedBytes -= entryBytes(key, value ?? undefined);
  }

  private invalidate(ops: readonly StorageOp[]): void {
    this.generation++;
    for (const op of ops) {
      if (op.op === 'delete-prefix') {
        if (this.isUncached(op.prefix)) continue;
        for (const key of [...this.cache.keys()]) if (key.startsWith(op.prefix)) this.evict(key);
      } else {
        this.evict(op.key);
      }
    }
  }
}

function entryBytes(key: string, value: Buffer | undefined): number {
  return key.length * 2 + (value?.length ?? 0) + ENTRY_OVERHEAD_BYTES;
}
