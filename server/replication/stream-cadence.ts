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
/** The WAL entries a millisecond (averaged over about RATE_WINDOW_MS) from which the primary counts as busy. */
export const BUSY_ENTRIES_PER_MS = 0.5;
/**
 * The rate is a count of the entries sent that decays by e every this many milliseconds: a burst
 * (a commit group after a stall, two groups whose chunks jitter close together at 200 writes/s)
 * moves it little, a sustained load moves it all the way.
 */
export const RATE_WINDOW_MS = 50;

/**
 * When a WAL stream may send its next chunk of entries: `STREAM_MIN_PERIOD_MS` after the last one,
 * or `STREAM_BUSY_PERIOD_MS` while the entries sent came at `BUSY_ENTRIES_PER_MS` or more over
 * about the last `RATE_WINDOW_MS`. Times are `performance.now()` milliseconds.
 */
export class StreamCadence {
  private lastChunkAt = Number.NEGATIVE_INFINITY;
  private periodMs = STREAM_MIN_PERIOD_MS;
  /** Entries sent, each decayed by e^(-age / RATE_WINDOW_MS). */
  private recentEntries = 0;

  /**
   * `canSlowDown` false keeps `STREAM_MIN_PERIOD_MS` under any load: a DR secondary's lag is the
   * recovery point of a failover to it, so it is not traded for the primary's CPU.
   */
  constructor(private readonly canSlowDown = true) {}

  /** A chunk carrying `entries` WAL entries was sent at `nowMs`. */
  sent(entries: number, nowMs: number): void {
    if (entries === 0) return;
    this.recentEntries = this.recentEntries * Math.exp(-(nowMs - this.lastChunkAt) / RATE_WINDOW_MS) + entries;
    const isBusy = this.canSlowDown && this.recentEntries / RATE_WINDOW_MS >= BUSY_ENTRIES_PER_MS;
    this.periodMs = isBusy ? STREAM_BUSY_PERIOD_MS : STREAM_MIN_PERIOD_MS;
    this.lastChunkAt = nowMs;
  }

  /** How long to wait at `nowMs` before sending the next chunk (0: at once). */
  waitMs(nowMs: number): number {
    return Math.max(0, this.lastChunkAt + this.periodMs - nowMs);
  }
}
