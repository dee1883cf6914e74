/**
 * The one error type of the server core. A closed set of codes, each with one HTTP status;
 * the HTTP layer turns a VaultError into Vault's `{"errors":[...]}` envelope.
 * Messages must never contain secret values, tokens or unseal keys.
 */
export type VaultErrorCode =
  | 'invalid_request'
  | 'permission_denied'
  | 'not_found'
  | 'unsupported_operation'
  | 'precondition_failed'
  | 'payload_too_large'
  | 'internal'
  | 'upstream'
  | 'sealed'
  | 'read_only'
  | 'standby'
  | 'unavailable'
  | 'unacknowledged';

export const STATUS_FOR_CODE: Readonly<Record<VaultErrorCode, number>> = Object.freeze({
  invalid_request: 400,
  permission_denied: 403,
  not_found: 404,
  unsupported_operation: 405,
  // X-Vault-Index: this node does not hold a state the request requires yet; the client retries.
  precondition_failed: 412,
  payload_too_large: 413,
  internal: 500,
  upstream: 502,
  sealed: 503,
  // A write of replicated state reached a secondary. The HTTP layer forwards it to the primary;
  // it surfaces only when forwarding is impossible, and then the client should retry later.
  read_only: 503,
  // This HA node lost the active role between accepting a request and writing: retry it.
  standby: 503,
  // The service cannot do this yet (a DR secondary still catching up): retry later.
  unavailable: 503,
  // Synchronous DR: the write is committed here, but no DR secondary acknowledged it in time.
  unacknowledged: 503,
});

export class VaultError extends Error {
  readonly code: VaultErrorCode;
  /** Extra messages returned after the first one in `errors`. */
  readonly details: readonly string[];

  constructor(code: VaultErrorCode, message: string, details: readonly string[] = []) {
    super(message);
    this.name = 'VaultError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return STATUS_FOR_CODE[this.code];
  }

  get messages(): string[] {
    return this.message === '' ? [...this.details] : [this.message, ...this.details];
  }
}

export const invalidRequest = (message: string): VaultError => new VaultError('invalid_request', message);
export const permissionDenied = (): VaultError => new VaultError('permission_denied', 'permission denied');
export const notFound = (message = ''): VaultError => new VaultError('not_found', message);
export const isVaultError = (err: unknown): err is VaultError => err instanceof VaultError;
