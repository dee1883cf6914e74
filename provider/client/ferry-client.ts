import { ApiError } from '../../server/api-client/api-error.js';
import { TransportError } from '../../server/api-client/transport-error.js';
import { VaultClient } from '../../server/api-client/vault-client.js';
import { envelopeClientToken } from '../../server/api-client/vault-envelope.js';

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
  /**
   * For a write that must not be made twice (enabling a mount): asked before it is sent again after a
   * failure that may have hidden its success; true when its effect is already there, and the write
   * counts as done.
   */
  isAlreadyApplied?: () => Promise<boolean>;
}

/** How long a call keeps retrying through a failover (Ferry's takes ≤ 5 s; Vault's PostgreSQL lock ~15 s). */
export const FAILOVER_RETRY_MS = 30_000;
const FIRST_RETRY_DELAY_MS = 250;
const MAX_RETRY_DELAY_MS = 2_000;

/**
 * Whether a failure is one a failover causes, after which the same call may succeed: a 503 from a node
 * that has no active node to forward to (a standby during the takeover, or a former active whose write
 * was fenced), or — from an address that has answered before (a load balancer in front of the
 * cluster) — no answer at all. A sealed node is not waited for, nor an address that never answered.
 */
export function isFailoverError(err: unknown, hasAnswered: boolean): boolean {
  if (err instanceof TransportError) return hasAnswered && (err.failure === 'network' || err.failure === 'timeout');
  return err instanceof ApiError && err.status === 503 && !err.errors.some((m) => m === 'Vault is sealed');
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
 * The provider's session with one Ferry cluster: the shared Vault API client (server/api-client) plus the
 * provider's credentials, logging in with userpass when it has no token or its token is refused. Paths are
 * given without `/v1/`. Error bodies become ApiError; network failures become TransportError.
 */
export class FerryClient {
  private token: string | undefined;
  /** Whether the address has answered at all in this session (then a lost connection may be a failover). */
  private hasAnswered = false;
  private login: Promise<string> | undefined;
  private readonly api: VaultClient;

  constructor(readonly settings: ClientSettings) {
    this.token = settings.token;
    this.api = new VaultClient({
      address: settings.address,
      tls: { caCertPem: settings.caCertPem, skipVerify: settings.skipTlsVerify },
      timeoutMs: settings.requestTimeoutMs,
    });
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
    try {
      const res = await this.request<{ data?: { keys?: string[] } }>('LIST', path);
      return res?.data?.keys ?? [];
    } catch (err) {
      if (err instanceof ApiError && err.isNotFound) return [];
      throw err;
    }
  }

  async replicationStatus(): Promise<ReplicationStatus> {
    const res = await this.request<{ data?: Record<string, unknown> } & Record<string, unknown>>('GET', 'sys/replication/status', { authenticated: false });
    const data = (res?.data ?? res ?? {}) as Record<string, unknown>;
    // Vault ≥ 0.8 nests per replication type; Ferry answers the 0.7 shape. Accept both.
    const performance = data['performance'];
    const status = (performance !== null && typeof performance === 'object' ? performance : data) as ReplicationStatus;
    return { ...status, mode: typeof status.mode === 'string' ? status.mode : 'unknown' };
  }

  /** DR replication status from the unauthenticated `sys/replication/dr/status` (a DR secondary answers it too). */
  async drReplicationStatus(): Promise<ReplicationStatus> {
    const res = await this.request<{ data?: Record<string, unknown> } & Record<string, unknown>>('GET', 'sys/replication/dr/status', { authenticated: false });
    const status = (res?.data ?? res ?? {}) as Partial<ReplicationStatus>;
    return { ...status, mode: typeof status.mode === 'string' ? status.mode : 'unknown' };
  }

  /**
   * One call, retried through a failover: a read or an idempotent write is sent again; a write with
   * `isAlreadyApplied` is sent again only when its effect is not there yet.
   */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T | null> {
    const deadline = Date.now() + FAILOVER_RETRY_MS;
    for (let delayMs = FIRST_RETRY_DELAY_MS; ; delayMs = Math.min(delayMs * 2, MAX_RETRY_DELAY_MS)) {
      try {
        const answer = await this.requestOnce<T>(method, path, options);
        this.hasAnswered = true;
        return answer;
      } catch (err) {
        if (err instanceof ApiError) this.hasAnswered = true;
        if (!isFailoverError(err, this.hasAnswered) || Date.now() + delayMs > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        if (options.isAlreadyApplied !== undefined && (await options.isAlreadyApplied())) return null;
      }
    }
  }

  private async requestOnce<T>(method: string, path: string, options: RequestOptions): Promise<T | null> {
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
        const loginPath = `auth/${trimSlashes(userpass.mount)}/login/${encodeURIComponent(userpass.username)}`;
        const token = envelopeClientToken(await this.api.request('POST', loginPath, { body: { password: userpass.password }, token: null }));
        if (token === undefined) {
          throw new ApiError(500, ['login answered without auth.client_token'], {
            method: 'POST',
            url: `${this.address.replace(/\/+$/, '')}/v1/${loginPath}`,
            address: this.address,
            path: `auth/${userpass.mount}/login`,
          });
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

  private async send<T>(method: string, path: string, body: unknown, token: string | undefined): Promise<T | null> {
    return (await this.api.request(method, path, { body, token: token ?? null })) as T | null;
  }
}

export function trimSlashes(path: string): string {
  return path.replace(/^\/+|\/+$/g, '');
}
