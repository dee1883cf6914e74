/** A parsed HTTP/1.x request line. */
export interface RequestLine {
  readonly method: string;
  readonly target: string;
  /** `1.0` or `1.1`. */
  readonly version: string;
}

export interface HttpFramingTrackerOptions {
  /** Methods whose request lines are held back until complete and offered to `rewriteRequestLine`. */
  readonly rewritableMethods: readonly string[];
  /** The replacement request line (without CRLF) for a line of one of `rewritableMethods`. */
  readonly rewriteRequestLine: (line: RequestLine) => string;
  /** Bytes a request line plus headers (or a trailer section) may take before the tracker gives up. */
  readonly maxHeaderBytes?: number;
}

type State = 'request-line' | 'headers' | 'fixed-body' | 'chunk-size' | 'chunk-data' | 'chunk-data-end' | 'trailers' | 'passthrough';

/** Larger than Node's default `maxHeaderSize` (16 KiB), so Node's parser refuses first. */
const DEFAULT_MAX_HEADER_BYTES = 64 * 1024;
const CR = 13;
const LF = 10;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) ([\x21-\x7e\x80-\xff]+) HTTP\/1\.([01])$/;
const CHUNK_SIZE_LINE = /^([0-9A-Fa-f]+)(;[\t\x20-\x7e\x80-\xff]*)?$/;
/** Bytes of a line after which a rewritable method's prefix is surely decided. */
const MAX_METHOD_PREFIX = 32;
/** 13 hex digits stay below 2^53. */
const MAX_CHUNK_SIZE_DIGITS = 13;

/**
 * Follows the HTTP/1.1 request framing of one connection's byte stream (request line, headers up
 * to the empty line, Content-Length or chunked bodies with extensions and trailers, pipelining)
 * so that a request line can be rewritten only where a message really begins. Bodies and every
 * other byte pass through unchanged.
 *
 * Whenever the framing is not plain and certain (Content-Length together with Transfer-Encoding,
 * a duplicate or malformed Content-Length, a transfer coding other than `chunked`, a malformed
 * chunk size or line ending, folded headers, an oversized header section, an upgrade or CONNECT,
 * an HTTP version other than 1.0/1.1), the tracker stops for good: from then on it passes every
 * byte through untouched and rewrites nothing, leaving Node's parser to accept or refuse the
 * connection. It never guesses.
 *
 * Pure: fed chunks with `push`, returns the bytes for the parser; no I/O.
 */
export class HttpFramingTracker {
  private state: State = 'request-line';
  /** The bytes of the current line so far (request line, header, chunk size or trailer). */
  private line: Buffer[] = [];
  private lineBytes = 0;
  /** Whether the current request line's bytes are being held back for a possible rewrite. */
  private holding = false;
  /** Bytes of the current header or trailer section, request line included. */
  private sectionBytes = 0;
  /** Body or chunk bytes still to pass. */
  private remaining = 0;
  private version = '1.1';
  private contentLength: number | undefined;
  private isChunked = false;
  private readonly maxHeaderBytes: number;
  private stopReason: string | undefined;
  /** Number of request lines seen (rewritten or not). */
  requestCount = 0;

  constructor(private readonly options: HttpFramingTrackerOptions) {
    this.maxHeaderBytes = options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  }

  /** Why the tracker stopped following the framing; undefined while it still follows it. */
  get stoppedBecause(): string | undefined {
    return this.stopReason;
  }

  /** Feeds the next bytes of the connection; returns the bytes to hand to the HTTP parser. */
  push(chunk: Buffer): Buffer {
    const out: Buffer[] = [];
    let pos = 0;
    while (pos < chunk.length) {
      switch (this.state) {
        case 'passthrough':
          out.push(chunk.subarray(pos));
          pos = chunk.length;
          break;
        case 'fixed-body':
        case 'chunk-data': {
          const n = Math.min(this.remaining, chunk.length - pos);
          out.push(chunk.subarray(pos, pos + n));
          pos += n;
          this.remaining -= n;
          if (this.remaining === 0) this.state = this.state === 'fixed-body' ? 'request-line' : 'chunk-data-end';
          break;
        }
        case 'chunk-data-end': {
          // `remaining` counts the CRLF bytes already seen (0 or 1).
          const expected = this.remaining === 0 ? CR : LF;
          if (chunk[pos] !== expected) {
            this.stop('chunk data not followed by CRLF', out);
            break;
          }
          out.push(chunk.subarray(pos, pos + 1));
          pos += 1;
          if (this.remaining === 0) this.remaining = 1;
          else {
            this.remaining = 0;
            this.state = 'chunk-size';
          }
          break;
        }
        default:
          pos = this.consumeLineBytes(chunk, pos, out);
      }
    }
    if (out.length === 1) return out[0] as Buffer;
    // Usually nothing was held back or rewritten: the pieces are the chunk itself, in order.
    return isWholeChunk(out, chunk) ? chunk : Buffer.concat(out);
  }

  /** Consumes bytes of a line-oriented state up to and including the line's LF, if present. */
  private consumeLineBytes(chunk: Buffer, start: number, out: Buffer[]): number {
    let pos = start;
    if (this.state === 'request-line' && this.lineBytes === 0) {
      // Empty lines between messages are skipped by the parser (RFC 9112 §2.2).
      while (pos < chunk.length && (chunk[pos] === CR || chunk[pos] === LF)) pos++;
      if (pos > start) out.push(chunk.subarray(start, pos));
      if (pos === chunk.length) return pos;
      this.sectionBytes = 0;
      this.holding = false;
    }
    const lf = chunk.indexOf(LF, pos);
    const end = lf === -1 ? chunk.length : lf + 1;
    const piece = chunk.subarray(pos, end);
    const isFirstPiece = this.lineBytes === 0;
    this.line.push(piece);
    this.lineBytes += piece.length;
    if (this.state === 'request-line') {
      const wasHolding = this.holding;
      // A line that cannot begin with a rewritable method never will; one that does stays so.
      if (isFirstPiece || (wasHolding && this.lineBytes - piece.length < MAX_METHOD_PREFIX)) this.holding = this.couldBeRewritable();
      if (!this.holding) {
        // Once a line cannot be rewritten, its bytes need not wait for the rest of it.
        if (wasHolding) out.push(...this.line.slice(0, -1));
        out.push(piece);
      }
    } else out.push(piece);
    if (this.state !== 'chunk-size') this.sectionBytes += piece.length;
    if (this.sectionBytes > this.maxHeaderBytes || this.lineBytes > this.maxHeaderBytes) {
      this.stop('header section or line too large', out);
      return end;
    }
    if (lf === -1) return end;
    const full = this.line.length === 1 ? (this.line[0] as Buffer) : Buffer.concat(this.line);
    if (full.length < 2 || full[full.length - 2] !== CR) {
      this.stop('line not ended by CRLF', out);
      return end;
    }
    const text = full.subarray(0, full.length - 2).toString('latin1');
    if (text.includes('\r')) {
      this.stop('bare CR in line', out);
      return end;
    }
    switch (this.state) {
      case 'request-line':
        this.onRequestLine(text, out);
        break;
      case 'headers':
        this.onHeaderLine(text, out);
        break;
      case 'chunk-size':
        this.onChunkSizeLine(text, out);
        break;
      default:
        this.onTrailerLine(text, out);
    }
    this.line = [];
    this.lineBytes = 0;
    return end;
  }

  /** True while the held line so far can still begin with one of the rewritable methods. */
  private couldBeRewritable(): boolean {
    const head = Buffer.concat(this.line).subarray(0, MAX_METHOD_PREFIX).toString('latin1');
    return this.options.rewritableMethods.some((method) => {
      const prefix = `${method} `;
      return head.length < prefix.length ? prefix.startsWith(head) : head.startsWith(prefix);
    });
  }

  private onRequestLine(text: string, out: Buffer[]): void {
    const match = REQUEST_LINE.exec(text);
    if (match === null) {
      this.stop('malformed request line', out);
      return;
    }
    const [, method, target, minor] = match as unknown as [string, string, string, string];
    this.requestCount++;
    this.version = `1.${minor}`;
    this.contentLength = undefined;
    this.isChunked = false;
    if (this.holding) {
      this.holding = false;
      out.push(Buffer.from(`${this.options.rewriteRequestLine({ method, target, version: this.version })}\r\n`, 'latin1'));
    }
    if (method === 'CONNECT') {
      this.stop('CONNECT is not followed', out);
      return;
    }
    this.state = 'headers';
  }

  private onHeaderLine(text: string, out: Buffer[]): void {
    if (text === '') {
      if (this.isChunked) this.state = 'chunk-size';
      else if (this.contentLength !== undefined && this.contentLength > 0) {
        this.remaining = this.contentLength;
        this.state = 'fixed-body';
      } else this.state = 'request-line';
      return;
    }
    const field = parseField(text);
    if (field === undefined) {
      this.stop('malformed header line', out);
      return;
    }
    switch (field.name) {
      case 'content-length':
        if (this.contentLength !== undefined) return this.stop('duplicate Content-Length', out);
        if (this.isChunked) return this.stop('both Content-Length and Transfer-Encoding', out);
        if (!/^[0-9]{1,15}$/.test(field.value)) return this.stop('invalid Content-Length', out);
        this.contentLength = Number(field.value);
        return;
      case 'transfer-encoding':
        if (this.isChunked) return this.stop('duplicate Transfer-Encoding', out);
        if (this.contentLength !== undefined) return this.stop('both Content-Length and Transfer-Encoding', out);
        if (this.version !== '1.1' || field.value.toLowerCase() !== 'chunked') return this.stop('unsupported Transfer-Encoding', out);
        this.isChunked = true;
        return;
      case 'upgrade':
        return this.stop('upgrade is not followed', out);
      default:
        return;
    }
  }

  private onChunkSizeLine(text: string, out: Buffer[]): void {
    const match = CHUNK_SIZE_LINE.exec(text);
    const digits = match?.[1]?.replace(/^0+(?=.)/, '');
    if (digits === undefined || digits.length > MAX_CHUNK_SIZE_DIGITS) {
      this.stop('invalid chunk size', out);
      return;
    }
    const size = parseInt(digits, 16);
    if (size === 0) {
      this.sectionBytes = 0;
      this.state = 'trailers';
    } else {
      this.remaining = size;
      this.state = 'chunk-data';
    }
  }

  private onTrailerLine(text: string, out: Buffer[]): void {
    if (text === '') {
      this.state = 'request-line';
      return;
    }
    if (parseField(text) === undefined) this.stop('malformed trailer line', out);
  }

  /** Gives up for good: held bytes (if any) go out unchanged, and so does everything after. */
  private stop(reason: string, out: Buffer[]): void {
    this.stopReason = reason;
    this.state = 'passthrough';
    if (this.holding) out.push(...this.line);
    this.holding = false;
    this.line = [];
    this.lineBytes = 0;
  }
}

/** A header or trailer field line; undefined for folded lines, missing colons or bad names. */
function parseField(text: string): { name: string; value: string } | undefined {
  if (text.startsWith(' ') || text.startsWith('\t')) return undefined;
  const colon = text.indexOf(':');
  if (colon <= 0) return undefined;
  const name = text.slice(0, colon);
  if (!TOKEN.test(name)) return undefined;
  return { name: name.toLowerCase(), value: text.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '') };
}

/** Whether `pieces` are consecutive views of all of `chunk`, from its first byte to its last. */
function isWholeChunk(pieces: readonly Buffer[], chunk: Buffer): boolean {
  let offset = chunk.byteOffset;
  for (const piece of pieces) {
    if (piece.buffer !== chunk.buffer || piece.byteOffset !== offset) return false;
    offset += piece.length;
  }
  return offset === chunk.byteOffset + chunk.length;
}
