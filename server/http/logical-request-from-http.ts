import type { Request } from 'express';
import { parseDurationSeconds } from '../core/duration.js';
import type { LogicalRequest, Operation } from '../core/logical.js';
import { invalidRequest, VaultError } from '../core/vault-error.js';

/** Vault's default limit on JSON nesting, checked on the raw text before any parse or walk. */
export const MAX_JSON_DEPTH = 300;

/** The token of a request: `X-Vault-Token`, else `Authorization: Bearer`. */
export function clientTokenOf(req: Request): string {
  const header = req.get('x-vault-token');
  if (header !== undefined && header !== '') return header.trim();
  const authorization = req.get('authorization');
  if (authorization !== undefined && /^bearer\s+/i.test(authorization)) return authorization.replace(/^bearer\s+/i, '').trim();
  return '';
}

/** Rejects JSON nested deeper than the limit without recursing. */
export function assertJsonDepth(text: string, maxDepth = MAX_JSON_DEPTH): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > maxDepth) throw invalidRequest(`failed to parse JSON input: nesting depth exceeds ${maxDepth}`);
    } else if (c === 125 || c === 93) depth--;
  }
}

export function parseJsonBody(raw: Buffer | undefined): Record<string, unknown> {
  if (raw === undefined || raw.length === 0) return {};
  const text = raw.toString('utf8');
  if (text.trim() === '') return {};
  assertJsonDepth(text);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // The parser's message can quote the input; never echo request bodies.
    throw invalidRequest('failed to parse JSON input: invalid JSON');
  }
  if (parsed === null) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw invalidRequest('failed to parse JSON input: expected a JSON object');
  return parsed as Record<string, unknown>;
}

/** The canonical API path below `/v1/`: decoded, no `.`/`..` segments. */
export function apiPathOf(req: Request): string {
  const rawPath = req.path.replace(/^\/v1\/?/, '');
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    throw invalidRequest('invalid URL encoding in request path');
  }
  if (path.split('/').some((segment) => segment === '..' || segment === '.')) throw invalidRequest('invalid request path: relative segments are not allowed');
  if (path.includes('\0')) throw invalidRequest('invalid request path');
  return path;
}

/** Go's `strconv.ParseBool`, which Vault applies to `?list=`: exactly these spellings, else undefined. */
export function parseGoBool(value: string): boolean | undefined {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(value)) return false;
  return undefined;
}

/** The request's query string as Express parses it (`req.query` parses again on every read). */
type ParsedQuery = Request['query'];

function operationOf(req: Request, parsedQuery: ParsedQuery): Operation {
  const list = parsedQuery.list;
  switch (req.method) {
    case 'GET':
    case 'HEAD': {
      if (list === undefined) return 'read';
      // Go's `Query().Get` reads the first of repeated parameters.
      const first = Array.isArray(list) ? list[0] : list;
      const isList = typeof first === 'string' ? parseGoBool(first) : undefined;
      // Vault answers an unparsable `list` with a 400 and no message.
      if (isList === undefined) throw new VaultError('invalid_request', '');
      return isList ? 'list' : 'read';
    }
    case 'POST':
    case 'PUT':
      return 'update';
    case 'DELETE':
      return 'delete';
    case 'PATCH':
      return 'patch';
    default:
      throw new VaultError('unsupported_operation', 'unsupported operation');
  }
}

function stringQuery(parsedQuery: ParsedQuery): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsedQuery)) {
    if (typeof v === 'string') out[k] = v;
    else if (Array.isArray(v) && typeof v[0] === 'string') out[k] = v[0];
  }
  return out;
}

/** The request headers the core reads (lower case, as Node keys them). */
const FORWARDED_HEADERS = ['x-vault-index', 'x-vault-forward', 'x-vault-inconsistent', 'x-vault-wrap-format', 'user-agent'] as const;

/** Builds the core's request from an HTTP request whose body was read raw. */
export function logicalRequestFromHttp(req: Request, id: string, rawBody: Buffer | undefined): LogicalRequest {
  const parsedQuery = req.query;
  const operation = operationOf(req, parsedQuery);
  const query = stringQuery(parsedQuery);
  let data: Record<string, unknown> = {};
  if (operation === 'read' || operation === 'list') {
    for (const k in query) if (k !== 'list') data[k] = query[k];
  } else {
    data = parseJsonBody(rawBody);
  }
  const wrapHeader = req.headers['x-vault-wrap-ttl'];
  const wrapTtlSeconds = wrapHeader === undefined || wrapHeader === '' ? undefined : parseDurationSeconds(wrapHeader, 'X-Vault-Wrap-TTL');
  const headers: Record<string, string> = {};
  for (const name of FORWARDED_HEADERS) {
    const value = req.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  return {
    id,
    operation,
    path: apiPathOf(req),
    data,
    clientToken: clientTokenOf(req),
    query,
    headers,
    remoteAddress: req.socket.remoteAddress ?? '',
    ...(wrapTtlSeconds === undefined ? {} : { wrapTtlSeconds }),
  };
}
