/**
 * Runs async jobs one at a time, in submission order. sqlite3 multiplexes every statement over one
 * connection, so two transactions started concurrently would interleave inside one BEGIN/COMMIT;
 * every write path goes through one of these.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.tail.then(job, job);
    // Keep the chain alive whatever the job's outcome; the caller sees the real result.
    this.tail = result.catch(() => undefined);
    return result;
  }
}
