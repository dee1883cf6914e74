import type { Barrier } from '../barrier.js';
import type { LogicalResponse, SecretResponse, WrapInfo } from '../logical.js';
import { RESPONSE_WRAPPING_POLICY_NAME } from '../policy.js';
import { layout } from '../storage-layout.js';
import type { TokenEntry, TokenStore } from '../token-store.js';
import { invalidRequest } from '../vault-error.js';
import { isJwtWrappingToken, WrappingJwtSigner } from './wrapping-jwt-signer.js';

/** The one answer for every unusable wrapping token: unknown, used, expired, forged. */
export const INVALID_WRAPPING_TOKEN = 'wrapping token is not valid or does not exist';

export type WrapFormat = 'jwt' | 'opaque';

export interface WrapOptions {
  readonly ttlSeconds: number;
  readonly creationPath: string;
  readonly format: WrapFormat;
  /** Extra claims of a JWT wrapping token (replication marks its activation tokens' type). */
  readonly claims?: Readonly<Record<string, string>>;
}

/** `sys/wrapping/lookup`'s view of a wrapping token. */
export interface WrappingLookup {
  creation_ttl: number;
  creation_time: string;
  creation_path: string;
}

/** What is stored for one wrapping token: the response and how it was wrapped. */
interface WrappedRecord {
  creationTtl: number;
  creationTime: string;
  creationPath: string;
  format: WrapFormat;
  response: StoredResponse;
}

/** The parts of a response that survive wrapping (never a lease's internal data). */
interface StoredResponse {
  data?: Record<string, unknown> | null;
  auth?: LogicalResponse['auth'];
  leaseId?: string;
  secret?: { ttlSeconds: number; renewable: boolean };
  warnings?: string[];
}

/** The parts of the core response wrapping works with (the core passes itself). */
interface WrappingCore {
  readonly barrier: Barrier;
  readonly tokens: TokenStore;
  readonly options: { readonly apiAddr: string };
}

const recordKey = (tokenHash: string) => `${layout.wrapping}response/${tokenHash}`;

/**
 * Response wrapping: a wrapped response is stored under `local/wrapping/` behind a single-use
 * wrapping token (a real token of this cluster with the `response-wrapping` policy, one use, TTL
 * = the wrap TTL). The client gets the token as an opaque `hvs.` id or, for replication, as a
 * signed JWT whose `jti` is that id. Unwrapping consumes it exactly once.
 */
export class ResponseWrapper {
  readonly signer: WrappingJwtSigner;
  /** Token hashes being consumed right now: a second concurrent unwrap loses. */
  private readonly consuming = new Set<string>();

  constructor(private readonly core: WrappingCore) {
    this.signer = new WrappingJwtSigner(core.barrier);
  }

  async wrap(response: LogicalResponse, options: WrapOptions): Promise<WrapInfo> {
    const ttl = Math.floor(options.ttlSeconds);
    if (!Number.isFinite(ttl) || ttl <= 0) throw invalidRequest('wrapping TTL must be a positive duration');
    const { id, entry } = await this.core.tokens.create({
      policies: [RESPONSE_WRAPPING_POLICY_NAME],
      path: options.creationPath,
      displayName: 'response-wrapping',
      numUses: 1,
      ttlSeconds: ttl,
      explicitMaxTtlSeconds: ttl,
      renewable: false,
      noParent: true,
    });
    const creationTime = new Date(entry.creationTime * 1000).toISOString();
    const record: WrappedRecord = { creationTtl: ttl, creationTime, creationPath: options.creationPath, format: options.format, response: storable(response) };
    await this.core.barrier.put(recordKey(entry.hash), Buffer.from(JSON.stringify(record)));
    const token =
      options.format === 'jwt'
        ? await this.signer.sign({
            jti: id,
            ttlSeconds: ttl,
            addr: this.core.options.apiAddr,
            accessor: '',
            ...(options.claims === undefined ? {} : { extra: options.claims }),
          })
        : id;
    const info: WrapInfo = { token, accessor: entry.accessor, ttl, creation_time: creationTime, creation_path: options.creationPath };
    if (response.auth?.accessor) info.wrapped_accessor = response.auth.accessor;
    return info;
  }

  /**
   * Returns the wrapped response and consumes the token. `clientTokenHash` is the hash of the
   * caller's own token: when the caller presents the wrapping token itself, the core's use
   * accounting revokes it after the response, so it is not revoked here.
   */
  async unwrap(token: string, clientTokenHash?: string): Promise<LogicalResponse> {
    const entry = await this.resolve(token, clientTokenHash);
    const record = await this.consume(entry.hash);
    if (entry.hash !== clientTokenHash) await this.core.tokens.revokeTree(entry);
    return restore(record.response);
  }

  /** Creation TTL, time and path of a live wrapping token; does not consume it. */
  async lookup(token: string): Promise<WrappingLookup> {
    const entry = await this.resolve(token);
    const record = await this.read(entry.hash);
    if (record === undefined) throw invalidRequest(INVALID_WRAPPING_TOKEN);
    return { creation_ttl: record.creationTtl, creation_time: record.creationTime, creation_path: record.creationPath };
  }

  /** Moves a wrapped response behind a new token with the same TTL, path and form. */
  async rewrap(token: string, clientTokenHash?: string): Promise<WrapInfo> {
    const entry = await this.resolve(token, clientTokenHash);
    const record = await this.consume(entry.hash);
    if (entry.hash !== clientTokenHash) await this.core.tokens.revokeTree(entry);
    return this.wrap(restore(record.response), { ttlSeconds: record.creationTtl, creationPath: record.creationPath, format: record.format });
  }

  /** Drops the stored response of a revoked wrapping token (token revocation hook). */
  async forget(entry: TokenEntry): Promise<void> {
    if (entry.policies.includes(RESPONSE_WRAPPING_POLICY_NAME)) await this.core.barrier.delete(recordKey(entry.hash));
  }

  /**
   * The live wrapping token entry behind an opaque id or a JWT of this cluster. A token whose
   * single use the current request took (it is the caller's own, `callerHash`) still resolves.
   */
  private async resolve(token: string, callerHash?: string): Promise<TokenEntry> {
    if (token === '') throw invalidRequest('token is required');
    let id: string | undefined = token;
    if (isJwtWrappingToken(token)) id = await this.signer.verify(token);
    const entry = id === undefined ? undefined : await this.core.tokens.lookupById(id, { includeRevocationPending: true });
    if (entry === undefined || !entry.policies.includes(RESPONSE_WRAPPING_POLICY_NAME)) throw invalidRequest(INVALID_WRAPPING_TOKEN);
    if (entry.numUses < 0 && entry.hash !== callerHash) throw invalidRequest(INVALID_WRAPPING_TOKEN);
    return entry;
  }

  private async consume(tokenHash: string): Promise<WrappedRecord> {
    if (this.consuming.has(tokenHash)) throw invalidRequest(INVALID_WRAPPING_TOKEN);
    this.consuming.add(tokenHash);
    try {
      const record = await this.read(tokenHash);
      if (record === undefined) throw invalidRequest(INVALID_WRAPPING_TOKEN);
      await this.core.barrier.delete(recordKey(tokenHash));
      return record;
    } finally {
      this.consuming.delete(tokenHash);
    }
  }

  private async read(tokenHash: string): Promise<WrappedRecord | undefined> {
    const raw = await this.core.barrier.get(recordKey(tokenHash));
    return raw === undefined ? undefined : (JSON.parse(raw.toString('utf8')) as WrappedRecord);
  }
}

function storable(response: LogicalResponse): StoredResponse {
  const out: StoredResponse = {};
  if (response.data !== undefined) out.data = response.data;
  if (response.auth) out.auth = response.auth;
  if (response.leaseId) out.leaseId = response.leaseId;
  if (response.secret) out.secret = { ttlSeconds: response.secret.ttlSeconds, renewable: response.secret.renewable };
  if (response.warnings && response.warnings.length > 0) out.warnings = response.warnings;
  return out;
}

function restore(stored: StoredResponse): LogicalResponse {
  const out: LogicalResponse = {};
  if (stored.data !== undefined) out.data = stored.data;
  if (stored.auth) out.auth = stored.auth;
  if (stored.leaseId) out.leaseId = stored.leaseId;
  if (stored.secret) out.secret = { ...stored.secret, internal: {} } satisfies SecretResponse;
  if (stored.warnings) out.warnings = stored.warnings;
  return out;
}

/**
 * Wraps `response` behind a new single-use wrapping token of `core` and returns the `wrap_info`.
 * The replication layer calls it with `format: 'jwt'` for secondary activation tokens.
 */
export function wrapResponse(core: { readonly wrapper: ResponseWrapper }, response: LogicalResponse, options: WrapOptions): Promise<WrapInfo> {
  return core.wrapper.wrap(response, options);
}
