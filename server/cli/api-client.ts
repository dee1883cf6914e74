/** A JSON object as the server sent it. */
export type JsonObject = Record<string, unknown>;

/** HTTP methods the CLI uses; `LIST` goes out as `GET ?list=true`, as Vault's own client does. */
export type ApiMethod = 'GET' | 'PUT' | 'POST' | 'DELETE' | 'LIST';

export interface ApiClientOptions {
  /** Server address, e.g. `http://127.0.0.1:8200` (no `/v1`). */
  readonly address: string;
  readonly token?: string | undefined;
  /** Sent as `X-Vault-Wrap-TTL` so the server answers with a wrapping token. */
  readonly wrapTtl?: string | undefined;
  readonly fetchFn?: typeof fetch;
}

export interface RequestOptions {
  readonly body?: unknown;
  /** Overrides the client's token for this request (login verifies a token before saving it). */
  readonly token?: string | undefined;
  /** Answer `null` for a 404 instead of throwing, like Vault's logical read/list. */
  readonly allowNotFound?: boolean;
}

/**
 * The server answered with a non-2xx status. `messages` are the entries of `{"errors":[...]}`;
 * when the body is not Vault-shaped, `rawBody` holds it. The message is Vault's CLI text
 * and contains no token: the URL carries none and headers are never included.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly messages: readonly string[],
    readonly method: string,
    readonly url: string,
    readonly rawBody?: string,
  ) {
    super(formatApiErrorMessage(status, messages, method, url, rawBody));
    this.name = 'ApiError';
  }
}

/** The request never got an HTTP answer (connection refused, DNS, reset). */
export class ConnectionError extends Error {
  constructor(
    readonly method: string,
    readonly url: string,
    reason: string,
  ) {
    super(`${method} ${url}: ${reason}`);
    this.name = 'ConnectionError';
  }
}

function formatApiErrorMessage(status: number, messages: readonly string[], method: string, url: string, rawBody?: string): string {
  const head = `Error making API request.\n\nURL: ${method} ${url}\n`;
  if (rawBody !== undefined) return `${head}Code: ${status}. Raw Message:\n\n${rawBody}`;
  return `${head}Code: ${status}. Errors:\n\n${messages.map((m) => `* ${m}`).join('\n')}`;
}

/** A thin fetch wrapper for Vault's HTTP API. */
export class ApiClient {
  readonly address: string;
  readonly #token: string | undefined;
  readonly #wrapTtl: string | undefined;
  readonly #fetch: typeof fetch;

  constructor(options: ApiClientOptions) {
    this.address = options.address.replace(/\/+$/, '');
    this.#token = options.token;
    this.#wrapTtl = options.wrapTtl;
    this.#fetch = options.fetchFn ?? fetch;
  }

  get hasToken(): boolean {
    return this.#token !== undefined;
  }

  /**
   * Sends one request to `/v1/<path>`. Resolves to the parsed JSON body (`null` for an empty body,
   * or for a 404 when `allowNotFound`); throws ApiError for other non-2xx answers and
   * ConnectionError when no answer came.
   */
  async request(method: ApiMethod, path: string, options: RequestOptions = {}): Promise<JsonObject | null> {
    const url = new URL(`${this.address}/v1/${path.replace(/^\/+/, '')}`);
    let httpMethod: string = method;
    if (method === 'LIST') {
      httpMethod = 'GET';
      url.searchParams.set('list', 'true');
    }
    const headers: Record<string, string> = { 'X-Vault-Request': 'true' };
    const token = options.token ?? this.#token;
    if (token !== undefined) headers['X-Vault-Token'] = token;
    if (this.#wrapTtl !== undefined) headers['X-Vault-Wrap-TTL'] = this.#wrapTtl;
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    const shownUrl = url.toString();
    let response: Response;
    try {
      response = await this.#fetch(url, { method: httpMethod, headers, body });
    } catch (err) {
      throw new ConnectionError(httpMethod, shownUrl, describeFetchFailure(err));
    }
    const text = await response.text();
    const parsed = parseJson(text);
    if (response.status === 404 && options.allowNotFound === true) return null;
    if (!response.ok) {
      const errors = parsed?.errors;
      if (Array.isArray(errors)) {
        throw new ApiError(
          response.status,
          errors.map((e) => String(e)),
          httpMethod,
          shownUrl,
        );
      }
      throw new ApiError(response.status, [], httpMethod, shownUrl, text);
    }
    return parsed;
  }
}

function parseJson(text: string): JsonObject | null {
  if (text.trim() === '') return null;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : null;
  } catch {
    return null;
  }
}

function describeFetchFailure(err: unknown): string {
  // undici reports "fetch failed" and keeps the useful reason (ECONNREFUSED …) in `cause`.
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error && cause.message !== '') return cause.message;
  return err instanceof Error ? err.message : String(err);
}
