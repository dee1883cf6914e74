import {
  childOf,
  type ConsistentRead,
  type ScanOptions,
  type StagedWrite,
  type StagingArea,
  type StorageBackend,
  type StorageEntry,
  type StorageOp,
} from './backend.js';
import { opsBytes } from './group-commit-queue.js';

/** What the overlay may hold before `write` waits for persists to catch up (backpressure). */
export interface OverlayLimits {
  readonly maxOps: number;
  readonly maxBytes: number;
}

export const DEFAULT_OVERLAY_LIMITS: OverlayLimits = { maxOps: 4096, maxBytes: 4 * 1024 * 1024 };

/** A replicated apply the overlay holds: visible (`visible` resolved) before it is persisted. */
export interface OverlayWrite {
  /** Resolves once the ops are what reads see (at once, or once the overlay had room). */
  readonly visible: Promise<void>;
  /** Resolves once the ops committed to storage; rejects when they never will (the overlay was dropped). */
  readonly persisted: Promise<void>;
}

export interface OverlayWriteOptions {
  /** Reads see the ops before they commit. Without it (or with a delete-prefix op) they are seen once committed. */
  readonly isVisibleFirst: boolean;
  readonly canDeferFlush: boolean;
  /** Runs when the commit covering the ops is done, before `persisted` resolves. */
  readonly committed?: () => void;
}

/** Raised for a write of the chain that cannot commit because an earlier one did not. */
export class OverlayDroppedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OverlayDroppedError';
  }
}

interface Pending {
  readonly value: Buffer | null;
  readonly seq: number;
}

/**
 * A replica's applied-but-not-yet-persisted writes, in front of its storage. A secondary whose
 * source of truth is its primary makes a streamed chunk visible to readers as soon as it is checked,
 * and persists it behind, in order (one staged write per chunk; the storage's group commit joins
 * the chunks that queue while one commits). Every read consults the pending puts and deletes first;
 * lists and scans merge them into storage's answer in key order, paging included.
 *
 * Writes through `write` form one chain, committed in order: storage always holds a prefix of what
 * was served. When a served write fails, the overlay is dropped and every later write of the chain
 * fails too, until the owner resumes from what it had persisted (`resume`, which returns the keys
 * readers saw and no longer see); a write that was not served (`isVisibleFirst` false) just fails
 * alone. Other writes (the node's own: tokens, leases) pass straight through; they never touch
 * the keys the overlay holds. Bounded: past `limits`, `write` waits until persists made room.
 */
export class ReplicaOverlay implements StorageBackend {
  private readonly pending = new Map<string, Pending>();
  private seq = 0;
  /** Bumped when the overlay is dropped: writes of an older generation never commit. */
  private generation = 0;
  /** The lowest chain write abandoned by its group and not prepared again: later ones must not commit. */
  private brokenAt: number | undefined;
  private inFlightOps = 0;
  private inFlightBytes = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private roomWaiters: (() => void)[] = [];
  private dropped: string[] = [];
  /** Set by a drop until `resume`: chain writes are refused meanwhile. */
  private isDropped = false;
  /** The last write still waiting for room, which later writes queue behind. */
  private waiting: Promise<void> | undefined;

  constructor(
    private readonly inner: StorageBackend,
    private readonly limits: OverlayLimits = DEFAULT_OVERLAY_LIMITS,
  ) {}

  get kind(): string {
    return this.inner.kind;
  }

  /** Keys reads see from the overlay now. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Queues `ops` for commit behind every earlier chain write and, with `isVisibleFirst`, makes them
   * what reads see at once (after waiting for room when the overlay is full).
   */
  write(ops: readonly StorageOp[], options: OverlayWriteOptions): OverlayWrite {
    if (this.isDropped) {
      // Nothing of the chain commits until its owner resumed from what was persisted (see resume).
      const refused = Promise.reject(new OverlayDroppedError('replicated applies are refused until the stream resumes from its persisted index'));
      refused.catch(() => undefined);
      return { visible: refused, persisted: refused };
    }
    const isVisibleFirst = options.isVisibleFirst && ops.every((op) => op.op !== 'delete-prefix');
    const bytes = opsBytes(ops);
    let persistedResolve!: () => void;
    let persistedReject!: (err: unknown) => void;
    const persisted = new Promise<void>((resolve, reject) => {
      persistedResolve = resolve;
      persistedReject = reject;
    });
    const start = (): void => {
      const seq = ++this.seq;
      const generation = this.generation;
      if (isVisibleFirst) for (const op of keyedOps(ops)) this.pending.set(op.key, { value: op.op === 'put' ? op.value : null, seq });
      this.inFlightOps += ops.length;
      this.inFlightBytes += bytes;
      const staged: StagedWrite = {
        bytes,
        canDeferFlush: options.canDeferFlush,
        prepare: () => {
          if (generation !== this.generation) throw new OverlayDroppedError('an earlier replicated apply failed; this one is dropped');
          if (this.brokenAt === seq) this.brokenAt = undefined;
          if (this.brokenAt !== undefined && this.brokenAt < seq) throw new OverlayDroppedError('an earlier replicated apply did not commit');
          return ops;
        },
        abandoned: () => {
          // Only a served write leaves a hole in what readers saw; a plain write fails alone.
          if (isVisibleFirst && generation === this.generation) this.brokenAt = Math.min(this.brokenAt ?? seq, seq);
        },
        committed: () => {
          if (isVisibleFirst) for (const op of keyedOps(ops)) if (this.pending.get(op.key)?.seq === seq) this.pending.delete(op.key);
          options.committed?.();
        },
      };
      const done = this.inner.stage(staged).then(
        () => {
          this.release(ops.length, bytes);
          persistedResolve();
        },
        (err: unknown) => {
          this.release(ops.length, bytes);
          if (isVisibleFirst && generation === this.generation) this.drop();
          persistedReject(err);
        },
      );
      this.inFlight.add(done);
      void done.finally(() => this.inFlight.delete(done));
    };
    let visible: Promise<void>;
    if (this.waiting === undefined && (!isVisibleFirst || this.hasRoom())) visible = Promise.resolve(start());
    else {
      // Behind a write that waits for room: in order, so storage still gets the chain's order.
      const ready = (this.waiting ?? Promise.resolve()).then(() => (isVisibleFirst ? this.waitForRoom() : undefined)).then(start);
      this.waiting = ready;
      void ready.finally(() => {
        if (this.waiting === ready) this.waiting = undefined;
      });
      visible = ready;
    }
    const seen = isVisibleFirst ? visible : visible.then(() => persisted);
    // A caller may await only one of the two: the other's failure is not an unhandled rejection.
    seen.catch(() => undefined);
    persisted.catch(() => undefined);
    return { visible: seen, persisted };
  }

  /** Waits until every chain write queued so far settled (committed, or failed and dropped). */
  async drain(): Promise<void> {
    while (this.waiting !== undefined || this.inFlight.size > 0) await Promise.allSettled([this.waiting, ...this.inFlight]);
  }

  /**
   * After a drop, once drained: accepts chain writes again (the owner resumes from what was
   * persisted) and returns the keys the drop made invisible again, for cache invalidation.
   */
  resume(): string[] {
    const keys = this.dropped;
    this.dropped = [];
    this.isDropped = false;
    return keys;
  }

  get(key: string): Promise<Buffer | undefined> {
    // A node that never held a replicated apply (a primary, a node with replication off) pays
    // nothing here: its reads are storage's, with no promise of the overlay's own.
    if (this.seq === 0) return this.inner.get(key);
    const hit = this.pending.get(key);
    if (hit !== undefined) return Promise.resolve(hit.value ?? undefined);
    return this.inner.get(key).then((value) => {
      // Made visible while storage answered: the newer one.
      const late = this.pending.get(key);
      return late === undefined ? value : (late.value ?? undefined);
    });
  }

  put(key: string, value: Buffer): Promise<void> {
    return this.inner.put(key, value);
  }
  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }
  transaction(ops: readonly StorageOp[]): Promise<void> {
    return this.inner.transaction(ops);
  }
  stage(write: StagedWrite): Promise<void> {
    return this.inner.stage(write);
  }

  scan(prefix: string, options?: ScanOptions): Promise<StorageEntry[]> {
    if (this.pending.size === 0) return this.inner.scan(prefix, options);
    return this.mergeScan(
      prefix,
      options,
      (opts) => this.inner.scan(prefix, opts),
      (e) => e.key,
      (key, value) => ({ key, value }),
    );
  }

  scanKeys(prefix: string, options?: ScanOptions): Promise<string[]> {
    if (this.pending.size === 0) return this.inner.scanKeys(prefix, options);
    return this.mergeScan(
      prefix,
      options,
      (opts) => this.inner.scanKeys(prefix, opts),
      (k) => k,
      (key) => key,
    );
  }

  list(prefix: string): Promise<string[]> {
    return this.seq === 0 ? this.inner.list(prefix) : this.mergedList(prefix);
  }

  private async mergedList(prefix: string): Promise<string[]> {
    const view = this.viewUnder(prefix);
    const names = await this.inner.list(prefix);
    for (const [key, value] of this.viewUnder(prefix)) view.set(key, value);
    if (view.size === 0) return names;
    const children = new Set(names);
    const withPut = new Set<string>();
    const withDelete = new Set<string>();
    for (const [key, value] of view) {
      const child = childOf(prefix, key);
      if (value === null) withDelete.add(child);
      else {
        withPut.add(child);
        children.add(child);
      }
    }
    for (const child of withDelete) {
      if (withPut.has(child) || !children.has(child)) continue;
      // A leaf deleted here; a folder only if nothing else is left below it.
      if (!child.endsWith('/')) children.delete(child);
      else if ((await this.scanKeys(prefix + child, { limit: 1 })).length === 0) children.delete(child);
    }
    return [...children].sort();
  }

  /** A consistent view of what is persisted once every queued chain write settled (a prefix of the stream). */
  async consistentRead(): Promise<ConsistentRead> {
    await this.drain();
    return this.inner.consistentRead();
  }

  async beginStaging(): Promise<StagingArea> {
    await this.drain();
    return this.inner.beginStaging();
  }

  async close(): Promise<void> {
    await this.drain();
    await this.inner.close();
  }

  private hasRoom(): boolean {
    return this.inFlightOps < this.limits.maxOps && this.inFlightBytes < this.limits.maxBytes;
  }

  private waitForRoom(): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.hasRoom()) resolve();
        else this.roomWaiters.push(check);
      };
      check();
    });
  }

  private release(ops: number, bytes: number): void {
    this.inFlightOps -= ops;
    this.inFlightBytes -= bytes;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const w of waiters) w();
  }

  /** Forgets every pending op: later chain writes of this generation fail in prepare. */
  private drop(): void {
    this.isDropped = true;
    this.generation++;
    this.brokenAt = undefined;
    this.dropped.push(...this.pending.keys());
    this.pending.clear();
  }

  /** The overlay's ops on keys below prefix, as a copy. */
  private viewUnder(prefix: string): Map<string, Buffer | null> {
    const view = new Map<string, Buffer | null>();
    for (const [key, p] of this.pending) if (key.startsWith(prefix)) view.set(key, p.value);
    return view;
  }

  /**
   * Storage's page with the overlay's ops merged in, in key order: storage rows of keys the overlay
   * holds are replaced by its puts or hidden by its deletes; storage is asked for as many more rows
   * as the overlay could hide, and again past the last row while deletes left the page short.
   */
  private async mergeScan<T>(
    prefix: string,
    options: ScanOptions | undefined,
    fetch: (options: ScanOptions) => Promise<T[]>,
    keyOf: (item: T) => string,
    fromOverlay: (key: string, value: Buffer) => T,
  ): Promise<T[]> {
    const first = options?.after;
    const limit = options?.limit;
    const view = this.viewUnder(prefix);
    const kept: T[] = [];
    let after = first;
    for (;;) {
      const want = limit === undefined ? undefined : limit + view.size;
      const rows = await fetch({ ...(after === undefined ? {} : { after }), ...(want === undefined ? {} : { limit: want }) });
      for (const [key, value] of this.viewUnder(prefix)) view.set(key, value);
      for (const row of rows) if (!view.has(keyOf(row))) kept.push(row);
      const isExhausted = want === undefined || rows.length < want;
      const lastRow = rows.length > 0 ? keyOf(rows[rows.length - 1] as T) : undefined;
      if (isExhausted || (limit !== undefined && kept.length >= limit)) {
        const added: T[] = [];
        for (const [key, value] of view) {
          if (value === null || (first !== undefined && compareKeys(key, first) <= 0)) continue;
          if (!isExhausted && lastRow !== undefined && compareKeys(key, lastRow) > 0) continue;
          added.push(fromOverlay(key, value));
        }
        const merged = mergeSorted(
          kept,
          added.sort((a, b) => compareKeys(keyOf(a), keyOf(b))),
          keyOf,
        );
        return limit === undefined ? merged : merged.slice(0, limit);
      }
      after = lastRow;
    }
  }
}

type KeyedOp = Exclude<StorageOp, { op: 'delete-prefix' }>;

function keyedOps(ops: readonly StorageOp[]): KeyedOp[] {
  return ops.filter((op): op is KeyedOp => op.op !== 'delete-prefix');
}

/** Storage's key order: UTF-8 bytes (SQLite's BINARY collation), which is code point order. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function mergeSorted<T>(a: readonly T[], b: readonly T[], keyOf: (item: T) => string): T[] {
  if (b.length === 0) return [...a];
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (compareKeys(keyOf(a[i] as T), keyOf(b[j] as T)) <= 0) out.push(a[i++] as T);
    else out.push(b[j++] as T);
  }
  while (i < a.length) out.push(a[i++] as T);
  while (j < b.length) out.push(b[j++] as T);
  return out;
}
