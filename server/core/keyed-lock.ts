/**
 * Runs async jobs one at a time per key, in submission order; jobs of different keys run freely.
 * A key's entry is dropped as soon as its last job settles, so idle keys cost nothing.
 *
 * Jobs must not wait on another job of the same key (that would wait forever).
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, job: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(job, job);
    // Keep the chain alive whatever the job's outcome; the caller sees the real result.
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with a job queued or running (for tests and diagnostics). */
  get size(): number {
    return this.tails.size;
  }
}
