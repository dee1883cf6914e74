import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ApiError, TransportError } from './api-error.js';

/** Login settings for a userpass auth mount: used when no token is set or the token is refused. */
export interface UserpassLogin {
  mount: string;
  username: string;
  password: string;
}

/** Everything a client needs, resolved once from the provider block and the environment. */
export interface ClientSettings {
  address: string;
  token: string | undefined;
  caCertPem: string | undefined;
  skipTlsVerify: boolean;
  userpass: UserpassLogin | undefined;
  requestTimeoutMs: number;
}

export interface RequestOptions {
  body?: unknown;
  /** Send the token (and log in when allowed). Status and wrapping lookups are unauthenticated. */
  authenticated?: boolean;
}

/** Replication status as read from `sys/replication/status` (the `data` object). */
export interface ReplicationStatus {
  mode: string;
  cluster_id?: string;
  state?: string;
  primary_cluster_addr?: string;
  known_secondaries?: string[];
  last_wal?: number;
  last_remote_wal?: number;
  merkle_root?: string;
  secondary_id?: string;
  primaries?: Array<{ api_address?: string }>;
}

/**
 * A typed HTTP client for Ferry's Vault-compatible API. Paths are given without `/v1/`. Error bodies
 * (`{"errors":[...]}`) become ApiError; network failures become TransportError naming the address.
 */
export class FerryClient {
  private token: string | undefined;
  private login: Promise<string> | undefined;

  constructor(readonly settings: ClientSettings) {
    this.token = settings.token;
  }

  get address(): string {
    return this.settings.address;
  }

  /** GET; a 404 reads as null. */
  async read<T = Record<string, unknown>>(path: string, options: RequestOptions = {}): Promise<T | null> {
    try {
      return await this.request<T>('GET', path, options);
    } catch (err) {
      if (err instanceof ApiError && err.isNotFound) return null;
      throw err;
    }
  }

  async write<T = Record<string, unknown>>(path: string, body: unknown, options: RequestOptions = {}): Promise<T | null> {
    return await this.request<T>('POST', path, { ...options, body });
  }

  async delete(path: string): Promise<void> {
    await this.request('DELETE', path);
  }

  /** LIST (as `GET ?list=true`); a 404 is an empty list. */
  async list(path: string): Promise<string[]> {
    const res = await this.read<{ data?: { keys?: string[] } }>(`${path}?list=true`);
    return res?.data?.keys ?? [];
  }

  async replicationStatus(): Promise<ReplicationStatus> {
    const res = await this.request<{ data?: Record<string, unknown> } & Record<string, unknown>>('GET', 'sys/replication/status', { authenticated: false });
    const data = (res?.data ?? res ?? {}) as Record<string, unknown>;
    // Vault ≥ 0.8 nests per replication type; Ferry answers the 0.7 shape. Accept both.
    const performance = data['performance'];
    const status = (performance !== null && typeof performance === 'object' ? performance : data) as ReplicationStatus;
    return { ...status, mode: typeof status.mode === 'string' ? status.mode : 'unknown' };
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T | null> {
    const authenticated = options.authenticated !== false;
    if (authenticated && this.token === undefined && this.settings.userpass !== undefined) await this.logIn();
    try {
      return await this.send<T>(method, path, options.body, authenticated ? this.token : undefined);
    } catch (err) {
      // A secondary's tokens change when it is activated: log in again once and retry.
      if (authenticated && err instanceof ApiError && err.isPermissionDenied && this.settings.userpass !== undefined) {
        await this.logIn(true);
        return await this.send<T>(method, path, options.body, this.token);
      }
      throw err;
    }
  }

  private async logIn(force = false): Promise<string> {
    const userpass = this.settings.userpass;
    if (userpass === undefined) throw new Error('no auth_login_userpass configured');
    if (this.login === undefined || force) {
      const attempt = (async () => {
        const res = await this.send<{ auth?: { client_token?: string } }>(
          'POST',
          `auth/${trimSlashes(userpass.mount)}/login/${encodeURIComponent(userpass.username)}`,
          { password: userpass.password },
          undefined,
        );
        const token = res?.auth?.client_token;
        if (typeof token !== 'string' || token === '') {
          throw new ApiError(500, ['login answered without auth.client_token'], 'POST', `auth/${userpass.mount}/login`, this.address);
        }
        this.token = token;
        return token;
      })();
      this.login = attempt;
      attempt.catch(() => {
        if (this.login === attempt) this.login = undefined;
      });
    }
    return await this.login;
  }

  private send<T>(method: string, path: string, body: unknown, token: string | undefined): Promise<T | null> {
    const base = this.settings.address.replace(/\/+$/, '');
    let url: URL;
    try {
      url = new URL(`${base}/v1/${path.replace(/^\/+/, '')}`);
    } catch {
      return Promise.reject(new TransportError(this.address, 'the address is not a valid URL'));
    }
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(payload.length);
    }
    if (token !== undefined && token !== '') headers['x-vault-token'] = token;
    const isHttps = url.protocol === 'https:';
    if (!isHttps && url.protocol !== 'http:') {
      return Promise.reject(new TransportError(this.address, `unsupported scheme ${url.protocol}`));
    }
    return new Promise<T | null>((resolve, reject) => {
      const req = (isHttps ? httpsRequest : httpRequest)(
        url,
        {
          method,
          headers,
          timeout: this.settings.requestTimeoutMs,
          ...(isHttps ? { ca: this.settings.caCertPem, rejectUnauthorized: !this.settings.skipTlsVerify } : {}),
        },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) => reject(new TransportError(this.address, err.message)));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = null;
            if (text.trim() !== '') {
              try {
                parsed = JSON.parse(text);
              } catch {
                parsed = null;
              }
            }
            if (status >= 200 && status < 300) {
              resolve(parsed as T | null);
              return;
            }
            const errors = (parsed as { errors?: unknown } | null)?.errors;
            const messages = Array.isArray(errors) ? errors.map(String) : text.trim() !== '' && parsed === null ? [text.trim().slice(0, 200)] : [];
            reject(new ApiError(status, messages, method, path, this.address));
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.settings.requestTimeoutMs} ms`)));
      req.on('error', (err: NodeJS.ErrnoException) => reject(new TransportError(this.address, err.code ? `${err.code} (${err.message})` : err.message)));
      req.end(payload);
    });
  }
}

export function trimSlashes(path: string): string {
  return path.replace(/^\/+|\/+$/g, '');
}
