import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';

const LIST = Buffer.from('LIST ');
/** Longest request line we are willing to hold back while looking for its end. */
const MAX_REQUEST_LINE = 64 * 1024;

/**
 * Vault clients send the non-standard `LIST` method, which Node's HTTP parser rejects. This
 * stream sits between the socket and the parser and rewrites a request line
 * `LIST /path HTTP/1.1` into `GET /path?list=true HTTP/1.1`. It only looks at the start of the
 * stream and at positions right after CRLF, and it holds back a tail that could be the start
 * of such a line until the next chunk decides it.
 */
export class ListMethodShim extends Duplex {
  private pending = Buffer.alloc(0);
  private atStart = true;

  constructor(private readonly socket: Socket) {
    super({ allowHalfOpen: true });
    socket.on('data', (chunk: Buffer) => {
      if (!this.push(this.transform(chunk))) socket.pause();
    });
    socket.on('end', () => {
      if (this.pending.length > 0) this.push(this.pending);
      this.pending = Buffer.alloc(0);
      this.push(null);
    });
    socket.on('error', (err) => this.destroy(err));
    socket.on('close', () => this.destroy());
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }
  get remotePort(): number | undefined {
    return this.socket.remotePort;
  }
  get localAddress(): string | undefined {
    return this.socket.localAddress;
  }
  get localPort(): number | undefined {
    return this.socket.localPort;
  }
  setTimeout(ms: number, cb?: () => void): this {
    this.socket.setTimeout(ms, cb);
    return this;
  }
  setNoDelay(noDelay?: boolean): this {
    this.socket.setNoDelay(noDelay);
    return this;
  }
  setKeepAlive(enable?: boolean, delay?: number): this {
    this.socket.setKeepAlive(enable, delay);
    return this;
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    // A response is going out: a client that does not pipeline starts its next request on a new line.
    if (this.pending.length === 0) this.atStart = true;
    this.socket.write(chunk, cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.socket.end(cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.socket.destroy(err ?? undefined);
    cb(err);
  }

  private transform(chunk: Buffer): Buffer {
    const data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    const out: Buffer[] = [];
    let cursor = 0;
    let searchFrom = 0;
    for (;;) {
      const lineStart = this.nextLineStart(data, searchFrom);
      if (lineStart === -1) break;
      const available = data.length - lineStart;
      if (available < LIST.length) {
        // Could be the beginning of "LIST ": decide when more bytes arrive.
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

function rewriteLine(line: string): Buffer {
  const match = /^LIST (\S+) (HTTP\/\d\.\d)$/.exec(line);
  if (match === null) return Buffer.from(line, 'latin1');
  const target = match[1] as string;
  const sep = target.includes('?') ? '&' : '?';
  return Buffer.from(`GET ${target}${sep}list=true ${match[2]}`, 'latin1');
}
