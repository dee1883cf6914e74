/** Why no usable answer came. */
export type TransportFailure = 'network' | 'timeout' | 'too-large' | 'address';

/**
 * No usable HTTP answer came: the connection was refused or reset, DNS or TLS verification failed
 * (`network`), the client's deadline passed (`timeout`), the answer was over the size limit (`too-large`), or
 * the address is not an http(s) URL (`address`). `code` is Node's error code when Node gave one
 * (`ECONNREFUSED`, `UNABLE_TO_VERIFY_LEAF_SIGNATURE` …). The message
 * (`GET http://…/v1/sys/health: connect ECONNREFUSED …`) never contains a token.
 */
export class TransportError extends Error {
  constructor(
    readonly failure: TransportFailure,
    readonly method: string,
    readonly url: string,
    readonly address: string,
    readonly reason: string,
    readonly code?: string,
  ) {
    super(`${method} ${url}: ${reason}`);
    this.name = 'TransportError';
  }
}

/** The answer was longer than the client's limit: reading stopped and the connection was closed (never truncated). */
export class ResponseTooLargeError extends TransportError {
  constructor(
    method: string,
    url: string,
    address: string,
    readonly limitBytes: number,
  ) {
    super('too-large', method, url, address, `the answer exceeds the ${limitBytes}-byte limit`);
    this.name = 'ResponseTooLargeError';
  }
}
