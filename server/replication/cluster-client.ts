import { constants } from 'node:buffer';
import http2, { type ClientHttp2Session } from 'node:http2';
import { BodyIncompleteError, BodyTooLargeError, readBoundedBody } from './bounded-body.js';
import type { PemKeyPair } from './cluster-ca.js';

/**
 * The most a secondary reads of one answer on the cluster port, and of one NDJSON line of a
 * stream: the longest string this runtime can build (~512 MiB), since every answer is decoded to
 * text and parsed as JSON. A Merkle fetch batch of large values can legitimately be hundreds of
 * MiB, so the bound is the runtime's, not a smaller guess. Past it the request is cancelled and
 * fails with BodyTooLargeError; nothing is ever truncated.
 */
export const MAX_CLUSTER_ANSWER_BYTES = constants.MAX_STRING_LENGTH;

export interface ClusterCredentials {
  readonly caCertPem: string;
  readonly client: PemKeyPair;
}

export interface ClusterResponse {
  readonly status: number;
  readonly body: Buffer;
}

/** Parses `https://host:port` (or `host:port`) into connect options. */
export function clusterAuthority(addr: string): string {
  return /^https?:\/\//.test(addr) ? addr.replace(/^http:/, 'https:') : `https://${addr}`;
}

/**
 * A secondary's HTTP/2 connection to its primary's cluster port, authenticated both ways by the
 * primary's CA. One session carries the stream, resync requests and forwarded writes.
 */
export class ClusterClient {
  private session: ClientHttp2Session | undefined;

  constructor(
    private primaryClusterAddr: string,
    private readonly credentials: ClusterCredentials,
    private readonly headers: () => Record<string, string>,
  ) {}

  private connect(): ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    const session = http2.connect(clusterAuthority(this.primaryClusterAddr), {
      ca: this.credentials.caCertPem,
      cert: this.credentials.client.certPem,
      key: this.credentials.client.keyPem,
      minVersion: 'TLSv1.3',
    });
    session.on('error', () => undefined);
    session.setTimeout(0);
    this.session = session;
    return session;
  }

  close(): void {
    this.session?.destroy();
    this.session = undefined;
  }

  /** The primary's cluster address this client dials. */
  get address(): string {
    return this.primaryClusterAddr;
  }

  /** Dials `addr` from now on (another node of the primary cluster); an open session is closed. */
  retarget(addr: string): void {
    if (addr === this.primaryClusterAddr) return;
    this.close();
    this.primaryClusterAddr = addr;
  }

  /** A request whose whole answer is read into memory, up to `maxBytes` (refused past it). */
  async request(method: string, path: string, body?: unknown, timeoutMs = 30_000, maxBytes = MAX_CLUSTER_ANSWER_BYTES): Promise<ClusterResponse> {
    const stream = this.connect().request({ ':method': method, ':path': path, 'content-type': 'application/json', ...this.headers() });
    stream.setTimeout(timeoutMs, () => stream.close(http2.constants.NGHTTP2_CANCEL));
    if (body !== undefined) stream.end(JSON.stringify(body));
    else stream.end();
    let status = 0;
    stream.on('response', (h) => (status = Number(h[':status'])));
    try {
      const answer = await readBoundedBody(stream, maxBytes);
      return { status, body: answer };
    } catch (err) {
      if (err instanceof BodyIncompleteError && status === 0) throw new Error(`replication request to ${this.primaryClusterAddr} was closed`);
      throw err;
    }
  }

  /**
   * A streaming request: the NDJSON lines of each received chunk are handed to onLines together
   * (awaited, so a slow consumer applies backpressure through HTTP/2 flow control).
   */
  stream(path: string, onStatus: (status: number) => void, onLines: (lines: string[]) => Promise<void>): { done: Promise<void>; cancel: () => void } {
    const stream = this.connect().request({ ':method': 'GET', ':path': path, ...this.headers() });
    stream.end();
    let buffered = '';
    const done = new Promise<void>((resolve, reject) => {
      stream.on('response', (h) => onStatus(Number(h[':status'])));
      let chain = Promise.resolve();
      stream.on('data', (chunk: Buffer) => {
        if (buffered.length + chunk.length > MAX_CLUSTER_ANSWER_BYTES) {
          // A line that never ends: refuse it (the concatenation itself would throw past this).
          stream.close(http2.constants.NGHTTP2_CANCEL);
          reject(new BodyTooLargeError(MAX_CLUSTER_ANSWER_BYTES));
          return;
        }
        buffered += chunk.toString('utf8');
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        stream.pause();
        chain = chain
          .then(async () => {
            const complete = lines.filter((line) => line !== '');
            if (complete.length > 0) await onLines(complete);
          })
          .then(
            () => {
              stream.resume();
            },
            (err: unknown) => {
              stream.close(http2.constants.NGHTTP2_CANCEL);
              reject(err);
            },
          );
      });
      stream.on('end', () => chain.then(() => resolve(), reject));
      stream.on('error', reject);
      stream.on('close', () => chain.then(() => resolve(), reject));
    });
    return { done, cancel: () => stream.close(http2.constants.NGHTTP2_CANCEL) };
  }
}
