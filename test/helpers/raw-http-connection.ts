/**
 * One raw keep-alive TCP connection to a test server, for framing tests: bytes are written
 * exactly as given (pipelined or split), and responses are parsed off the wire in order.
 */
import { connect, type Socket } from 'node:net';

/** One HTTP response read from the connection (interim 1xx responses are skipped). */
export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export class RawHttpConnection {
  private buffered = Buffer.alloc(0);
  private readonly parsed: RawResponse[] = [];
  private wake: (() => void) | undefined;
  private isClosed = false;
  private error: Error | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.parseAvailable();
      this.wake?.();
    });
    socket.on('error', (err) => {
      this.error = err;
      this.wake?.();
    });
    socket.on('close', () => {
      this.isClosed = true;
      this.wake?.();
    });
  }

  static open(port: number, host = '127.0.0.1'): Promise<RawHttpConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host }, () => {
        socket.off('error', reject);
        socket.setNoDelay(true);
        resolve(new RawHttpConnection(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Whether the server closed the connection. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Bytes received that are not (yet) part of a complete response. */
  get leftover(): Buffer {
    return this.buffered;
  }

  write(bytes: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(bytes, (err) => (err ? reject(err) : resolve())));
  }

  /** The next response; rejects after `timeoutMs` or when the connection closes first. */
  async nextResponse(timeoutMs = 10_000): Promise<RawResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const next = this.parsed.shift();
      if (next !== undefined) return next;
      if (this.isClosed || this.error !== undefined) throw new Error(`connection closed before a response (${this.error?.message ?? 'closed'})`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no response within ${timeoutMs}ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** Every response already received, and then waits `quietMs` for stragglers (for "no extra answer" checks). */
  async drain(quietMs: number): Promise<RawResponse[]> {
    await new Promise((resolve) => setTimeout(resolve, quietMs));
    return this.parsed.splice(0);
  }

  close(): void {
    this.socket.destroy();
  }

  private parseAvailable(): void {
    for (;;) {
      const headEnd = this.buffered.indexOf('\r\n\r\n');
      if (headEnd === -1) return;
      const head = this.buffered.subarray(0, headEnd).toString('latin1').split('\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '')?.[1]);
      const headers: Record<string, string> = {};
      for (const line of head.slice(1)) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      let rest = this.buffered.subarray(headEnd + 4);
      let body: Buffer;
      if (headers['transfer-encoding']?.toLowerCase() === 'chunked') {
        const decoded = decodeChunked(rest);
        if (decoded === undefined) return;
        body = decoded.body;
        rest = rest.subarray(decoded.length);
      } else {
        const length = status >= 200 && status !== 204 && status !== 304 ? Number(headers['content-length'] ?? 0) : 0;
        if (rest.length < length) return;
        body = rest.subarray(0, length);
        rest = rest.subarray(length);
      }
      this.buffered = Buffer.from(rest);
      if (status >= 100 && status < 200) continue;
      this.parsed.push({ status, headers, body: Buffer.from(body) });
    }
  }
}

function decodeChunked(data: Buffer): { body: Buffer; length: number } | undefined {
  const parts: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', pos);
    if (lineEnd === -1) return undefined;
    const size = parseInt(data.subarray(pos, lineEnd).toString('latin1'), 16);
    pos = lineEnd + 2;
    if (size === 0) {
      const end = data.indexOf('\r\n\r\n', pos - 2);
      return end === -1 ? undefined : { body: Buffer.concat(parts), length: end + 4 };
    }
    if (data.length < pos + size + 2) return undefined;
    parts.push(data.subarray(pos, pos + size));
    pos += size + 2;
  }
}
