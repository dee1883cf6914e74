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
 * When a WAL stream may send its next chunk of entries: `STREAM_MIN_PERIOD_MS` after the last one,
 * or `STREAM_BUSY_PERIOD_MS` when the last chunk's entries came at least `BUSY_ENTRIES_PER_MS`.
 * Times are `performance.now()` milliseconds.
 */
export class StreamCadence {
  private lastChunkAt = Number.NEGATIVE_INFINITY;
  private periodMs = STREAM_MIN_PERIOD_MS;

  /** A chunk carrying `entries` WAL entries was sent at `nowMs`. */
  sent(entries: number, nowMs: number): void {
    if (entries === 0) return;
    const elapsedMs = nowMs - this.lastChunkAt;
    this.periodMs = entries >= BUSY_ENTRIES_PER_MS * Math.max(1, elapsedMs) ? STREAM_BUSY_PERIOD_MS : STREAM_MIN_PERIOD_MS;
    this.lastChunkAt = nowMs;
  }

  /** How long to wait at `nowMs` before sending the next chunk (0: at once). */
  waitMs(nowMs: number): number {
    return Math.max(0, this.lastChunkAt + this.periodMs - nowMs);
  }
}
