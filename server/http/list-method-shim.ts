import type { Socket } from 'node:net';
import { HttpFramingTracker, type RequestLine } from './http-framing-tracker.js';

/** `LIST /path HTTP/1.1` → `GET /path?list=true HTTP/1.1` (Vault's own query form of LIST). */
export function rewriteListRequestLine(line: RequestLine): string {
  const sep = line.target.includes('?') ? '&' : '?';
  return `GET ${line.target}${sep}list=true HTTP/${line.version}`;
}

/** A framing tracker that turns each `LIST` request line into Vault's `GET ...?list=true`. */
export function createListMethodTracker(): HttpFramingTracker {
  return new HttpFramingTracker({ rewritableMethods: ['LIST'], rewriteRequestLine: rewriteListRequestLine });
}

/**
 * Vault clients send the non-standard `LIST` method, which Node's HTTP parser rejects. This puts
 * a framing tracker in front of the parser of `socket`: it follows the connection's HTTP/1.1
 * framing and rewrites a LIST request line only where a request really begins; bodies and all
 * other bytes reach the parser unchanged (see `HttpFramingTracker`).
 *
 * Node normally lets the parser read a TCP socket's handle directly; marking the handle consumed
 * makes the server read through 'data' events instead, which this intercepts. Writes go to the
 * socket untouched.
 */
export function attachListMethodRewrite(socket: Socket): void {
  const handle = (socket as unknown as { _handle?: { _consumed?: boolean } })._handle;
  if (handle) handle._consumed = true;
  const tracker = createListMethodTracker();
  const emit = socket.emit as (this: Socket, event: string | symbol, ...args: unknown[]) => boolean;
  socket.emit = function patchedEmit(this: Socket, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'data') {
      let out: Buffer;
      try {
        out = tracker.push(args[0] as Buffer);
      } catch {
        // Never expected (the tracker is total over bytes); a fault there must cost this
        // connection only, not the process, and never let unexamined bytes reach the parser.
        this.destroy();
        return false;
      }
      return out.length === 0 ? true : emit.call(this, 'data', out);
    }
    return emit.apply(this, [event, ...args]);
  } as typeof socket.emit;
}
