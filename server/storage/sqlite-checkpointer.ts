import { performance } from 'node:perf_hooks';
import type sqlite3 from 'sqlite3';
import { allRows, closeDatabase, exec, openDatabase } from './sqlite-connection.js';

/** What one `PRAGMA wal_checkpoint` reported. */
export interface CheckpointResult {
  /** It could not finish (a reader still uses older frames, or, for TRUNCATE, a writer was active). */
  readonly isBusy: boolean;
  /** Frames in the WAL now. */
  readonly walFrames: number;
  /** Of those, frames copied into the database file. */
  readonly checkpointedFrames: number;
}

/** Checkpoints run so far, by kind, for tests and diagnostics. */
export interface CheckpointStats {
  /** In the background, beside the writer's commits. */
  readonly passive: number;
  /** Between two commits, because the WAL had grown past the ceiling (the writer waited). */
  readonly blocking: number;
  /** The WAL file truncated to zero after a quiet spell. */
  readonly truncate: number;
  /** Checkpoints that failed (retried on a later tick). */
  readonly failed: number;
}

export interface CheckpointerOptions {
  readonly path: string;
  /** A counter that moves with every commit of the writer: a tick that sees it unchanged was quiet. */
  readonly commitCount: () => number;
  /** Runs `job` between two of the writer's transactions (the backend's commit queue). */
  readonly betweenCommits: <T>(job: () => Promise<T>) => Promise<T>;
  /** How often a background checkpoint runs while commits arrive. */
  readonly intervalMs?: number;
  /** Quiet time after which the WAL file is truncated. */
  readonly idleMs?: number;
  /**
   * Frames past which the WAL is checkpointed between two commits: under back-to-back commits the
   * background checkpoint never catches the writer at a frame it has finished, so the WAL would
   * never start over from its beginning and the file would grow without bound.
   */
  readonly ceilingFrames?: number;
}

const DEFAULT_INTERVAL_MS = 200;
const DEFAULT_IDLE_MS = 1000;
/** Twice SQLite's own automatic checkpoint threshold: the file stays about where it stood before. */
const DEFAULT_CEILING_FRAMES = 2000;

/**
 * Copies committed WAL frames into the database file on a connection of its own, so no commit of
 * the writer (which runs with `wal_autocheckpoint=0`) pays for a checkpoint: with SQLite's default,
 * the commit that crosses 1,000 frames copies them and fsyncs the database file inline, delaying
 * itself and every write queued behind it. Checkpoints never drop a committed frame (SQLite copies
 * only frames of committed transactions, after syncing the WAL); a crash mid-checkpoint leaves the
 * WAL to be replayed by the next open.
 */
export class SqliteCheckpointer {
  private timer: NodeJS.Timeout | undefined;
  private tickRunning: Promise<void> | undefined;
  private stopped = false;
  private lastCommitCount: number;
  private quietSince = performance.now();
  private isTruncated = false;
  private counts = { passive: 0, blocking: 0, truncate: 0, failed: 0 };
  private readonly intervalMs: number;
  private readonly idleMs: number;
  private readonly ceilingFrames: number;

  private constructor(
    private readonly db: sqlite3.Database,
    private readonly options: CheckpointerOptions,
  ) {
    this.intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
    this.idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
    this.ceilingFrames = options.ceilingFrames ?? DEFAULT_CEILING_FRAMES;
    this.lastCommitCount = options.commitCount();
    this.schedule();
  }

  /** Opens the checkpointer's connection and starts its ticks. */
  static async start(options: CheckpointerOptions): Promise<SqliteCheckpointer> {
    const db = await openDatabase(options.path);
    try {
      // Never wait on a lock: a checkpoint that cannot finish now finishes on a later tick.
      await exec(db, 'PRAGMA busy_timeout=0');
      // A checkpoint syncs the WAL before copying it and the database file after, whatever mode the
      // writer's last commit ran in.
      await exec(db, 'PRAGMA synchronous=FULL');
    } catch (err) {
      await closeDatabase(db).catch(() => undefined);
      throw err;
    }
    return new SqliteCheckpointer(db, options);
  }

  get stats(): CheckpointStats {
    return { ...this.counts };
  }

  /** Runs one checkpoint now, on the checkpointer's connection. */
  async checkpoint(mode: 'PASSIVE' | 'TRUNCATE'): Promise<CheckpointResult> {
    const rows = await allRows<{ busy: number; log: number; checkpointed: number }>(this.db, `PRAGMA wal_checkpoint(${mode})`, []);
    const row = rows[0];
    return { isBusy: (row?.busy ?? 1) !== 0, walFrames: row?.log ?? 0, checkpointedFrames: row?.checkpointed ?? 0 };
  }

  /** Stops the ticks and waits for one under way; call before the writer's queue closes. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.tickRunning;
  }

  /** After `stop`: a last checkpoint that empties the WAL where it can, then the connection closes. */
  async close(): Promise<void> {
    await this.stop();
    await this.checkpoint('TRUNCATE').catch(() => undefined);
    await closeDatabase(this.db);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.tickRunning = this.tick().finally(() => {
        this.tickRunning = undefined;
        this.schedule();
      });
    }, this.intervalMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      const commits = this.options.commitCount();
      if (commits !== this.lastCommitCount) {
        this.lastCommitCount = commits;
        this.quietSince = performance.now();
        this.isTruncated = false;
        const result = await this.checkpoint('PASSIVE');
        this.counts.passive++;
        if (result.walFrames > this.ceilingFrames && !this.stopped) {
          // Between two commits the checkpoint reaches the WAL's last frame, so the writer's next
          // commit starts the WAL over from its beginning (unless a reader still needs older frames).
          await this.options.betweenCommits(() => this.checkpoint('PASSIVE'));
          this.counts.blocking++;
        }
        return;
      }
      if (!this.isTruncated && performance.now() - this.quietSince >= this.idleMs && !this.stopped) {
        const result = await this.options.betweenCommits(() => this.checkpoint('TRUNCATE'));
        this.counts.truncate++;
        this.isTruncated = !result.isBusy;
      }
    } catch {
      // SQLITE_BUSY or an I/O error: the frames stay in the WAL, which the next tick (or the next
      // open) checkpoints; nothing committed is lost.
      this.counts.failed++;
    }
  }
}
