/**
 * The period between chunks of WAL entries to a secondary while the primary is busy (it writes at
 * least BUSY_ENTRIES_PER_MS): a secondary pays a fixed cost for each applied chunk (its
 * transaction's sqlite3 round trips, the encrypted replication state, the stream's framing), so
 * under load fewer, larger chunks leave the shared CPUs to the primary. The added lag is bounded by
 * this period and paid only under that load. Measured with two secondaries sharing the primary's two
 * CPUs (bench, part (a)): 100 ms against 32 ms took the secondaries from 0.067 to 0.046 ms of CPU a
 * write (applies of about 140 entries instead of 40), and writes/s with them ÷ without from 0.62 to 0.72.
 */
export const STREAM_BUSY_PERIOD_MS = 100;
/**
 * The busy period of a stream that may not slow down (a DR secondary: its lag is the recovery point
 * of a failover to it): short, but still one chunk per period rather than one per commit group.
 */
export const STREAM_DR_BUSY_PERIOD_MS = 4;
/** The WAL entries a millisecond (averaged over about RATE_WINDOW_MS) from which the primary counts as busy. */
export const BUSY_ENTRIES_PER_MS = 0.5;
/**
 * The rate is a count of the entries sent that decays by e every this many milliseconds: longer
 * than a stall of the shared disk (an fsync of hundreds of milliseconds), so the commit group that
 * makes up for a stall moves it little, while a sustained load moves it all the way.
 */
export const RATE_WINDOW_MS = 500;

/**
 * When a WAL stream may send its next chunk of entries. Below the busy rate at once: the stream
 * loop coalesces only what commits while it reads and writes the previous chunk (and a secondary
 * collects what arrives while it applies into its next transaction), so a trickle pays no period.
 * While the entries sent came at `BUSY_ENTRIES_PER_MS` or more over about the last
 * `RATE_WINDOW_MS`, one chunk per `STREAM_BUSY_PERIOD_MS` (`STREAM_DR_BUSY_PERIOD_MS` for a
 * stream that may not slow down). Times are `performance.now()` milliseconds.
 */
export class StreamCadence {
  private lastChunkAt = Number.NEGATIVE_INFINITY;
  private periodMs = 0;
  /** Entries sent, each decayed by e^(-age / RATE_WINDOW_MS). */
  private recentEntries = 0;

  /** `canSlowDown` false keeps the busy period at `STREAM_DR_BUSY_PERIOD_MS` (a DR secondary). */
  constructor(private readonly canSlowDown = true) {}

  /** A chunk carrying `entries` WAL entries was sent at `nowMs`. */
  sent(entries: number, nowMs: number): void {
    if (entries === 0) return;
    const sinceLast = nowMs - this.lastChunkAt;
    this.recentEntries = this.recentEntries * Math.exp(-sinceLast / RATE_WINDOW_MS) + entries;
    // A chunk that gathered for a whole busy period measures the rate now, exactly: well under the
    // busy rate, the load is over, so the stream leaves the period at once instead of decaying out
    // of it (about a second after a burst of thousands of writes a second, during which a trickle
    // would wait up to a period per write).
    if (this.periodMs > 0 && sinceLast >= this.periodMs && entries / sinceLast < BUSY_ENTRIES_PER_MS / 2) {
      this.recentEntries = Math.min(this.recentEntries, (entries / sinceLast) * RATE_WINDOW_MS);
    }
    const isBusy = this.recentEntries / RATE_WINDOW_MS >= BUSY_ENTRIES_PER_MS;
    this.periodMs = !isBusy ? 0 : this.canSlowDown ? STREAM_BUSY_PERIOD_MS : STREAM_DR_BUSY_PERIOD_MS;
    this.lastChunkAt = nowMs;
  }

  /** How long to wait at `nowMs` before sending the next chunk (0: at once). */
  waitMs(nowMs: number): number {
    return Math.max(0, this.lastChunkAt + this.periodMs - nowMs);
  }
}
