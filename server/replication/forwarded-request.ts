import type { Core } from '../core/core.js';
import type { LogicalRequest, Operation, RequestAuth } from '../core/logical.js';
import { INDEX_RESPONSE_HEADER } from '../core/index-consistency.js';
import { envelopeOf } from '../core/response-envelope.js';
import { invalidRequest, isVaultError } from '../core/vault-error.js';

/**
 * What a secondary sends the primary for a write of replicated state. Tokens are local to each
 * cluster, so the secondary resolves its caller's token (and takes its use) and sends who the
 * caller is: the token's policy names and identity. It sends the operation the client asked for,
 * never its own verdict: the primary runs the existence check on its own state and authorises the
 * resulting operation against its own definitions of those policies.
 */
export interface ForwardedRequest {
  /** The client's operation before any existence check: 'update', never 'create'. */
  readonly operation: Operation;
  readonly path: string;
  readonly data: Record<string, unknown>;
  readonly wrapTtlSeconds?: number;
  /** Absent for a caller without a token (unauthenticated paths only). */
  readonly auth?: ForwardedAuth;
}

/** The caller as the secondary resolved it. */
export interface ForwardedAuth {
  readonly tokenAccessor: string;
  readonly tokenHash: string;
  readonly policies: readonly string[];
  readonly displayName: string;
  readonly entityId: string;
}

export interface ForwardedAnswer {
  readonly status: number;
  readonly body: unknown;
  /** The primary's last WAL index after the write; the secondary waits for it. */
  readonly walIndex: number;
  /** The write's `X-Vault-Index` state, relayed to the client (absent: it wrote no replicated state). */
  readonly indexState?: string;
}

const OPERATIONS: readonly Operation[] = ['read', 'create', 'update', 'delete', 'list', 'patch'];

/** The forwarded form of a request a secondary could not serve from its own state. */
export function forwardedRequestOf(req: LogicalRequest): ForwardedRequest {
  const operation = req.requestedOperation ?? req.operation;
  return {
    operation: operation === 'create' ? 'update' : operation,
    path: req.path,
    data: req.data,
    ...(req.wrapTtlSeconds === undefined ? {} : { wrapTtlSeconds: req.wrapTtlSeconds }),
    ...(req.auth === undefined
      ? {}
      : {
          auth: {
            tokenAccessor: req.auth.tokenAccessor,
            tokenHash: req.auth.tokenHash,
            policies: [...req.auth.policies],
            displayName: req.auth.displayName,
            entityId: req.auth.entityId,
          },
        }),
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';

/**
 * Checks the shape of a forwarded request and turns it into the core's request and caller. A
 * 'create' is taken as the update it came from: whether the target exists is the primary's call.
 */
export function parseForwardedRequest(body: unknown, requestId: string): { logical: LogicalRequest; auth: RequestAuth | undefined } {
  if (!isRecord(body)) throw invalidRequest('forwarded request: expected a JSON object');
  const { operation, path, data, wrapTtlSeconds, auth } = body;
  if (!isString(operation) || !(OPERATIONS as readonly string[]).includes(operation)) throw invalidRequest('forwarded request: invalid operation');
  if (!isString(path)) throw invalidRequest('forwarded request: invalid path');
  if (data !== undefined && !isRecord(data)) throw invalidRequest('forwarded request: invalid data');
  if (wrapTtlSeconds !== undefined && (typeof wrapTtlSeconds !== 'number' || !Number.isFinite(wrapTtlSeconds) || wrapTtlSeconds < 0)) {
    throw invalidRequest('forwarded request: invalid wrap TTL');
  }
  let caller: RequestAuth | undefined;
  if (auth !== undefined) {
    if (!isRecord(auth) || !Array.isArray(auth.policies) || !auth.policies.every(isString)) throw invalidRequest('forwarded request: invalid auth');
    const field = (name: string): string => (isString(auth[name]) ? auth[name] : '');
    const policies = auth.policies as string[];
    caller = {
      tokenAccessor: field('tokenAccessor'),
      tokenHash: field('tokenHash'),
      policies,
      displayName: field('displayName'),
      // Root is what the policy names say, resolved here; not a flag the secondary sets.
      isRoot: policies.includes('root'),
      entityId: field('entityId'),
    };
  }
  const logical: LogicalRequest = {
    id: requestId,
    operation: operation === 'create' ? 'update' : (operation as Operation),
    path,
    data: data ?? {},
    clientToken: '',
    query: {},
    headers: {},
    remoteAddress: 'replication-secondary',
    isForwarded: true,
    ...(wrapTtlSeconds === undefined ? {} : { wrapTtlSeconds }),
  };
  return { logical, auth: caller };
}

/**
 * Runs a forwarded request on the primary's core and answers in the forwarding envelope: the
 * client-facing status and body, and the WAL index the secondary waits for.
 */
export async function handleForwardedRequest(core: Core, body: unknown, lastWal: () => number, onUnexpected: (err: unknown) => void): Promise<ForwardedAnswer> {
  try {
    const { logical, auth } = parseForwardedRequest(body, core.newRequestId());
    const result = await core.handleRequest(logical, auth === undefined ? {} : { trustedAuth: auth });
    const isEmpty = result === undefined || (result.data == null && !result.auth && !result.wrapInfo && !result.secret && (result.warnings ?? []).length === 0);
    const indexState = result?.headers?.[INDEX_RESPONSE_HEADER];
    return {
      status: isEmpty ? 204 : 200,
      body: isEmpty ? null : envelopeOf(logical.id, result, ''),
      walIndex: lastWal(),
      ...(indexState === undefined ? {} : { indexState }),
    };
  } catch (err) {
    if (isVaultError(err)) return { status: err.status, body: { errors: err.messages }, walIndex: lastWal() };
    onUnexpected(err);
    return { status: 500, body: { errors: ['internal error'] }, walIndex: lastWal() };
  }
}
