import type { Response } from 'express';
import type { LogicalResponse } from '../core/logical.js';
import { envelopeOf } from '../core/response-envelope.js';

/** Writes a core response as Vault's HTTP answer: raw body, 204 when empty, else the JSON envelope. */
export function renderResponse(httpRes: Response, requestId: string, res: LogicalResponse | undefined, mountType: string): void {
  for (const [k, v] of Object.entries(res?.headers ?? {})) httpRes.setHeader(k, v);
  if (res?.raw) {
    httpRes
      .status(res.raw.status ?? 200)
      .type(res.raw.contentType)
      .send(res.raw.body);
    return;
  }
  const isEmpty = res === undefined || (res.data == null && !res.auth && !res.wrapInfo && !res.secret && (res.warnings ?? []).length === 0);
  if (isEmpty) {
    httpRes.status(res?.httpStatus ?? 204).end();
    return;
  }
  // Written directly rather than through res.json(): the envelope is always plain JSON, and this
  // path runs for every request.
  const body = JSON.stringify(envelopeOf(requestId, res, mountType));
  httpRes.statusCode = res.httpStatus ?? 200;
  httpRes.setHeader('Content-Type', 'application/json');
  httpRes.setHeader('Content-Length', Buffer.byteLength(body));
  httpRes.end(body);
}
