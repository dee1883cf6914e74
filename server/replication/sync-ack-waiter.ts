/**
 * Acknowledgements from secondaries, as the primary receives them: each secondary reports the
 * highest WAL index it has committed to its own storage. `waitFor(walIndex)` resolves once at
 * least one *eligible* secondary (for synchronous DR: a DR secondary) has acknowledged that index
 * or a later one, or reports a timeout. An acknowledgement is a statement about durable storage,
 * so it keeps counting after the secondary disconnects; eligibility is asked again on every
 * acknowledgement and every wait (a revoked secondary stops counting at once). WAL numbering never
 * goes back while the server runs (restores and promotions continue it) and acknowledgements live
 * only in memory, so an old acknowledgement never covers a new write.
 */
export class SyncAckWaiter {
  /** Highest acknowledged WAL index per secondary id. */
  private readonly acked = new Map<string, number>();
  private waiters: { readonly walIndex: number; readonly resolve: (isAcknowledged: boolean) => void }[] = [];

  constructor(private readonly isEligible: (secondaryId: string) => boolean) {}

  /** Whether `secondaryId` should send acknowledgements at all. */
  isWanted(secondaryId: string): boolean {
    return this.isEligible(secondaryId);
  }

  /** A secondary reports it has committed everything up to `walIndex`. */
  ack(secondaryId: string, walIndex: number): void {
    if (!Number.isSafeInteger(walIndex) || walIndex < 0) return;
    const previous = this.acked.get(secondaryId) ?? 0;
    if (walIndex <= previous) return;
    this.acked.set(secondaryId, walIndex);
    if (!this.isEligible(secondaryId)) return;
    const ready = this.waiters.filter((w) => w.walIndex <= walIndex);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.walIndex > walIndex);
    for (const w of ready) w.resolve(true);
  }

  /** The highest WAL index any eligible secondary has acknowledged (0: none). */
  durableWal(): number {
    let best = 0;
    for (const [id, walIndex] of this.acked) if (walIndex > best && this.isEligible(id)) best = walIndex;
    return best;
  }

  /** Resolves true once an eligible secondary has acknowledged `walIndex`, false after `timeoutMs`. */
  waitFor(walIndex: number, timeoutMs: number): Promise<boolean> {
    if (this.durableWal() >= walIndex) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      const waiter = {
        walIndex,
        resolve: (isAcknowledged: boolean) => {
          clearTimeout(timer);
          resolve(isAcknowledged);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Writes waiting now (for status and tests). */
  get pending(): number {
    return this.waiters.length;
  }
}
