import type { IncomingHttpHeaders } from 'node:http';
import { ApiError, parseVaultErrors, type RequestTarget } from './api-error.js';
import { exchangeHttp } from './http-exchange.js';
import { loadTlsTrust, type TlsOptions, type TlsTrust } from './tls-trust.js';
import { TransportError } from './transport-error.js';
import { envelopeKeys, parseJsonObject, type JsonObject } from './vault-envelope.js';

/** Vault's client default (`VAULT_CLIENT_TIMEOUT`). */
const DEFAULT_TIMEOUT_MS = 60_000;
/** The most of one answer a client reads unless told otherwise; past it the call fails, it never truncates. */
const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

export interface VaultClientOptions {
  /** Server address, e.g. `https://127.0.0.1:8200` (no `/v1`). */
  readonly address: string;
  /** Sent as `X-Vault-Token` unless a request says otherwise. */
  readonly token?: string | undefined;
  /** Sent as `X-Vault-Wrap-TTL` on every request unless a request says otherwise: the server answers with a wrapping token. */
  readonly wrapTtl?: string | undefined;
  readonly tls?: TlsTrust | undefined;
  /** Deadline of one whole exchange, from sending to the last byte of the answer; default 60 s. */
  readonly timeoutMs?: number | undefined;
  /** The most bytes of one answer's body; past it the call fails with ResponseTooLargeError. Default 32 MiB. */
  readonly maxResponseBytes?: number | undefined;
}

/** One request's options. */
export interface SendOptions {
  /** An object is sent as JSON; a string or Buffer is sent as it is (with no content type unless given). */
  readonly body?: unknown;
  /** `X-Vault-Token` for this request: undefined uses the client's, null sends none. */
  readonly token?: string | null | undefined;
  /** `X-Vault-Wrap-TTL` for this request: undefined uses the client's, null sends none. */
  readonly wrapTtl?: string | null | undefined;
  /** Extra headers; they win over the client's own, whatever their case. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

export interface RequestOptions extends SendOptions {
  /** Answer `null` for a 404 instead of throwing, like Vault's logical read and list. */
  readonly allowNotFound?: boolean | undefined;
}

/** A whole answer, whatever its status. `json` is the parsed body, undefined when it is empty or not JSON. */
export interface VaultHttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  readonly json: unknown;
}

/**
 * A client for Vault's HTTP API (`/v1/<path>`): the CLI, the Terraform provider, replication activation,
 * tests and bench all talk to servers through it.
 *
 * Transport: node:http / node:https, chosen over the global fetch: fetch takes TLS options (CA, client
 * certificate, skip-verify) only through an undici Agent, which Node's bundled undici does not export (it would
 * mean adding the `undici` package), while node:https takes them per request; reading the body ourselves lets
 * the client refuse an over-long answer (by Content-Length, or as bytes arrive) instead of buffering it; and it
 * bundles with esbuild as is. Both can send a LIST verb; `request` sends LIST as `GET ?list=true`.
 *
 * Errors: a non-2xx answer is an ApiError (Vault's `{"errors":[...]}` parsed); no answer is a TransportError;
 * unreadable TLS files are a TlsTrustError at construction.
 */
export class VaultClient {
  /** The address as given (errors name it so); requests go to it without its trailing slashes. */
  readonly address: string;
  readonly #base: string;
  readonly #options: VaultClientOptions;
  readonly #tls: TlsOptions;
  readonly #token: string | undefined;

  constructor(options: VaultClientOptions) {
    this.address = options.address;
    this.#base = options.address.replace(/\/+$/, '');
    this.#options = options;
    this.#tls = loadTlsTrust(options.tls);
    this.#token = options.token === '' ? undefined : options.token;
  }

  /**
   * Sends one request to `/v1/<path>` with the method exactly as given (a `LIST` verb stays `LIST`) and answers
   * whatever came back; throws only TransportError.
   */
  async send(method: string, path: string, options: SendOptions = {}): Promise<VaultHttpResponse> {
    const { url, target } = this.#target(method, path);
    const headers: Record<string, string> = { accept: 'application/json', 'x-vault-request': 'true' };
    const token = options.token === undefined ? this.#token : options.token;
    if (token !== null && token !== undefined && token !== '') headers['x-vault-token'] = token;
    const wrapTtl = options.wrapTtl === undefined ? this.#options.wrapTtl : options.wrapTtl;
    if (wrapTtl !== null && wrapTtl !== undefined) headers['x-vault-wrap-ttl'] = wrapTtl;
    let body: Buffer | undefined;
    if (typeof options.body === 'string' || Buffer.isBuffer(options.body)) body = Buffer.from(options.body);
    else if (options.body !== undefined) {
      body = Buffer.from(JSON.stringify(options.body));
      headers['content-type'] = 'application/json';
    }
    for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value;
    if (url === undefined) throw new TransportError('address', target.method, target.url, this.address, 'the address is not a valid URL');
    const answer = await exchangeHttp({
      method: target.method,
      url,
      address: this.address,
      headers,
      body,
      tls: this.#tls,
      timeoutMs: this.#options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxResponseBytes: this.#options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    });
    const text = answer.body.toString('utf8');
    return { status: answer.status, headers: answer.headers, text, json: parseJson(text) };
  }

  /**
   * Sends one request and answers the JSON object body (`null` for an empty body, or for a 404 when
   * `allowNotFound`). Throws ApiError for any other non-2xx answer and TransportError when none came.
   */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<JsonObject | null> {
    // LIST goes out as `GET …?list=true`, as Vault's Go client sends it: proxies and Node's HTTP parser refuse
    // the LIST verb (Ferry's listener has a shim for it; `send` can still send the verb itself).
    const isList = method === 'LIST';
    const sentMethod = isList ? 'GET' : method;
    const sentPath = isList ? `${path}${path.includes('?') ? '&' : '?'}list=true` : path;
    const res = await this.send(sentMethod, sentPath, options);
    if (res.status === 404 && options.allowNotFound === true) return null;
    if (res.status < 200 || res.status > 299) {
      const errors = parseVaultErrors(res.text);
      throw new ApiError(res.status, errors ?? [], this.#target(sentMethod, sentPath).target, errors === undefined ? res.text : undefined);
    }
    return parseJsonObject(res.text);
  }

  /** Vault's logical read: GET; a 404 is null. */
  async read(path: string, options: SendOptions = {}): Promise<JsonObject | null> {
    return await this.request('GET', path, { ...options, allowNotFound: true });
  }

  /** Vault's logical write: PUT with a JSON body. */
  async write(path: string, body: unknown, options: SendOptions = {}): Promise<JsonObject | null> {
    return await this.request('PUT', path, { ...options, body: body ?? {} });
  }

  /** Vault's logical list: the `data.keys` of a LIST; a 404 is an empty list. */
  async list(path: string, options: SendOptions = {}): Promise<string[]> {
    return envelopeKeys(await this.request('LIST', path, { ...options, allowNotFound: true }));
  }

  async delete(path: string, options: SendOptions = {}): Promise<void> {
    await this.request('DELETE', path, options);
  }

  /**
   * Unwraps a wrapping token: POST `sys/wrapping/unwrap` authenticated with the wrapping token itself, as
   * Vault's client does. Answers the unwrapped response (its `data`, or `auth` for a wrapped login).
   */
  async unwrap(wrappingToken: string): Promise<JsonObject | null> {
    return await this.request('POST', 'sys/wrapping/unwrap', { token: wrappingToken, wrapTtl: null, body: {} });
  }

  /** The URL and error target of a request; `url` is undefined when the address is not a URL. */
  #target(method: string, path: string): { url: URL | undefined; target: RequestTarget } {
    const apiPath = path.startsWith('/v1/') ? path.slice('/v1/'.length) : path.replace(/^\/+/, '');
    let url: URL | undefined;
    try {
      url = new URL(`${this.#base}/v1/${apiPath}`);
    } catch {
      url = undefined;
    }
    return { url, target: { method, url: url?.toString() ?? `${this.#base}/v1/${apiPath}`, address: this.address, path: apiPath } };
  }
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
