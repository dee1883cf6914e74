import type { Server } from 'node:http';
import type { Socket } from 'node:net';

const LIST = Buffer.from('LIST ');
/** Longest request line we are willing to hold back while looking for its end. */
const MAX_REQUEST_LINE = 64 * 1024;

/**
 * Vault clients send the non-standard `LIST` method, which Node's HTTP parser rejects. This
 * rewriter sees a connection's bytes before the parser and turns a request line
 * `LIST /path HTTP/1.1` into `GET /path?list=true HTTP/1.1`. It only looks at the start of a
 * request (the connection's first byte, the byte after a CRLF, and the first byte after a
 * response went out), and it holds back a tail that could be the start of such a line until
 * the next chunk decides it.
 */
export class ListRequestLineRewriter {
  private pending = Buffer.alloc(0);
  /** True when the next byte begins a request line. */
  atStart = true;

  transform(chunk: Buffer): Buffer {
    const data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    // Fast path: no "LIST" anywhere and no partial match at the end.
    if (data.indexOf('LIS') === -1 && !endsWithPrefixOf(data, LIST)) {
      this.atStart = data.length >= 2 && data[data.length - 2] === 13 && data[data.length - 1] === 10;
      return data;
    }
    const out: Buffer[] = [];
    let cursor = 0;
    let searchFrom = 0;
    for (;;) {
      const lineStart = this.nextLineStart(data, searchFrom);
      if (lineStart === -1) break;
      const available = data.length - lineStart;
      if (available < LIST.length) {
        if (LIST.subarray(0, available).equals(data.subarray(lineStart))) {
          out.push(data.subarray(cursor, lineStart));
          this.pending = Buffer.from(data.subarray(lineStart));
          this.atStart = true;
          return Buffer.concat(out);
        }
        break;
      }
      if (data.subarray(lineStart, lineStart + LIST.length).equals(LIST)) {
        const lineEnd = data.indexOf('\r\n', lineStart);
        if (lineEnd === -1) {
          out.push(data.subarray(cursor, lineStart));
          if (available > MAX_REQUEST_LINE) {
            out.push(data.subarray(lineStart));
            this.atStart = false;
            return Buffer.concat(out);
          }
          this.pending = Buffer.from(data.subarray(lineStart));
          this.atStart = true;
          return Buffer.concat(out);
        }
        out.push(data.subarray(cursor, lineStart), rewriteLine(data.subarray(lineStart, lineEnd).toString('latin1')));
        cursor = lineEnd;
        searchFrom = lineEnd;
        continue;
      }
      searchFrom = lineStart + 1;
    }
    out.push(data.subarray(cursor));
    this.atStart = false;
    return Buffer.concat(out);
  }

  private nextLineStart(data: Buffer, from: number): number {
    if (from === 0 && this.atStart) return 0;
    const crlf = data.indexOf('\r\n', from);
    return crlf === -1 ? -1 : crlf + 2;
  }
}

function endsWithPrefixOf(data: Buffer, word: Buffer): boolean {
  for (let n = Math.min(word.length - 1, data.length); n > 0; n--) {
    if (data.subarray(data.length - n).equals(word.subarray(0, n))) return true;
  }
  return false;
}

function rewriteLine(line: string): Buffer {
  const match = /^LIST (\S+) (HTTP\/\d\.\d)$/.exec(line);
  if (match === null) return Buffer.from(line, 'latin1');
  const target = match[1] as string;
  const sep = target.includes('?') ? '&' : '?';
  return Buffer.from(`GET ${target}${sep}list=true ${match[2]}`, 'latin1');
}

const rewriters = new WeakMap<Socket, ListRequestLineRewriter>();

/**
 * Puts the rewriter in front of the HTTP parser of `socket`. Node normally lets the parser read
 * a TCP socket's handle directly; marking the handle consumed makes the server read through
 * 'data' events instead, which the rewriter intercepts. Writes go to the socket untouched.
 */
export function attachListMethodRewrite(socket: Socket): void {
  const handle = (socket as unknown as { _handle?: { _consumed?: boolean } })._handle;
  if (handle) handle._consumed = true;
  const rewriter = new ListRequestLineRewriter();
  rewriters.set(socket, rewriter);
  const emit = socket.emit as (this: Socket, event: string | symbol, ...args: unknown[]) => boolean;
  socket.emit = function patchedEmit(this: Socket, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'data') {
      const out = rewriter.transform(args[0] as Buffer);
      return out.length === 0 ? true : emit.call(this, 'data', out);
    }
    return emit.apply(this, [event, ...args]);
  } as typeof socket.emit;
}

/** After each response, the next byte a (non-pipelining) client sends starts a request line. */
export function trackResponses(server: Server): void {
  server.on('request', (req, res) => {
    const rewriter = rewriters.get(req.socket);
    if (rewriter) res.once('finish', () => (rewriter.atStart = true));
  });
}
