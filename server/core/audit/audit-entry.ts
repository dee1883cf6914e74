import type { AuthResponse, LogicalRequest, LogicalResponse, WrapInfo } from '../logical.js';
import type { AuditHasher } from './audit-hasher.js';

/** One event to log, before any device formats it: plaintext, shared by all devices, never mutated. */
export interface AuditEvent {
  readonly type: 'request' | 'response';
  readonly time: string;
  readonly req: LogicalRequest;
  readonly res?: LogicalResponse | undefined;
  readonly error?: string | undefined;
  readonly mountType?: string | undefined;
}

/** How one device renders an event: its own salt and options, nothing shared with other devices. */
export interface AuditFormatOptions {
  readonly hasher: AuditHasher;
  /** Log values in clear (the device option `log_raw`). */
  readonly logRaw: boolean;
  /** HMAC token accessors too (the device option `hmac_accessor`, on by default). */
  readonly hmacAccessor: boolean;
}

/**
 * Renders an event as a Vault-shaped audit entry (`type`, `time`, `auth`, `request`, and for
 * responses `response`, plus `error`). Tokens, accessors (unless `hmac_accessor=false`) and every
 * string in request and response data are HMAC'd unless `log_raw`. The input is never mutated:
 * each device gets fresh objects.
 */
export function formatAuditEntry(event: AuditEvent, options: AuditFormatOptions): Record<string, unknown> {
  const secret = (value: string): string => (options.logRaw || value === '' ? value : options.hasher.hash(value));
  const accessor = (value: string): string => (options.hmacAccessor ? secret(value) : value);
  const structure = (value: unknown): unknown => (options.logRaw ? structuredClone(value) : options.hasher.hashStructure(value));
  const { req, res } = event;
  const auth = req.auth;
  const entry: Record<string, unknown> = {
    time: event.time,
    type: event.type,
    auth: {
      client_token: secret(req.clientToken),
      accessor: accessor(auth?.tokenAccessor ?? ''),
      display_name: auth?.displayName ?? '',
      policies: auth ? [...auth.policies] : [],
      token_policies: auth ? [...auth.policies] : [],
      entity_id: auth?.entityId ?? '',
      token_type: auth ? 'service' : '',
    },
    request: {
      id: req.id,
      operation: req.operation,
      mount_type: event.mountType ?? '',
      client_token: secret(req.clientToken),
      client_token_accessor: accessor(auth?.tokenAccessor ?? ''),
      namespace: { id: 'root' },
      path: req.path,
      data: Object.keys(req.data).length === 0 ? null : structure(req.data),
      remote_address: req.remoteAddress,
      ...(req.wrapTtlSeconds ? { wrap_ttl: req.wrapTtlSeconds } : {}),
    },
  };
  if (event.type === 'response') entry.response = formatResponse(res, event.mountType ?? '', { secret, accessor, structure });
  entry.error = event.error ?? '';
  return entry;
}

interface Hashers {
  secret(value: string): string;
  accessor(value: string): string;
  structure(value: unknown): unknown;
}

function formatResponse(res: LogicalResponse | undefined, mountType: string, h: Hashers): Record<string, unknown> {
  const out: Record<string, unknown> = { mount_type: mountType };
  if (res === undefined) return out;
  if (res.auth) out.auth = formatAuth(res.auth, h);
  if (res.leaseId || res.secret) out.secret = { lease_id: res.leaseId ?? '' };
  if (res.data !== undefined && res.data !== null) out.data = h.structure(res.data);
  if (res.raw !== undefined) out.data = { http_content_type: res.raw.contentType, http_raw_body: h.secret(res.raw.body) };
  if (res.wrapInfo) out.wrap_info = formatWrapInfo(res.wrapInfo, h);
  if (res.warnings && res.warnings.length > 0) out.warnings = [...res.warnings];
  return out;
}

function formatAuth(auth: AuthResponse, h: Hashers): Record<string, unknown> {
  return {
    client_token: h.secret(auth.clientToken),
    accessor: h.accessor(auth.accessor),
    policies: [...auth.policies],
    token_policies: [...auth.tokenPolicies],
    metadata: auth.metadata === null ? null : h.structure(auth.metadata),
    entity_id: auth.entityId,
    token_type: auth.tokenType,
    token_ttl: auth.leaseDurationSeconds,
    orphan: auth.orphan,
    num_uses: auth.numUses,
  };
}

function formatWrapInfo(info: WrapInfo, h: Hashers): Record<string, unknown> {
  return {
    token: h.secret(info.token),
    accessor: h.accessor(info.accessor),
    ttl: info.ttl,
    creation_time: info.creation_time,
    creation_path: info.creation_path,
    ...(info.wrapped_accessor ? { wrapped_accessor: h.accessor(info.wrapped_accessor) } : {}),
  };
}
