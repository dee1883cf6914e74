import type { Http2Session } from 'node:http2';

/** How often the primary pings a secondary's connection, and how long it waits for the answer. */
export const LIVENESS_PING_MS = 2000;
export const LIVENESS_TIMEOUT_MS = 5000;

const watched = new WeakSet<Http2Session>();

/**
 * Pings a secondary's HTTP/2 connection (PING frames) and destroys it when an answer is
 * overdue. With large flow-control windows a primary can go on writing into a dead or frozen
 * peer's buffers for a long time without a write ever blocking or failing; the PING answer is
 * the peer's own word that it still reads. A destroyed connection ends its stream loops, so the
 * secondary shows as disconnected; a frozen one that wakes up reconnects and resumes from its
 * last applied WAL index.
 */
export function watchSessionLiveness(session: Http2Session, intervalMs = LIVENESS_PING_MS, timeoutMs = LIVENESS_TIMEOUT_MS): void {
  if (watched.has(session)) return;
  watched.add(session);
  let pingSentAt: number | undefined;
  const timer = setInterval(() => {
    if (session.destroyed || session.closed) return clearInterval(timer);
    if (pingSentAt !== undefined) {
      if (Date.now() - pingSentAt > timeoutMs) {
        clearInterval(timer);
        session.destroy(new Error(`the peer did not answer a PING within ${timeoutMs} ms`));
      }
      return;
    }
    pingSentAt = Date.now();
    const sent = session.ping((err) => {
      if (err === null) pingSentAt = undefined;
    });
    if (!sent) pingSentAt = undefined;
  }, intervalMs);
  timer.unref();
  session.once('close', () => clearInterval(timer));
}
