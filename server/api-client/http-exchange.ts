import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { TlsOptions } from './tls-trust.js';
import { ResponseTooLargeError, TransportError } from './transport-error.js';

/** One HTTP request as the client sends it. */
export interface HttpExchange {
  readonly method: string;
  readonly url: URL;
  /** The address the client was given (errors name it). */
  readonly address: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | undefined;
  readonly tls: TlsOptions;
  /** Deadline for the whole exchange, from sending to the last byte of the answer. */
  readonly timeoutMs: number;
  /** The most bytes of answer body accepted; past it the exchange fails with ResponseTooLargeError. */
  readonly maxResponseBytes: number;
}

/** A whole HTTP answer, whatever its status. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/**
 * Sends one request over node:http(s) and reads the whole answer, bounded in time and size. Rejects with
 * TransportError (ResponseTooLargeError past the size limit) and never resolves with a truncated body.
 */
export function exchangeHttp(x: HttpExchange): Promise<HttpAnswer> {
  const shownUrl = x.url.toString();
  const fail = (failure: 'network' | 'timeout', reason: string, code?: string) => new TransportError(failure, x.method, shownUrl, x.address, reason, code);
  const isHttps = x.url.protocol === 'https:';
  if (!isHttps && x.url.protocol !== 'http:')
    return Promise.reject(new TransportError('address', x.method, shownUrl, x.address, `unsupported scheme ${x.url.protocol}`));
  return new Promise<HttpAnswer>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    const headers: Record<string, string> = { ...x.headers };
    if (x.body !== undefined) headers['content-length'] = String(x.body.length);
    const tls = isHttps ? { ca: x.tls.ca, rejectUnauthorized: x.tls.rejectUnauthorized, cert: x.tls.cert, key: x.tls.key } : {};
    // node:https (and tls under it) is loaded for https addresses only: a CLI run over http starts without it.
    const send = isHttps ? process.getBuiltinModule('node:https').request : httpRequest;
    const req = send(x.url, { method: x.method, headers, ...tls }, (res: IncomingMessage) => {
      const tooLarge = () => {
        settle(() => reject(new ResponseTooLargeError(x.method, shownUrl, x.address, x.maxResponseBytes)));
        res.destroy();
        req.destroy();
      };
      const declared = Number(res.headers['content-length'] ?? 0);
      if (declared > x.maxResponseBytes) {
        tooLarge();
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > x.maxResponseBytes) {
          chunks.length = 0;
          tooLarge();
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => settle(() => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) })));
      res.on('error', (err: NodeJS.ErrnoException) => settle(() => reject(fail('network', err.message, err.code))));
      res.on('close', () => settle(() => reject(fail('network', 'the connection closed before the answer was complete'))));
    });
    const timer = setTimeout(() => {
      settle(() => reject(fail('timeout', `no answer within ${x.timeoutMs} ms`)));
      req.destroy();
    }, x.timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => settle(() => reject(fail('network', err.message, err.code))));
    req.end(x.body);
  });
}
