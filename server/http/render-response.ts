import type { Response } from 'express';
import type { LogicalResponse } from '../core/logical.js';
import { envelopeOf } from '../core/response-envelope.js';

export function renderResponse(httpRes: Response, requestId: string, res: LogicalResponse | undefined, mountType: string): void {
  for (const [k, v] of Object.entries(res?.headers ?? {})) httpRes.setHeader(k, v);
  if (res?.raw) {
    httpRes.status(res.raw.status ?? 200).type(res.raw.contentType).send(res.raw.body);
    return;
  }
  const isEmpty = res === undefined || (res.data == null && !res.auth && !res.wrapInfo && !res.secret && (res.warnings ?? []).length === 0);
  if (isEmpty) {
    httpRes.status(res?.httpStatus ?? 204).end();
    return;
  }
  httpRes.status(res.httpStatus ?? 200).json(envelopeOf(requestId, res, mountType));
}
