/** The server answered with an error status; `messages` are the entries of its `{"errors":[...]}` body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly messages: readonly string[],
    readonly method: string,
    readonly path: string,
    readonly address: string,
  ) {
    super(`${method} ${path} at ${address} failed with status ${status}${messages.length > 0 ? `: ${messages.join('; ')}` : ''}`);
    this.name = 'ApiError';
  }

  get isNotFound(): boolean {
    return this.status === 404;
  }

  get isPermissionDenied(): boolean {
    return this.status === 403;
  }

  /** True when one of the server's messages contains `text` (case-insensitive). */
  mentions(text: string): boolean {
    const needle = text.toLowerCase();
    return this.messages.some((m) => m.toLowerCase().includes(needle));
  }
}

/** The server could not be reached at all (refused, unresolvable, TLS failure, timeout). */
export class TransportError extends Error {
  constructor(
    readonly address: string,
    readonly reason: string,
  ) {
    super(`cannot reach Ferry at ${address}: ${reason}`);
    this.name = 'TransportError';
  }
}
