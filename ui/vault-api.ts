/** A Vault-shaped error answer: the status and the server's `errors` list. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly messages: readonly string[],
  ) {
    super(messages.length > 0 ? messages.join('; ') : `HTTP ${status}`);
  }
}

const TIMEOUT_MS = 4_000;

/** Calls this server's `/v1/` API with the session token. */
export class VaultApi {
  constructor(private readonly token: () => string | undefined) {}

  async request<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T | undefined> {
    const headers: Record<string, string> = {};
    const token = this.token();
    if (token !== undefined) headers['X-Vault-Token'] = token;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(`/v1/${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
      credentials: 'omit',
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!res.ok) {
      const errors = (parsed as { errors?: unknown } | undefined)?.errors;
      throw new ApiError(res.status, Array.isArray(errors) ? errors.map(String) : []);
    }
    return parsed as T | undefined;
  }

  read<T>(path: string): Promise<T | undefined> {
    return this.request<T>('GET', path);
  }

  write<T>(path: string, body: unknown = {}): Promise<T | undefined> {
    return this.request<T>('POST', path, body);
  }
}

/**
 * A peer cluster's unauthenticated replication status (read cross-origin, without a token: the
 * session token never leaves this server's origin).
 */
export async function readPeerStatus<T>(apiAddr: string, timeoutMs: number): Promise<T | undefined> {
  try {
    const res = await fetch(new URL('/v1/sys/replication/status', apiAddr), { signal: AbortSignal.timeout(timeoutMs), credentials: 'omit', mode: 'cors' });
    if (!res.ok) return undefined;
    const body = (await res.json()) as { data?: T } & T;
    return body.data ?? body;
  } catch {
    return undefined;
  }
}
