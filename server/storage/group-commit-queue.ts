import type { StagedWrite, StorageOp } from './backend.js';
import type { WriteRequestsInFlight } from './write-requests-in-flight.js';

/** One open storage transaction of a group, as the queue drives it. */
export interface GroupSession {
  apply(ops: readonly StorageOp[]): Promise<void>;
  /** Marks the start of one write inside the group. */
  savepoint(): Promise<void>;
  /** Keeps what the write since the savepoint did. */
  releaseSavepoint(): Promise<void>;
  /** Undoes what the write since the savepoint did; the group transaction stays open. */
  rollbackToSavepoint(): Promise<void>;
}

/**
 * Opens a transaction, runs `body` in it and commits (one durable flush, unless every write of the
 * group allowed the flush to be deferred: `canDeferFlush`); on any failure rolls back and rejects.
 * Supplied by each backend.
 */
export type GroupRunner = (body: (session: GroupSession) => Promise<void>, canDeferFlush: boolean) => Promise<void>;

export interface GroupCommitLimits {
  /** Most writes per group. */
  readonly maxWrites: number;
  /** Most bytes (as the writes estimate them) per group; a larger single write still runs alone. */
  readonly maxBytes: number;
}

export const DEFAULT_GROUP_LIMITS: GroupCommitLimits = { maxWrites: 256, maxBytes: 8 * 1024 * 1024 };

/**
 * Commit siblings (PostgreSQL's `commit_delay` with `commit_siblings`): when the request layer
 * expects writers that have not queued yet, a group waits for them for at most `maxWaitMs`, so one
 * flush covers them too. A lone writer never waits.
 */
export interface CommitSiblings {
  readonly inFlight: WriteRequestsInFlight;
  readonly maxWaitMs: number;
}

/** About one commit's flush on this class of disk: waiting longer would cost more than the fsync it saves. */
export const DEFAULT_SIBLING_WAIT_MS = 1;

/** Counters a backend exposes for metrics: committed groups (transactions, so fsyncs) and writes. */
export interface GroupCommitStats {
  readonly groups: number;
  readonly writes: number;
}

interface PendingWrite {
  readonly kind: 'write';
  readonly write: StagedWrite;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

interface PendingJob {
  readonly kind: 'job';
  readonly run: () => Promise<void>;
}

/**
 * The one place a backend's writes take turns. Writes that arrive while a group is committing wait
 * and then commit together: one transaction, one flush, each write acknowledged only after the
 * commit that covers it. A write that fails is rolled back alone and its batch-mates commit (the
 * group is then redone with a savepoint per write). `prepare` of each write
 * runs in submission order inside the transaction, so whatever it numbers (WAL indexes) is
 * numbered in commit order. Exclusive jobs (close) run alone, in order with the writes. With
 * `siblings`, a group that will flush first waits a bounded moment for writers the request layer
 * expects (see `gatherSiblings`), so a short commit cycle does not split them over more fsyncs.
 */
export class GroupCommitQueue {
  private readonly pending: (PendingWrite | PendingJob)[] = [];
  /** Writes among `pending`. */
  private pendingWrites = 0;
  /** Set while a group waits for its siblings: hears each write submitted. */
  private onSubmit: (() => void) | undefined;
  private draining = false;
  private groups = 0;
  private writes = 0;

  constructor(
    private readonly runGroup: GroupRunner,
    private readonly limits: GroupCommitLimits = DEFAULT_GROUP_LIMITS,
    private readonly siblings?: CommitSiblings,
  ) {}

  get stats(): GroupCommitStats {
    return { groups: this.groups, writes: this.writes };
  }

  submit(write: StagedWrite): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ kind: 'write', write, resolve, reject });
      this.pendingWrites++;
      this.onSubmit?.();
      this.kick();
    });
  }

  /** Runs `job` alone, after every write submitted before it. */
  exclusive<T>(job: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ kind: 'job', run: () => job().then(resolve, reject) });
      this.kick();
    });
  }

  private kick(): void {
    if (!this.draining) void this.drain();
  }

  private async drain(): Promise<void> {
    this.draining = true;
    // Writes of the group that just committed: their writers are being answered, and they are the
    // next group's writers, not this one's (waiting for them would stop the pipeline).
    let justCommitted = 0;
    try {
      for (let next = this.pending[0]; next !== undefined; next = this.pending[0]) {
        if (next.kind === 'job') {
          this.pending.shift();
          justCommitted = 0;
          await next.run();
          continue;
        }
        if (this.siblings !== undefined) await this.gatherSiblings(this.siblings, justCommitted);
        const group = this.takeGroup();
        await this.commitGroup(group);
        justCommitted = group.length;
      }
    } finally {
      this.draining = false;
    }
  }

  private takeGroup(): PendingWrite[] {
    const group: PendingWrite[] = [];
    let bytes = 0;
    for (let next = this.pending[0]; next !== undefined && next.kind === 'write'; next = this.pending[0]) {
      if (group.length > 0 && (group.length >= this.limits.maxWrites || bytes + next.write.bytes > this.limits.maxBytes)) break;
      bytes += next.write.bytes;
      group.push(next);
      this.pending.shift();
      this.pendingWrites--;
    }
    return group;
  }

  /**
   * Waits, at most `maxWaitMs`, for the writers the request layer expects (see WriteRequestsInFlight)
   * and that have not queued a write yet, except those of the group that just committed (`justCommitted`
   * of them): each write queued, or expected writer gone, counts. So writers that come as one wave
   * commit as one group, while the next wave gathers behind it. Nothing to wait for (a lone writer,
   * writes that do not come from requests, a full group) means no wait at all; nor does a group that
   * will not flush (waiting would save no fsync).
   */
  private async gatherSiblings({ inFlight, maxWaitMs }: CommitSiblings, justCommitted: number): Promise<void> {
    const head = this.pending[0];
    if (head?.kind !== 'write' || head.write.canDeferFlush === true) return;
    const missing = inFlight.count - justCommitted - this.pendingWrites;
    if (missing <= 0 || this.pendingWrites >= this.limits.maxWrites) return;
    await new Promise<void>((resolve) => {
      let heard = 0;
      const finish = (): void => {
        clearTimeout(timer);
        stopHearingForgets();
        this.onSubmit = undefined;
        resolve();
      };
      const hear = (): void => {
        if (++heard >= missing || this.pendingWrites >= this.limits.maxWrites) finish();
      };
      const timer = setTimeout(finish, maxWaitMs);
      const stopHearingForgets = inFlight.onForget(hear);
      this.onSubmit = hear;
    });
  }

  /**
   * Never rejects: every write's own promise carries its outcome. First the fast way: every write's
   * ops in one run of statements (runs of puts across writes become one multi-row upsert). Only if
   * that fails, and the group holds more than one write, is it redone write by write in savepoints,
   * so the failure is pinned on the write that caused it.
   */
  private async commitGroup(group: readonly PendingWrite[]): Promise<void> {
    const prepared: PendingWrite[] = [];
    const failed = new Map<PendingWrite, unknown>();
    try {
      await this.runGroup(async (session) => {
        const all: StorageOp[] = [];
        for (const item of group) {
          try {
            // Not push(...ops): one write may carry a million ops (a bootstrap), past V8's argument limit.
            for (const op of item.write.prepare()) all.push(op);
            prepared.push(item);
          } catch (err) {
            failed.set(item, err);
          }
        }
        await session.apply(all);
      }, canDeferFlush(group));
    } catch (err) {
      for (const item of prepared.reverse()) item.write.abandoned?.();
      if (group.length === 1) {
        for (const item of group) item.reject(failed.get(item) ?? err);
        return;
      }
      await this.commitOneByOne(group);
      return;
    }
    this.settle(group, prepared, failed);
  }

  /** Each write between its own savepoint and release: a failing write is rolled back alone. */
  private async commitOneByOne(group: readonly PendingWrite[]): Promise<void> {
    const applied: PendingWrite[] = [];
    const failed = new Map<PendingWrite, unknown>();
    try {
      await this.runGroup(async (session) => {
        for (const item of group) {
          let ops: readonly StorageOp[];
          try {
            ops = item.write.prepare();
          } catch (err) {
            failed.set(item, err);
            continue;
          }
          applied.push(item);
          await session.savepoint();
          try {
            await session.apply(ops);
          } catch (err) {
            // If even this fails, the transaction is gone: the whole group fails below.
            await session.rollbackToSavepoint();
            applied.pop();
            item.write.abandoned?.();
            failed.set(item, err);
            continue;
          }
          await session.releaseSavepoint();
        }
      }, canDeferFlush(group));
    } catch (err) {
      for (const item of [...applied].reverse()) item.write.abandoned?.();
      for (const item of group) item.reject(failed.get(item) ?? err);
      return;
    }
    this.settle(group, applied, failed);
  }

  private settle(group: readonly PendingWrite[], applied: readonly PendingWrite[], failed: ReadonlyMap<PendingWrite, unknown>): void {
    this.groups++;
    this.writes += applied.length;
    for (const item of applied) {
      try {
        item.write.committed?.();
      } catch {
        // The write is durable whatever its owner's bookkeeping did; its caller still hears so.
      }
    }
    for (const item of group) {
      if (failed.has(item)) item.reject(failed.get(item));
      else item.resolve();
    }
  }
}

/** A group may skip its flush only when every write in it allows that. */
function canDeferFlush(group: readonly PendingWrite[]): boolean {
  return group.every((item) => item.write.canDeferFlush === true);
}

/** Bytes a list of ops carries (keys and values), for the group bound. */
export function opsBytes(ops: readonly StorageOp[]): number {
  let bytes = 0;
  // Optional chaining: a malformed op must reach the backend and fail there, as itself.
  for (const op of ops) bytes += op.op === 'put' ? op.key.length + (op.value?.length ?? 0) : op.op === 'delete' ? op.key.length : op.prefix.length;
  return bytes;
}
