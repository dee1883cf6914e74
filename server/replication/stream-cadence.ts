/**
 * At most one chunk of WAL entries per this period to a secondary: commits that land meanwhile go
 * out together (far less framing and encryption per write here, and one transaction for them on the
 * secondary). A chunk after a quieter spell goes at once, so a steady trickle pays no added lag.
 */
export const STREAM_MIN_PERIOD_MS = 4;
/**
 * The period while the primary writes at least BUSY_ENTRIES_PER_MS: a secondary pays a fixed cost
 * for each applied chunk (its transaction's sqlite3 round trips, the encrypted replication state, the
 * stream's framing), so under load fewer, larger chunks leave the shared CPUs to the primary. The
 * added lag is bounded by this period and paid only under that load.
 */
export const STREAM_BUSY_PERIOD_MS = 32;
/** WAL entries a millisecond, over the last chunk's period, from which the primary counts as busy. */
export const BUSY_ENTRIES_PER_MS = 0.5;
/**
 * And at least this many entries in that chunk: at 200 writes/s two commits 4 ms apart are
 * 0.5 a millisecond too, and must not cost the next write 32 ms of lag.
 */
export const BUSY_MIN_ENTRIES = 4;

/**
 * When a WAL stream may send its next chunk of entries: `STREAM_MIN_PERIOD_MS` after the last one,
 * or `STREAM_BUSY_PERIOD_MS` when the last chunk carried `BUSY_MIN_ENTRIES` or more, which came at
 * `BUSY_ENTRIES_PER_MS` or more since the chunk before it.
 * Times are `performance.now()` milliseconds.
 */
export class StreamCadence {
  private lastChunkAt = Number.NEGATIVE_INFINITY;
  private periodMs = STREAM_MIN_PERIOD_MS;

  /** A chunk carrying `entries` WAL entries was sent at `nowMs`. */
  sent(entries: number, nowMs: number): void {
    if (entries === 0) return;
    const elapsedMs = nowMs - this.lastChunkAt;
    const isBusy = entries >= BUSY_MIN_ENTRIES && entries >= BUSY_ENTRIES_PER_MS * elapsedMs;
    this.periodMs = isBusy ? STREAM_BUSY_PERIOD_MS : STREAM_MIN_PERIOD_MS;
    this.lastChunkAt = nowMs;
  }

  /** How long to wait at `nowMs` before sending the next chunk (0: at once). */
  waitMs(nowMs: number): number {
    return Math.max(0, this.lastChunkAt + this.periodMs - nowMs);
  }
}
