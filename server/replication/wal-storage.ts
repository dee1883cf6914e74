import { EventEmitter } from 'node:events';
import type { ConsistentRead, ScanOptions, StorageBackend, StorageEntry, StorageOp } from '../storage/backend.js';
import { VaultError } from '../core/vault-error.js';
import { MerkleIndex } from './merkle-index.js';
import { isReplicatedKey, isReplicatedPrefix } from './replication-filter.js';

export const WAL_PREFIX = 'local/replication/wal/';
const INDEX_DIGITS = 16;
/** WAL entries beyond the retention that are dropped together. */
const TRIM_BATCH = 256;

/** One replicated change as it travels: raw (encrypted) values, exactly as stored. */
export type WalOp = { op: 'put'; key: string; value: string } | { op: 'delete'; key: string } | { op: 'delete-prefix'; prefix: string };

export interface WalEntry {
  readonly index: number;
  readonly epoch: number;
  readonly ops: readonly WalOp[];
}

export type WalRole = 'off' | 'primary' | 'secondary';

export const walKey = (index: number): string => WAL_PREFIX + String(index).padStart(INDEX_DIGITS, '0');

function toWalOps(ops: readonly StorageOp[]): WalOp[] {
  const out: WalOp[] = [];
  for (const op of ops) {
    if (op.op === 'put' && isReplicatedKey(op.key)) out.push({ op: 'put', key: op.key, value: op.value.toString('base64') });
    else if (op.op === 'delete' && isReplicatedKey(op.key)) out.push({ op: 'delete', key: op.key });
    else if (op.op === 'delete-prefix' && isReplicatedPrefix(op.prefix)) out.push({ op: 'delete-prefix', prefix: op.prefix });
  }
  return out;
}

export function fromWalOps(ops: readonly WalOp[]): StorageOp[] {
  return ops.map((op): StorageOp => (op.op === 'put' ? { op: 'put', key: op.key, value: Buffer.from(op.value, 'base64') } : op));
}

/**
 * The physical storage as replication sees it. On a primary, every transaction that touches
 * replicated keys also appends a WAL entry — in the same storage transaction. On a secondary,
 * replicated keys are read-only to the cluster's own requests (a typed `read_only` error the
 * HTTP layer turns into forwarding) and change only through `applyRemote`. In every role it
 * keeps the Merkle index of the replicated keyspace.
 */
export class WalStorage extends EventEmitter implements StorageBackend {
  readonly merkle = new MerkleIndex();
  private role: WalRole = 'off';
  private epoch = 0;
  private lastIndex = 0;
  private firstIndex = 0;
  /** The most recent WAL entries as stored (JSON), so streaming rarely reads them back from disk. */
  private readonly recent = new Map<number, string>();
  private static readonly RECENT_ENTRIES = 4096;
  /** Serializes index assignment with the commit, so WAL order is commit order. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly inner: StorageBackend,
    private readonly retentionEntries: number,
  ) {
    super();
    this.setMaxListeners(0);
  }

  get kind(): string {
    return this.inner.kind;
  }

  /** Loads the Merkle index and the WAL bounds from storage. */
  async open(): Promise<void> {
    await this.rebuildMerkle();
    const wal = await this.inner.list(WAL_PREFIX);
    const indexes = wal.map(Number).filter((n) => Number.isFinite(n));
    this.firstIndex = indexes.length > 0 ? Math.min(...indexes) : 0;
    this.lastIndex = indexes.length > 0 ? Math.max(...indexes) : 0;
  }

  setRole(role: WalRole, epoch: number): void {
    this.role = role;
    this.epoch = epoch;
  }

  get currentRole(): WalRole {
    return this.role;
  }

  get lastWal(): number {
    return this.lastIndex;
  }

  get oldestRetainedWal(): number {
    return this.firstIndex;
  }

  /** Continues numbering from a known index (a promoted secondary continues its primary's log). */
  setLastWal(index: number): void {
    this.lastIndex = Math.max(this.lastIndex, index);
  }

  get(key: string): Promise<Buffer | undefined> {
    return this.inner.get(key);
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
  consistentRead(): Promise<ConsistentRead> {
    return this.inner.consistentRead();
  }
  close(): Promise<void> {
    return this.inner.close();
  }

  transaction(ops: readonly StorageOp[]): Promise<void> {
    const walOps = toWalOps(ops);
    if (walOps.length > 0 && this.role === 'secondary') {
      return Promise.reject(new VaultError('read_only', 'cannot write to readonly storage'));
    }
    return this.serialized(async () => {
      if (walOps.length > 0 && this.role === 'primary') {
        const entry: WalEntry = { index: this.lastIndex + 1, epoch: this.epoch, ops: walOps };
        const serialized = JSON.stringify(entry);
        const trimmed = this.trimOps(entry.index);
        await this.inner.transaction([...ops, { op: 'put', key: walKey(entry.index), value: Buffer.from(serialized) }, ...trimmed.ops]);
        this.lastIndex = entry.index;
        if (trimmed.ops.length > 0) this.firstIndex = trimmed.newFirst;
        this.recent.set(entry.index, serialized);
        if (this.recent.size > WalStorage.RECENT_ENTRIES) this.recent.delete(this.recent.keys().next().value as number);
        if (this.firstIndex === 0) this.firstIndex = entry.index;
        this.applyToMerkle(ops);
        this.emit('wal', entry);
        return;
      }
      await this.inner.transaction(ops);
      this.applyToMerkle(ops);
    });
  }

  /** Applies changes that came from the primary (plus local bookkeeping ops) in one transaction. */
  applyRemote(ops: readonly StorageOp[]): Promise<void> {
    return this.serialized(async () => {
      await this.inner.transaction(ops);
      this.applyToMerkle(ops);
    });
  }

  /**
   * Replaces the whole storage (a snapshot restore) in one transaction. The WAL starts over with a
   * gap: the last index moves on by one with nothing retained, so a secondary asking for anything
   * after its position is told its entries are gone and resyncs by Merkle sync (never replaying a
   * WAL entry from before the restore).
   */
  replaceAll(ops: readonly StorageOp[]): Promise<void> {
    return this.serialized(async () => {
      await this.inner.transaction(ops);
      await this.rebuildMerkle();
      this.recent.clear();
      this.firstIndex = 0;
      this.lastIndex += 1;
    });
  }

  /** WAL entries after `afterIndex`, in order, at most `limit`. */
  async readWal(afterIndex: number, limit: number): Promise<WalEntry[]> {
    return (await this.readWalSerialized(afterIndex, limit)).map((e) => JSON.parse(e.json) as WalEntry);
  }

  /** Like readWal, but the entries as stored (JSON text), from memory when still there. */
  async readWalSerialized(afterIndex: number, limit: number): Promise<{ index: number; json: string }[]> {
    const out: { index: number; json: string }[] = [];
    for (let index = afterIndex + 1; index <= this.lastIndex && out.length < limit; index++) {
      const json = this.recent.get(index);
      if (json === undefined) break;
      out.push({ index, json });
    }
    if (out.length > 0 || afterIndex >= this.lastIndex) return out;
    const rows = await this.inner.scan(WAL_PREFIX, { after: walKey(afterIndex), limit });
    return rows.map((r) => ({ index: Number(r.key.slice(WAL_PREFIX.length)), json: r.value.toString('utf8') }));
  }

  /** Drops the whole WAL (replication disabled, or a new primary identity). */
  async resetWal(): Promise<void> {
    await this.serialized(async () => {
      await this.inner.transaction([{ op: 'delete-prefix', prefix: WAL_PREFIX }]);
      this.firstIndex = 0;
      this.recent.clear();
    });
  }

  /** Rebuilds the Merkle index from every replicated key in storage. */
  private async rebuildMerkle(): Promise<void> {
    this.merkle.clear();
    let after: string | undefined;
    for (;;) {
      const batch = await this.inner.scan('', { ...(after === undefined ? {} : { after }), limit: 2000 });
      if (batch.length === 0) break;
      for (const e of batch) if (isReplicatedKey(e.key)) this.merkle.put(e.key, e.value);
      after = (batch[batch.length - 1] as StorageEntry).key;
    }
  }

  private applyToMerkle(ops: readonly StorageOp[]): void {
    for (const op of ops) {
      if (op.op === 'put') {
        if (isReplicatedKey(op.key)) this.merkle.put(op.key, op.value);
      } else if (op.op === 'delete') this.merkle.remove(op.key);
      else if (op.prefix === '') this.merkle.clear();
      else this.merkle.removePrefix(op.prefix);
    }
  }

  /**
   * Retention: once the log holds a batch (TRIM_BATCH, or a quarter of a small retention) more
   * entries than retained, the oldest are deleted in the same transaction as the new entry (no extra commit, no scan: indexes are
   * contiguous from firstIndex).
   */
  private trimOps(newIndex: number): { ops: StorageOp[]; newFirst: number } {
    const keepFrom = newIndex - this.retentionEntries + 1;
    const batch = Math.min(TRIM_BATCH, Math.max(1, Math.floor(this.retentionEntries / 4)));
    if (this.firstIndex === 0 || keepFrom - this.firstIndex < batch) return { ops: [], newFirst: this.firstIndex };
    const ops: StorageOp[] = [];
    for (let index = this.firstIndex; index < keepFrom; index++) ops.push({ op: 'delete', key: walKey(index) });
    return { ops, newFirst: keepFrom };
  }

  private serialized<T>(job: () => Promise<T>): Promise<T> {
    const result = this.chain.then(job, job);
    this.chain = result.catch(() => undefined);
    return result;
  }
}
