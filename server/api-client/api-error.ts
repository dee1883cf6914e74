/** Which request an error is about. Never holds a token: tokens travel in headers, which are not kept. */
export interface RequestTarget {
  /** The HTTP method as sent (`LIST` sent as a query goes out as `GET`). */
  readonly method: string;
  /** The full URL as sent, e.g. `http://127.0.0.1:8200/v1/secret/?list=true`. */
  readonly url: string;
  /** The server address as the client was given it. */
  readonly address: string;
  /** The API path after `/v1/`, as the caller gave it (plus `?list=true` for a LIST sent as a query). */
  readonly path: string;
}

/**
 * The server answered with a non-2xx status. `errors` are the entries of Vault's `{"errors":[...]}`;
 * when the body is not Vault-shaped (no `errors` array), `rawBody` holds it. A 404 with `{"errors":[]}`
 * is Vault's "nothing here" (`isEmptyNotFound`), distinct from a 404 that says why.
 *
 * The message is the text of Vault's own client (`Error making API request. …`); it names the method and
 * URL, never a token or a request body.
 */
export class ApiError extends Error {
  readonly method: string;
  readonly url: string;
  readonly address: string;
  readonly path: string;

  constructor(
    readonly status: number,
    readonly errors: readonly string[],
    target: RequestTarget,
    readonly rawBody?: string,
  ) {
    super(formatApiErrorMessage(status, errors, target, rawBody));
    this.name = 'ApiError';
    this.method = target.method;
    this.url = target.url;
    this.address = target.address;
    this.path = target.path;
  }

  get isNotFound(): boolean {
    return this.status === 404;
  }

  /** A 404 that carries no reason: Vault's answer for a read or list of nothing. */
  get isEmptyNotFound(): boolean {
    return this.status === 404 && this.errors.length === 0 && (this.rawBody === undefined || this.rawBody.trim() === '');
  }

  get isPermissionDenied(): boolean {
    return this.status === 403;
  }

  /** True when the server's errors (or, for a body that is not Vault-shaped, the body) contain `text`, case-insensitively. */
  mentions(text: string): boolean {
    const needle = text.toLowerCase();
    const said = this.rawBody === undefined ? this.errors : [...this.errors, this.rawBody];
    return said.some((m) => m.toLowerCase().includes(needle));
  }
}

function formatApiErrorMessage(status: number, errors: readonly string[], target: RequestTarget, rawBody: string | undefined): string {
  const head = `Error making API request.\n\nURL: ${target.method} ${target.url}\n`;
  if (rawBody !== undefined) return `${head}Code: ${status}. Raw Message:\n\n${rawBody}`;
  return `${head}Code: ${status}. Errors:\n\n${errors.map((m) => `* ${m}`).join('\n')}`;
}

/**
 * Reads Vault's error envelope: the `errors` array of a JSON object body as strings, or undefined when the
 * body is not an object with an `errors` array.
 */
export function parseVaultErrors(text: string): string[] | undefined {
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const errors = (value as { errors?: unknown }).errors;
  return Array.isArray(errors) ? errors.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))) : undefined;
}
