/**
 * The transport-free request and response of the core. The HTTP layer builds a LogicalRequest
 * from an HTTP request and renders a LogicalResponse back into Vault's envelope.
 */
export type Operation = 'read' | 'create' | 'update' | 'delete' | 'list' | 'patch';

export interface RequestAuth {
  /** Token entry of the caller, resolved by the core; absent on unauthenticated paths. */
  readonly tokenAccessor: string;
  readonly tokenHash: string;
  readonly policies: readonly string[];
  readonly displayName: string;
  readonly isRoot: boolean;
  readonly entityId: string;
}

export interface LogicalRequest {
  readonly id: string;
  /** The operation being performed: the core turns an update into a create when the target does not exist. */
  operation: Operation;
  /**
   * The operation the client asked for, before any existence check (set by the core). This, not
   * `operation`, is what a secondary forwards: the primary decides create-vs-update on its own state.
   */
  requestedOperation?: Operation;
  /** Path below /v1/, no leading slash. */
  path: string;
  data: Record<string, unknown>;
  /** The raw client token, if any. Never logged, never echoed. */
  readonly clientToken: string;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly remoteAddress: string;
  /** Requested response wrapping TTL (X-Vault-Wrap-TTL). */
  readonly wrapTtlSeconds?: number;
  /** Set by the core once the token is checked. */
  auth?: RequestAuth;
  /** True when the request was forwarded from a replication secondary. */
  readonly isForwarded?: boolean;
}

export interface AuthResponse {
  clientToken: string;
  accessor: string;
  policies: string[];
  tokenPolicies: string[];
  metadata: Record<string, string> | null;
  leaseDurationSeconds: number;
  renewable: boolean;
  entityId: string;
  tokenType: 'service' | 'batch';
  orphan: boolean;
  numUses: number;
}

/** A lease-bearing response: the expiration manager registers it and fills lease_id. */
export interface SecretResponse {
  ttlSeconds: number;
  renewable: boolean;
  /** Data the issuing backend needs to renew or revoke; stored locally, never returned. */
  internal: Record<string, unknown>;
}

export interface WrapInfo {
  token: string;
  accessor: string;
  ttl: number;
  creation_time: string;
  creation_path: string;
  wrapped_accessor?: string;
}

export interface LogicalResponse {
  data?: Record<string, unknown> | null;
  auth?: AuthResponse;
  secret?: SecretResponse;
  leaseId?: string;
  warnings?: string[];
  wrapInfo?: WrapInfo;
  /** Override the status (204 for an empty success is decided by the HTTP layer). */
  httpStatus?: number;
  /** A non-JSON body (for example Prometheus metrics); bypasses the envelope. */
  raw?: { contentType: string; body: string; status?: number };
  /** Also copy data keys to the top level, as Vault does for sys/ paths. */
  injectDataAtTopLevel?: boolean;
  /** Response headers (for example X-Vault-Index). */
  headers?: Record<string, string>;
}
