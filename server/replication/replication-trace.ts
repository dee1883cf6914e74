import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

/** A stage of a WAL entry's way from the primary's commit to a secondary's `last_remote_wal`. */
export type TraceStage =
  /** Primary: a `'wal'` event reached a stream (its `to` is the primary's last WAL index then). */
  | 'wal'
  /** Primary: a chunk of entries `from`..`to` was encoded for a secondary. */
  | 'encoded'
  /** Primary: that chunk was handed to the HTTP/2 stream (`write` returned). */
  | 'written'
  /** Secondary: bytes of the stream arrived (`to` is their length). */
  | 'data'
  /** Secondary: a chunk's lines were parsed and its apply starts (entries `from`..`to`). */
  | 'apply'
  /** Secondary: that chunk is visible to readers and `last_remote_wal` moved to `to` (its commit may follow). */
  | 'published'
  /** Secondary: the commit of everything up to `to` is done (what a restart resumes from). */
  | 'persisted';

const FLUSH_MS = 500;

/**
 * Per-stage timestamps of the replication stream, for finding where a write's lag goes. Off
 * unless `FERRY_REPLICATION_TRACE` names a directory: then each process appends
 * `[epochMs, stage, from, to, stream]` lines (JSON) to `<dir>/<pid>.ndjson` every half second. Times are
 * `performance.timeOrigin + performance.now()`, comparable across processes on one host. Nothing
 * but WAL indexes and byte counts is recorded.
 */
export class ReplicationTrace {
  private lines: string[] = [];
  private readonly file: string | undefined;

  constructor(dir: string | undefined) {
    this.file = dir === undefined || dir === '' ? undefined : join(dir, `${process.pid}.ndjson`);
    if (this.file !== undefined) {
      setInterval(() => this.flush(), FLUSH_MS).unref();
      process.on('exit', () => this.flush());
    }
  }

  get isOn(): boolean {
    return this.file !== undefined;
  }

  /** `stream` names the secondary a primary's stream serves ('' on a secondary). */
  mark(stage: TraceStage, from: number, to: number, stream = ''): void {
    if (this.file === undefined) return;
    this.lines.push(JSON.stringify([performance.timeOrigin + performance.now(), stage, from, to, stream]));
  }

  private flush(): void {
    if (this.file === undefined || this.lines.length === 0) return;
    const text = this.lines.join('\n') + '\n';
    this.lines = [];
    appendFileSync(this.file, text);
  }
}

/** The process's trace (see ReplicationTrace). */
export const replicationTrace = new ReplicationTrace(process.env.FERRY_REPLICATION_TRACE);
