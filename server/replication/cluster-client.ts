import { constants } from 'node:buffer';
import http2, { type ClientHttp2Session } from 'node:http2';
import { BodyIncompleteError, BodyTooLargeError, readBoundedBody } from './bounded-body.js';
import type { PemKeyPair } from './cluster-ca.js';
import { replicationTrace } from './replication-trace.js';
import { FrameReader, WAL_FRAMES_CONTENT_TYPE, WAL_FRAMES_DIGESTED_CONTENT_TYPE } from './wal-frames.js';

/**
 * The most a secondary reads of one answer on the cluster port, and of one NDJSON line of a
 * stream: the longest string this runtime can build (~512 MiB), since every answer is decoded to
 * text and parsed as JSON. A Merkle fetch batch of large values can legitimately be hundreds of
 * MiB, so the bound is the runtime's, not a smaller guess. Past it the request is cancelled and
 * fails with BodyTooLargeError; nothing is ever truncated.
 */
export const MAX_CLUSTER_ANSWER_BYTES = constants.MAX_STRING_LENGTH;

/**
 * HTTP/2 flow-control windows of the secondary's side (what the primary may send ahead before
 * the secondary acknowledges it). HTTP/2's default of 64 KiB per stream caps a transfer at one
 * window per round trip: 1.3 MB/s over a 50 ms link, which made a bootstrap round-trip bound. With
 * 8 MiB per stream and 32 MiB per connection a 50 ms link carries 160 MB/s before flow control
 * bites, while a paused consumer still bounds what is buffered on either side.
 */
export const CLUSTER_STREAM_WINDOW_BYTES = 8 * 1024 * 1024;
export const CLUSTER_CONNECTION_WINDOW_BYTES = 32 * 1024 * 1024;
/** Received stream lines collected while the consumer is busy, before the stream is paused. */
const STREAM_PENDING_BYTES = 4 * 1024 * 1024;

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
      settings: { initialWindowSize: CLUSTER_STREAM_WINDOW_BYTES },
    });
    session.on('error', () => undefined);
    session.once('connect', () => session.setLocalWindowSize(CLUSTER_CONNECTION_WINDOW_BYTES));
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
   * A streaming request: NDJSON lines are handed to onLines, one call at a time. Lines that arrive
   * while a call is in flight are collected and handed over together in the next call, so a
   * consumer that commits each call in one transaction commits larger groups the busier the
   * stream is (one transaction and one fsync for everything that arrived meanwhile). Past
   * STREAM_PENDING_BYTES of collected lines the stream is paused, so a slow consumer applies
   * backpressure through HTTP/2 flow control and memory stays bounded.
   */
  stream(path: string, onStatus: (status: number) => void, onLines: (lines: string[]) => Promise<void>): { done: Promise<void>; cancel: () => void } {
    return this.streamItems(path, false, onStatus, (items) => onLines(items as string[]));
  }

  /**
   * Like stream, but asks for the WAL stream's binary framing (see wal-frames.ts): the items are
   * frames (Buffers) when the primary answers with it, NDJSON lines (strings) when it is of an
   * older build and answers NDJSON.
   */
  streamFrames(
    path: string,
    onStatus: (status: number) => void,
    onItems: (items: readonly (string | Buffer)[]) => Promise<void>,
  ): { done: Promise<void>; cancel: () => void } {
    return this.streamItems(path, true, onStatus, onItems);
  }

  private streamItems(
    path: string,
    acceptsFrames: boolean,
    onStatus: (status: number) => void,
    onLines: (items: (string | Buffer)[]) => Promise<void>,
  ): { done: Promise<void>; cancel: () => void } {
    const accept = acceptsFrames ? { accept: `${WAL_FRAMES_DIGESTED_CONTENT_TYPE}, ${WAL_FRAMES_CONTENT_TYPE}, application/x-ndjson` } : {};
    const stream = this.connect().request({ ':method': 'GET', ':path': path, ...accept, ...this.headers() });
    stream.end();
    let buffered = '';
    let frames: FrameReader | undefined;
    let pending: (string | Buffer)[] = [];
    let pendingBytes = 0;
    let draining: Promise<void> | undefined;
    let failed = false;
    const done = new Promise<void>((resolve, reject) => {
      const fail = (err: unknown): void => {
        failed = true;
        stream.close(http2.constants.NGHTTP2_CANCEL);
        reject(err);
      };
      const drain = async (): Promise<void> => {
        while (pending.length > 0 && !failed) {
          const lines = pending;
          pending = [];
          pendingBytes = 0;
          if (stream.isPaused()) stream.resume();
          await onLines(lines);
        }
      };
      const kick = (): void => {
        if (draining !== undefined) return;
        // Started after this turn of the event loop's I/O: the rest of a chunk whose DATA frames
        // arrived together joins the first frames' batch (one apply a chunk, not one a frame).
        draining = new Promise<void>((resolve) => setImmediate(resolve))
          .then(drain)
          .catch(fail)
          .finally(() => {
            draining = undefined;
            if (pending.length > 0 && !failed) kick();
          });
      };
      stream.on('response', (h) => {
        const type = h['content-type'];
        if (acceptsFrames && (type === WAL_FRAMES_DIGESTED_CONTENT_TYPE || type === WAL_FRAMES_CONTENT_TYPE))
          frames = new FrameReader(MAX_CLUSTER_ANSWER_BYTES);
        onStatus(Number(h[':status']));
      });
      stream.on('data', (chunk: Buffer) => {
        replicationTrace.mark('data', 0, chunk.length);
        if (frames !== undefined) {
          try {
            for (const frame of frames.push(chunk)) {
              pending.push(frame);
              pendingBytes += frame.length;
            }
          } catch (err) {
            fail(err);
            return;
          }
        } else if (buffered.length + chunk.length > MAX_CLUSTER_ANSWER_BYTES) {
          // A line that never ends: refuse it (the concatenation itself would throw past this).
          fail(new BodyTooLargeError(MAX_CLUSTER_ANSWER_BYTES));
          return;
        } else {
          buffered += chunk.toString('utf8');
          const lines = buffered.split('\n');
          buffered = lines.pop() ?? '';
          for (const line of lines) {
            if (line === '') continue;
            pending.push(line);
            pendingBytes += line.length;
          }
        }
        if (pendingBytes > STREAM_PENDING_BYTES) stream.pause();
        kick();
      });
      const settle = (): void => {
        void (async () => {
          while (draining !== undefined) await draining;
          if (!failed) resolve();
        })().catch(reject);
      };
      stream.on('end', settle);
      stream.on('error', (err) => {
        failed = true;
        reject(err);
      });
      stream.on('close', settle);
    });
    return { done, cancel: () => stream.close(http2.constants.NGHTTP2_CANCEL) };
  }
}
