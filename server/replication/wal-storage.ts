import { AsyncLocalStorage } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
import type { ConsistentRead, ScanOptions, StagedWrite, StagingArea, StorageBackend, StorageEntry, StorageOp } from '../storage/backend.js';
import { opsBytes } from '../storage/group-commit-queue.js';
import { ReplicaOverlay, type OverlayWrite } from '../storage/replica-overlay.js';
import { VaultError } from '../core/vault-error.js';
import type { Keyset } from './keyset.js';
import { KeysetMerkle } from './keyset-merkle.js';
import { decodeWalEntry, encodeWalEntry, isJsonWalEntry, numberWalEntry, type SerializedWalEntry, type WalEntry } from './wal-entry.js';
import { RecentWal } from './recent-wal.js';
import { isReplicatedOnly } from './wal-entry-filter.js';
import { digestOf, logged, touchesReplicated } from './wal-ops.js';
import { WAL_PREFIX, walKey, walRetentionTrim } from './wal-retention.js';
import { batchKeys, PrefixNameTracker, SCAN_PAGE, type PrefixNames } from './prefix-name-tracker.js';

export { WAL_PREFIX, walKey } from './wal-retention.js';
/**
 * Entries (with values) per page when the whole keyspace is read to rebuild the Merkle index. Small
 * pages: at 1M keys, pages of 2,000 entries left about 40 MB more RSS after the read than pages of
 * 250 (a larger V8 heap for the live page, and sqlite3 row buffers fragmenting its threads' malloc
 * arenas), for the same time.
 */
const ENTRY_SCAN_PAGE = 250;
/** WAL entries kept in memory for streaming (see RecentWal). */
const RECENT_ENTRIES = 4096;

/** One replicated change as it travels: raw (encrypted) values, exactly as stored. */
export type { SerializedWalEntry, WalEntry, WalOp } from './wal-entry.js';

export type WalRole = 'off' | 'primary' | 'secondary';

/**
 * The physical storage as replication sees it. On a primary, every transaction that touches
 * replicated keys also appends a WAL entry — in the same storage transaction. On a secondary,
 * replicated keys are read-only to the cluster's own requests (a typed `read_only` error the
 * HTTP layer turns into forwarding) and change only through `applyRemote`. In every role it
 * keeps the Merkle index of the replicated keyspace.
 */
export class WalStorage extends EventEmitter implements StorageBackend {
  /** The Merkle index of every key that can travel, by region (see `KeysetMerkle`). */
  readonly merkle = new KeysetMerkle();
  private readonly prefixNames = new PrefixNameTracker((prefix, after) =>
    this.inner.scanKeys(prefix, { ...(after === undefined ? {} : { after }), limit: SCAN_PAGE }),
  );
  private role: WalRole = 'off';
  private relaying = false;
  private epoch = 0;
  /** Committed WAL bounds. */
  private lastIndex = 0;
  private firstIndex = 0;
  /** WAL bounds including writes prepared in a commit group that has not committed yet. */
  private stagedLast = 0;
  private stagedFirst = 0;
  /**
   * The most recent WAL entries as stored (binary), so streaming rarely reads them back from disk,
   * and whether each is whole for a performance secondary (no cluster-local op: sent as is).
   */
  private readonly recent = new RecentWal(RECENT_ENTRIES);
  /** The WAL entries of replicated state committed on behalf of one tracked call (see trackWrites). */
  private readonly tracked = new AsyncLocalStorage<{ lastReplicatedWal: number }>();
  /** The index of the last committed WAL entry that changed replicated state (see lastReplicatedWal). */
  private lastReplicatedIndex = 0;

  /** Storage, behind a secondary's served-but-not-yet-committed applies (see applyRemoteAhead). */
  private readonly inner: ReplicaOverlay;
  constructor(
    storage: StorageBackend,
    private readonly retentionEntries: number,
  ) {
    super();
    this.setMaxListeners(0);
    this.inner = new ReplicaOverlay(storage);
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
    this.stagedFirst = this.firstIndex;
    this.stagedLast = this.lastIndex;
    this.lastReplicatedIndex = this.lastIndex;
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

  /**
   * The index of the last committed WAL entry that changed replicated state (what every secondary
   * receives, not cluster-local tokens and leases; on open, the log's last index). It only grows, and
   * a write's entry is counted before the write's promise settles, so a caller that reads it before
   * and after its own writes gets an index at or past each of them — with no per-call context (an
   * `AsyncLocalStorage`, as trackWrites uses, puts a hook on every promise of the process in Node 20).
   */
  get lastReplicatedWal(): number {
    return this.lastReplicatedIndex;
  }

  get oldestRetainedWal(): number {
    return this.firstIndex;
  }

  /**
   * Runs `fn` and reports the highest WAL index among the writes of replicated state (what every
   * secondary receives, not cluster-local tokens and leases) it and everything it awaited
   * committed; 0 when there were none.
   */
  async trackWrites<T>(fn: () => Promise<T>): Promise<{ result: T; lastReplicatedWal: number }> {
    const writes = { lastReplicatedWal: 0 };
    const result = await this.tracked.run(writes, fn);
    return { result, lastReplicatedWal: writes.lastReplicatedWal };
  }

  /** Continues numbering from a known index (a promoted secondary continues its primary's log). */
  setLastWal(index: number): void {
    this.lastIndex = Math.max(this.lastIndex, index);
    this.stagedLast = Math.max(this.stagedLast, index);
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
  scanKeys(prefix: string, options?: ScanOptions): Promise<string[]> {
    return this.inner.scanKeys(prefix, options);
  }
  consistentRead(): Promise<ConsistentRead> {
    return this.inner.consistentRead();
  }
  close(): Promise<void> {
    return this.inner.close();
  }

  transaction(ops: readonly StorageOp[]): Promise<void> {
    if (this.role === 'secondary' && touchesReplicated(ops)) {
      return Promise.reject(new VaultError('read_only', 'cannot write to readonly storage'));
    }
    return this.prefixNames.around(ops, (names) => this.stageLogged({ bytes: opsBytes(ops), prepare: () => ops }, false, names, ops));
  }

  /**
   * On a primary, a write touching replicated keys gets the next WAL index when its turn comes in
   * the commit group (so WAL order is commit order) and its WAL entry joins its own ops, in the same
   * transaction. The index is only reserved until the commit: a write that fails gives it back.
   */
  stage(write: StagedWrite): Promise<void> {
    return this.stageLogged(write, false, undefined);
  }

  /**
   * A secondary that is also the DR primary of its own DR secondary relays: its WAL records what
   * it applies from its primary and its own cluster-local writes, for its DR secondary to stream.
   */
  setRelaying(relaying: boolean): void {
    this.relaying = relaying;
  }

  /**
   * `knownOps`: the ops `write.prepare` will return, when known at submission: a primary then hashes
   * and encodes their WAL entry now, while the group ahead commits, and only numbers it at its turn.
   */
  private stageLogged(write: StagedWrite, isRemote: boolean, names: PrefixNames | undefined, knownOps?: readonly StorageOp[]): Promise<void> {
    let ops: readonly StorageOp[] = [];
    let staged:
      | { entry: WalEntry; bytes: Buffer; replicatedOnly: boolean; isReplicated: boolean; firstAfter: number; previous: { last: number; first: number } }
      | undefined;
    const tracked = this.tracked.getStore();
    const early = knownOps !== undefined && this.role === 'primary' ? logged(knownOps, this.epoch) : undefined;
    let digests: ReadonlyMap<StorageOp, Buffer> | undefined;
    return this.inner.stage({
      // Room for the WAL entry (the values once more) next to the data.
      bytes: write.bytes * 2,
      prepare: () => {
        ops = write.prepare();
        if (this.role === 'off') return ops;
        if (this.role === 'secondary' && !isRemote) {
          if (touchesReplicated(ops)) {
            write.abandoned?.();
            throw new VaultError('read_only', 'cannot write to readonly storage');
          }
          if (!this.relaying) return ops;
        }
        // Encoded at submission if nothing it depends on changed since; here otherwise.
        const log = early !== undefined && early.ops === ops && early.epoch === this.epoch && this.role === 'primary' ? early : logged(ops, this.epoch);
        digests = log.digests;
        if (log.entry === undefined) return ops;
        const entry: WalEntry = { index: this.stagedLast + 1, epoch: this.epoch, ops: log.walOps };
        const bytes = numberWalEntry(log.entry, entry.index);
        const trimmed = walRetentionTrim(this.stagedFirst, entry.index, this.retentionEntries);
        const previous = { last: this.stagedLast, first: this.stagedFirst };
        this.stagedLast = entry.index;
        if (trimmed.ops.length > 0) this.stagedFirst = trimmed.newFirst;
        if (this.stagedFirst === 0) this.stagedFirst = entry.index;
        staged = {
          entry,
          bytes,
          replicatedOnly: isReplicatedOnly(log.walOps),
          isReplicated: touchesReplicated(ops),
          firstAfter: this.stagedFirst,
          previous,
        };
        return [...ops, { op: 'put', key: walKey(entry.index), value: bytes }, ...trimmed.ops];
      },
      committed: () => {
        this.applyToMerkle(ops, names, digests);
        if (staged !== undefined) {
          this.lastIndex = staged.entry.index;
          this.firstIndex = staged.firstAfter;
          this.recent.add({ index: staged.entry.index, bytes: staged.bytes, replicatedOnly: staged.replicatedOnly });
        }
        write.committed?.();
        if (staged !== undefined) {
          if (staged.isReplicated) {
            this.lastReplicatedIndex = staged.entry.index;
            if (tracked !== undefined) tracked.lastReplicatedWal = Math.max(tracked.lastReplicatedWal, staged.entry.index);
          }
          this.emit('wal', staged.entry);
        }
      },
      abandoned: () => {
        if (staged !== undefined) {
          this.stagedLast = staged.previous.last;
          this.stagedFirst = staged.previous.first;
          staged = undefined;
        }
        write.abandoned?.();
      },
    });
  }

  /**
   * Applies changes that came from the primary (plus local bookkeeping ops) in one transaction.
   * `canDeferFlush` (see StagedWrite): the commit may skip its fsync — never while relaying, whose
   * WAL a DR secondary streams and must not outlive on this node.
   */
  applyRemote(ops: readonly StorageOp[], options: { canDeferFlush?: boolean } = {}): Promise<void> {
    return this.prefixNames.around(ops, (names) =>
      this.relaying
        ? this.stageLogged({ bytes: opsBytes(ops), prepare: () => ops }, true, names)
        : this.inner.write(ops, { isVisibleFirst: false, canDeferFlush: options.canDeferFlush === true, committed: () => this.applyToMerkle(ops, names) })
            .persisted,
    );
  }

  /**
   * An asynchronous secondary's apply, served before its commit (see ReplicaOverlay); the Merkle index
   * follows commits. Undefined while relaying (its WAL records commits) or for a prefix delete: use applyRemote.
   */
  applyRemoteAhead(ops: readonly StorageOp[], committed: () => void): OverlayWrite | undefined {
    if (this.relaying || ops.some((op) => op.op === 'delete-prefix')) return undefined;
    return this.inner.write(ops, {
      isVisibleFirst: true,
      canDeferFlush: true,
      committed: () => {
        this.applyToMerkle(ops, undefined);
        committed();
      },
    });
  }

  /** Waits until every apply queued so far is persisted or dropped; then resumes (see ReplicaOverlay.resume). */
  async drainApplies(): Promise<string[]> {
    await this.inner.drain();
    return this.inner.resume();
  }

  /**
   * A bulk replacement of the whole storage (a secondary's bootstrap, see StagingArea). The Merkle
   * index is rebuilt from storage once the install committed.
   */
  async beginStaging(): Promise<StagingArea> {
    const area = await this.inner.beginStaging();
    return {
      add: (entries) => area.add(entries),
      install: async (ops) => {
        await area.install(ops);
        await this.rebuildMerkle();
      },
      discard: () => area.discard(),
    };
  }

  /**
   * The keys of `keyset` whose key digests (hex) are among `digests`, read from storage: the
   * Merkle index keeps digests only. One scan of the keyspace, done only by a Merkle sync that
   * found differing leaves.
   */
  async keysWithDigests(keyset: Keyset, digests: ReadonlySet<string>): Promise<string[]> {
    const out: string[] = [];
    if (digests.size === 0) return out;
    let after: string | undefined;
    for (;;) {
      // Names only: the values of a large keyspace need not travel through memory for this.
      const batch = await this.inner.scanKeys('', { ...(after === undefined ? {} : { after }), limit: SCAN_PAGE });
      if (batch.length === 0) break;
      out.push(...this.merkle.keysWithDigests(keyset, digests, batchKeys(batch)));
      after = batch[batch.length - 1];
    }
    return out;
  }

  /**
   * Replaces the whole storage (a snapshot restore) in one transaction. The WAL starts over with a
   * gap: the last index moves on by one with nothing retained, so a secondary asking for anything
   * after its position is told its entries are gone and resyncs by Merkle sync (never replaying a
   * WAL entry from before the restore).
   */
  async replaceAll(ops: readonly StorageOp[]): Promise<void> {
    let previous = { first: 0, last: 0 };
    let bumped = 0;
    await this.inner.stage({
      bytes: opsBytes(ops),
      prepare: () => {
        previous = { first: this.stagedFirst, last: this.stagedLast };
        bumped = this.stagedLast + 1;
        this.stagedLast = bumped;
        this.stagedFirst = 0;
        return ops;
      },
      committed: () => {
        this.recent.clear();
        this.firstIndex = 0;
        this.lastIndex = bumped;
      },
      abandoned: () => {
        this.stagedFirst = previous.first;
        this.stagedLast = previous.last;
      },
    });
    await this.rebuildMerkle();
  }

  /** WAL entries after `afterIndex`, in order, at most `limit`. */
  async readWal(afterIndex: number, limit: number): Promise<WalEntry[]> {
    return (await this.readWalSerialized(afterIndex, limit)).map((e) => decodeWalEntry(e.bytes));
  }

  /**
   * Like readWal, but the entries in their binary form, from memory when still there; there,
   * `replicatedOnly` tells whether every op is replicated (unknown for entries read from disk).
   * A row of the older JSON form (written before an upgrade in place) is re-encoded.
   */
  async readWalSerialized(afterIndex: number, limit: number): Promise<SerializedWalEntry[]> {
    const out: SerializedWalEntry[] = [];
    for (let index = afterIndex + 1; index <= this.lastIndex && out.length < limit; index++) {
      // The cached object itself (read-only): every stream shares it, nothing is copied per secondary.
      const recent = this.recent.get(index);
      if (recent === undefined) break;
      out.push(recent);
    }
    if (out.length > 0 || afterIndex >= this.lastIndex) return out;
    const rows = await this.inner.scan(WAL_PREFIX, { after: walKey(afterIndex), limit });
    return rows.map((r) => ({
      index: Number(r.key.slice(WAL_PREFIX.length)),
      bytes: isJsonWalEntry(r.value) ? encodeWalEntry(decodeWalEntry(r.value)) : r.value,
    }));
  }

  /** Drops the whole WAL (replication disabled, or a new primary identity). */
  async resetWal(): Promise<void> {
    let previousFirst = 0;
    await this.inner.stage({
      bytes: 0,
      prepare: () => {
        previousFirst = this.stagedFirst;
        this.stagedFirst = 0;
        return [{ op: 'delete-prefix', prefix: WAL_PREFIX }];
      },
      committed: () => {
        this.firstIndex = 0;
        this.recent.clear();
      },
      abandoned: () => {
        this.stagedFirst = previousFirst;
      },
    });
  }

  /** Rebuilds the Merkle index from every key in storage that can travel. */
  /** Two reads of the keyspace: names first (to size the index's pages once), then every entry. */
  private async rebuildMerkle(): Promise<void> {
    // From persisted keys only: the index follows commits.
    await this.inner.drain();
    await this.merkle.presize(this.allKeys());
    let after: string | undefined;
    for (;;) {
      const batch = await this.inner.scan('', { ...(after === undefined ? {} : { after }), limit: ENTRY_SCAN_PAGE });
      if (batch.length === 0) break;
      for (const e of batch) this.merkle.put(e.key, e.value);
      after = (batch[batch.length - 1] as StorageEntry).key;
    }
  }

  /** Every key of storage, a page at a time. */
  private async *allKeys(): AsyncGenerator<readonly string[]> {
    let after: string | undefined;
    for (;;) {
      const batch = await this.inner.scanKeys('', { ...(after === undefined ? {} : { after }), limit: SCAN_PAGE });
      if (batch.length === 0) return;
      yield batch;
      after = batch[batch.length - 1];
    }
  }

  /**
   * `names`: the keys below each deleted prefix (see PrefixNameTracker); `digests`: puts' Merkle
   * digests hashed already (a primary's, for its WAL entry); a put decoded from a digested WAL entry
   * carries its own.
   */
  private applyToMerkle(ops: readonly StorageOp[], names: PrefixNames | undefined, digests?: ReadonlyMap<StorageOp, Buffer>): void {
    for (const op of ops) {
      if (op.op === 'put') {
        this.prefixNames.notePut(op.key);
        this.merkle.put(op.key, op.value, digestOf(op) ?? digests?.get(op));
      } else if (op.op === 'delete') this.merkle.remove(op.key);
      else if (op.prefix === '') this.merkle.clear();
      else this.merkle.removePrefix(op.prefix, names?.get(op.prefix) ?? []);
    }
  }
}
