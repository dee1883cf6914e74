import type { IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import type { HttpAnswer, HttpExchange } from './http-exchange.js';
import { ResponseTooLargeError, TransportError } from './transport-error.js';

/** The most bytes of status line and headers accepted (node:http's default is 16 KiB). */
const MAX_HEAD_BYTES = 64 * 1024;
/** The most bytes of one chunk-size line or trailer line. */
const MAX_LINE_BYTES = 4 * 1024;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');

/** Header names and values as node:http would accept them: no line breaks smuggled into the request. */
function checkHeader(name: string, value: string): void {
  if (!TOKEN.test(name)) throw new TypeError(`invalid HTTP header name: ${JSON.stringify(name)}`);
  if (!FIELD_VALUE.test(value)) throw new TypeError(`invalid character in the value of HTTP header ${name}`);
}

/** Node's shape of response headers: lower-case names, repeated headers joined by ", ", set-cookie a list. */
function parseHeaderLines(lines: string[]): IncomingHttpHeaders | undefined {
  const headers: Record<string, string | string[]> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    if (colon <= 0 || !TOKEN.test(name)) return undefined; // also refuses obsolete line folding
    const value = line.slice(colon + 1).trim();
    const existing = headers[name];
    if (name === 'set-cookie') headers[name] = [...((existing as string[] | undefined) ?? []), value];
    else headers[name] = existing === undefined ? value : `${String(existing)}, ${value}`;
  }
  return headers as IncomingHttpHeaders;
}

/**
 * One HTTP/1.1 request over a bare TCP connection (`Connection: close`) for plain `http:` addresses, with
 * exchangeHttp's contract: the whole answer, bounded in time and size, TransportError (ResponseTooLargeError
 * past the size limit) when none came, never a truncated body. Bodies come by Content-Length, chunked or up
 * to the close; 1xx answers are skipped. It exists for start-up time: node:http's client (agent, outgoing
 * and incoming message streams, its server half) costs a one-request process like `ferry read` about as
 * much CPU as everything else the command does.
 */
export function exchangeHttp1(x: HttpExchange): Promise<HttpAnswer> {
  const shownUrl = x.url.toString();
  const fail = (failure: 'network' | 'timeout', reason: string, code?: string) => new TransportError(failure, x.method, shownUrl, x.address, reason, code);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(x.headers)) headers[name.toLowerCase()] = value;
  headers['host'] ??= x.url.host;
  headers['connection'] = 'close';
  if (x.body !== undefined) headers['content-length'] = String(x.body.length);
  let head = `${x.method} ${x.url.pathname}${x.url.search} HTTP/1.1\r\n`;
  try {
    if (!TOKEN.test(x.method)) throw new TypeError(`invalid HTTP method: ${JSON.stringify(x.method)}`);
    for (const [name, value] of Object.entries(headers)) {
      checkHeader(name, value);
      head += `${name}: ${value}\r\n`;
    }
  } catch (err) {
    return Promise.reject(err as Error);
  }
  const request = Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), ...(x.body === undefined ? [] : [x.body])]);
  const hostname = x.url.hostname.startsWith('[') ? x.url.hostname.slice(1, -1) : x.url.hostname;
  const port = x.url.port === '' ? 80 : Number(x.url.port);
  const isHead = x.method.toUpperCase() === 'HEAD';

  return new Promise<HttpAnswer>((resolve, reject) => {
    const socket = connect({ host: hostname, port });
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      outcome();
    };
    const timer = setTimeout(() => settle(() => reject(fail('timeout', `no answer within ${x.timeoutMs} ms`))), x.timeoutMs);
    const tooLarge = () => settle(() => reject(new ResponseTooLargeError(x.method, shownUrl, x.address, x.maxResponseBytes)));
    const malformed = (what: string) => settle(() => reject(fail('network', `malformed HTTP answer: ${what}`)));

    let pending: Buffer = Buffer.alloc(0);
    let status = 0;
    let answerHeaders: IncomingHttpHeaders = {};
    let mode: 'head' | 'length' | 'chunked' | 'close' = 'head';
    let remaining = 0; // 'length': body bytes still due; 'chunked': bytes of the current chunk still due
    let chunkStage: 'size' | 'data' | 'crlf' | 'trailer' = 'size';
    const body: Buffer[] = [];
    let bodyBytes = 0;

    const finish = () => settle(() => resolve({ status, headers: answerHeaders, body: Buffer.concat(body, bodyBytes) }));
    const take = (bytes: Buffer): boolean => {
      bodyBytes += bytes.length;
      if (bodyBytes > x.maxResponseBytes) {
        tooLarge();
        return false;
      }
      body.push(bytes);
      return true;
    };

    /** Reads the status line and headers from `pending`; false when more bytes are needed or it failed. */
    const readHead = (): boolean => {
      for (;;) {
        const end = pending.indexOf(HEAD_END);
        if (end < 0) {
          if (pending.length > MAX_HEAD_BYTES) malformed('the headers are too large');
          return false;
        }
        const lines = pending.subarray(0, end).toString('latin1').split('\r\n');
        pending = pending.subarray(end + HEAD_END.length);
        const statusLine = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(lines[0] ?? '');
        const parsed = parseHeaderLines(lines.slice(1));
        if (statusLine === null || parsed === undefined) {
          malformed(statusLine === null ? 'no status line' : 'a bad header line');
          return false;
        }
        status = Number(statusLine[1]);
        if (status >= 100 && status < 200) continue; // 100 Continue and other interim answers
        answerHeaders = parsed;
        const transferEncoding = String(parsed['transfer-encoding'] ?? '').toLowerCase();
        const declared = parsed['content-length'];
        if (isHead || status === 204 || status === 304) {
          mode = 'length';
          remaining = 0;
        } else if (transferEncoding.split(',').some((t) => t.trim() === 'chunked')) mode = 'chunked';
        else if (declared !== undefined) {
          if (!/^\d+$/.test(declared)) {
            malformed('a bad Content-Length');
            return false;
          }
          remaining = Number(declared);
          if (remaining > x.maxResponseBytes) {
            tooLarge();
            return false;
          }
          mode = 'length';
        } else mode = 'close';
        return true;
      }
    };

    /** Decodes as much of a chunked body as `pending` holds; true once the last chunk and trailers are in. */
    const readChunks = (): boolean => {
      for (;;) {
        if (chunkStage === 'data') {
          const piece = pending.subarray(0, remaining);
          pending = pending.subarray(piece.length);
          remaining -= piece.length;
          if (piece.length > 0 && !take(Buffer.from(piece))) return false;
          if (remaining > 0) return false;
          chunkStage = 'crlf';
          continue;
        }
        if (chunkStage === 'crlf') {
          if (pending.length < 2) return false;
          if (!pending.subarray(0, 2).equals(CRLF)) {
            malformed('a chunk without its line end');
            return false;
          }
          pending = pending.subarray(2);
          chunkStage = 'size';
          continue;
        }
        const lineEnd = pending.indexOf(CRLF);
        if (lineEnd < 0) {
          if (pending.length > MAX_LINE_BYTES) malformed('a chunk line is too long');
          return false;
        }
        const line = pending.subarray(0, lineEnd).toString('latin1');
        pending = pending.subarray(lineEnd + 2);
        if (chunkStage === 'trailer') {
          if (line === '') return true;
          continue;
        }
        const size = (line.split(';')[0] ?? '').trim();
        if (!/^[0-9a-fA-F]{1,12}$/.test(size)) {
          malformed('a bad chunk size');
          return false;
        }
        remaining = Number.parseInt(size, 16);
        chunkStage = remaining === 0 ? 'trailer' : 'data';
      }
    };

    socket.on('data', (chunk: Buffer) => {
      if (settled) return;
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      if (mode === 'head' && !readHead()) return;
      if (mode === 'length') {
        const piece = pending.subarray(0, remaining);
        pending = pending.subarray(piece.length);
        remaining -= piece.length;
        if (piece.length > 0 && !take(Buffer.from(piece))) return;
        if (remaining === 0) finish();
      } else if (mode === 'chunked') {
        if (readChunks()) finish();
      } else if (mode === 'close' && pending.length > 0) {
        const piece = pending;
        pending = Buffer.alloc(0);
        take(piece);
      }
    });
    socket.on('end', () => {
      if (mode === 'close') finish();
      else settle(() => reject(fail('network', 'the connection closed before the answer was complete')));
    });
    socket.on('close', () => settle(() => reject(fail('network', 'the connection closed before the answer was complete'))));
    socket.on('error', (err: NodeJS.ErrnoException) => settle(() => reject(fail('network', err.message, err.code))));
    socket.write(request);
  });
}
