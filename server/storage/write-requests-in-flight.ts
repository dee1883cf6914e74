/** How long after its answer a connection that wrote still counts as about to write again. */
const RETURN_WITHIN_MS = 5;

/**
 * Who is about to write: the request layer reports each write request's start and end, with the
 * connection it came on. The storage's group-commit queue reads `count` as its commit siblings (as
 * PostgreSQL's `commit_siblings` counts active transactions): write requests being handled, plus
 * connections whose write was answered in the last few milliseconds and that have not sent their
 * next request yet (a client writing in a loop comes back at once). When some of them have not
 * queued a write yet, a group waits a bounded moment for them, so one fsync covers them too. The
 * count is a hint only: nothing waits on it unboundedly.
 */
export class WriteRequestsInFlight {
  private active = 0;
  /** Connections answered recently, in answer order (oldest first), with when. */
  private readonly answered = new Map<object, number>();
  private readonly listeners = new Set<() => void>();

  /** Write requests being handled plus connections expected back with another. */
  get count(): number {
    const now = performance.now();
    for (const [connection, at] of this.answered) {
      if (now - at < RETURN_WITHIN_MS) break;
      this.answered.delete(connection);
    }
    return this.active + this.answered.size;
  }

  /** A write request starts on `connection`. */
  begin(connection: object): void {
    this.answered.delete(connection);
    this.active++;
  }

  /** Called once per `begin`, whatever the request's outcome. */
  end(connection: object): void {
    this.active--;
    this.answered.set(connection, performance.now());
  }

  /** The connection closed: it sends nothing more. */
  forget(connection: object): void {
    if (this.answered.delete(connection)) for (const listener of this.listeners) listener();
  }

  /** Calls `listener` whenever an expected connection goes away, until the returned function removes it. */
  onForget(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
