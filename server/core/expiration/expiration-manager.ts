import type { Logger } from 'pino';
import type { Barrier } from '../barrier.js';
import type { Route } from '../router.js';
import type { TokenStore } from '../token-store.js';
import type { LogicalRequest, LogicalResponse } from '../logical.js';
import type { MountEntry } from '../mount-table.js';
import { randomBase62 } from '../token-id.js';
import { nowSeconds, SYSTEM_MAX_TTL_SECONDS, type TokenEntry } from '../token-store.js';
import { invalidRequest, VaultError } from '../vault-error.js';
import { LeaseStore, type LeaseEntry } from './lease-store.js';

/** The parts of the core the expiration manager works with (the core passes itself). */
interface ExpirationCore {
  readonly barrier: Barrier;
  readonly logger: Logger;
  readonly tokens: TokenStore;
  readonly isSealed: boolean;
  /** A DR secondary revokes nothing: its primary does, and the revocations replicate to it. */
  readonly replication: { isDrSecondary?(): boolean };
  route(path: string): Route | undefined;
}

/** Mount types whose responses carry a TTL but never a lease (Vault's rule for kv). */
const NON_LEASING_MOUNT_TYPES = new Set(['kv', 'generic', 'system', 'cubbyhole', 'identity', 'token']);
/** After a failed revocation of an expired lease, retry this much later. */
const RETRY_AFTER_SECONDS = 10;

export interface ExpirationOptions {
  /** How often the sweep looks for expired leases and tokens. */
  readonly sweepIntervalMs?: number;
}

/** `sys/leases/lookup`'s view of a lease. */
export interface LeaseLookup {
  id: string;
  issue_time: string;
  expire_time: string;
  last_renewal: string | null;
  renewable: boolean;
  ttl: number;
}

const iso = (seconds: number): string => new Date(seconds * 1000).toISOString();

/**
 * The expiration manager: registers a lease for every lease-bearing response, renews and revokes
 * leases (through the issuing backend's `revokeLease`), revokes a token's leases with the token,
 * and runs a timer-driven sweep that revokes expired leases and tokens on time. Everything it
 * keeps lives under `local/expiration/`, so it survives restarts and never replicates; the sweep
 * starts after unseal and stops before seal.
 */
export class ExpirationManager {
  private readonly store: LeaseStore;
  private readonly logger: Logger;
  /** Lease id → unix seconds at which the sweep revokes it. */
  private readonly schedule = new Map<string, number>();
  private readonly inFlight = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private readonly sweepIntervalMs: number;

  constructor(
    private readonly core: ExpirationCore,
    options: ExpirationOptions = {},
  ) {
    this.store = new LeaseStore(core.barrier);
    this.logger = core.logger.child({ module: 'expiration' });
    this.sweepIntervalMs = options.sweepIntervalMs ?? 1000;
  }

  /** Loads every lease's expiry and starts the sweep (post-unseal). */
  async start(): Promise<void> {
    this.schedule.clear();
    for (const lease of await this.store.scan('')) this.schedule.set(lease.leaseId, lease.expireTime);
    this.timer = setInterval(() => void this.sweep(), this.sweepIntervalMs);
    this.timer.unref();
    this.logger.info({ leases: this.schedule.size }, 'expiration manager started');
  }

  /** Stops the sweep and waits for a running one to finish (pre-seal). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.sweeping;
    this.schedule.clear();
  }

  get leaseCount(): number {
    return this.schedule.size;
  }

  /**
   * Response filter: registers a lease for a response with `secret` and fills `leaseId`.
   * kv-like mounts keep their TTL without a lease, as in Vault.
   */
  async registerResponse(req: LogicalRequest, mount: MountEntry, res: LogicalResponse | undefined): Promise<LogicalResponse | undefined> {
    if (res?.secret === undefined || res.leaseId) return res;
    if (NON_LEASING_MOUNT_TYPES.has(mount.type) || req.path.startsWith('sys/')) return { ...res, secret: { ...res.secret, renewable: false } };
    const now = nowSeconds();
    const maxTtl = Math.min(mount.config.max_lease_ttl > 0 ? mount.config.max_lease_ttl : SYSTEM_MAX_TTL_SECONDS, SYSTEM_MAX_TTL_SECONDS);
    const requested =
      res.secret.ttlSeconds > 0 ? res.secret.ttlSeconds : mount.config.default_lease_ttl > 0 ? mount.config.default_lease_ttl : SYSTEM_MAX_TTL_SECONDS;
    const ttl = Math.min(requested, maxTtl);
    const lease: LeaseEntry = {
      leaseId: `${req.path.replace(/\/+$/, '')}/${randomBase62(24)}`,
      path: req.path,
      mountUuid: mount.uuid,
      tokenHash: req.auth?.tokenHash ?? '',
      issueTime: now,
      expireTime: now + ttl,
      lastRenewalTime: 0,
      maxExpireTime: now + maxTtl,
      renewable: res.secret.renewable,
      internal: res.secret.internal,
    };
    await this.store.put(lease);
    this.schedule.set(lease.leaseId, lease.expireTime);
    return { ...res, leaseId: lease.leaseId, secret: { ...res.secret, ttlSeconds: ttl } };
  }

  async lookup(leaseId: string): Promise<LeaseLookup> {
    const token = await this.tokenOfLease(leaseId);
    if (token !== undefined) {
      return {
        id: leaseId,
        issue_time: iso(token.creationTime),
        expire_time: iso(token.expireTime),
        last_renewal: null,
        renewable: token.renewable,
        ttl: Math.max(0, token.expireTime - nowSeconds()),
      };
    }
    const lease = await this.live(leaseId);
    if (lease === undefined) throw invalidRequest('invalid lease');
    return {
      id: lease.leaseId,
      issue_time: iso(lease.issueTime),
      expire_time: iso(lease.expireTime),
      last_renewal: lease.lastRenewalTime > 0 ? iso(lease.lastRenewalTime) : null,
      renewable: lease.renewable,
      ttl: Math.max(0, lease.expireTime - nowSeconds()),
    };
  }

  /**
   * Lease ids (and sub-prefixes) directly below `prefix`: secret leases, and, as in Vault, one
   * lease per token with a TTL at `<token path>/<salted token id>` (the auth leases that
   * `revoke-prefix` of an `auth/` path revokes).
   */
  async list(prefix: string): Promise<string[]> {
    const normalized = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
    const keys = new Set(await this.store.list(normalized));
    if (normalized === '' || normalized.startsWith('auth/')) {
      for (const token of await this.core.tokens.allEntries()) {
        if (token.expireTime <= 0 || token.numUses < 0) continue;
        const id = authLeaseIdOf(token);
        if (!id.startsWith(normalized)) continue;
        const rest = id.slice(normalized.length);
        const slash = rest.indexOf('/');
        keys.add(slash < 0 ? rest : rest.slice(0, slash + 1));
      }
    }
    return [...keys].sort();
  }

  /** The live token behind an auth lease id (`<token path>/<salted token id>`), if it is one. */
  private async tokenOfLease(leaseId: string): Promise<TokenEntry | undefined> {
    if (!leaseId.startsWith('auth/')) return undefined;
    const hash = leaseId.slice(leaseId.lastIndexOf('/') + 1);
    if (hash === '' || !/^[A-Za-z0-9_-]+$/.test(hash)) return undefined;
    const token = await this.core.tokens.lookupByHash(hash);
    return token !== undefined && token.expireTime > 0 && authLeaseIdOf(token) === leaseId ? token : undefined;
  }

  /** Extends a renewable lease by `incrementSeconds` (or its original TTL), never past its max. */
  async renew(leaseId: string, incrementSeconds: number): Promise<LogicalResponse> {
    const token = await this.tokenOfLease(leaseId);
    if (token !== undefined) {
      const renewed = await this.core.tokens.renew(token, incrementSeconds);
      return { leaseId, secret: { ttlSeconds: Math.max(0, renewed.expireTime - nowSeconds()), renewable: renewed.renewable, internal: {} } };
    }
    const lease = await this.live(leaseId);
    if (lease === undefined) throw invalidRequest('lease not found');
    if (!lease.renewable) throw invalidRequest('lease is not renewable');
    const now = nowSeconds();
    const originalTtl = Math.max(1, lease.lastRenewalTime > 0 ? lease.expireTime - lease.lastRenewalTime : lease.expireTime - lease.issueTime);
    const expireTime = Math.min(now + (incrementSeconds > 0 ? incrementSeconds : originalTtl), lease.maxExpireTime);
    const updated: LeaseEntry = { ...lease, expireTime, lastRenewalTime: now };
    await this.store.put(updated);
    this.schedule.set(leaseId, expireTime);
    return { leaseId, secret: { ttlSeconds: Math.max(0, expireTime - now), renewable: true, internal: {} } };
  }

  /** Revokes one lease through its backend; an unknown lease is a no-op, as in Vault. */
  async revoke(leaseId: string, options: { force?: boolean } = {}): Promise<void> {
    const token = await this.tokenOfLease(leaseId);
    if (token !== undefined) return this.core.tokens.revokeTree(token);
    const lease = await this.store.get(leaseId);
    if (lease !== undefined) await this.revokeLease(lease, options.force === true);
  }

  /**
   * Revokes every lease below `prefix` (and, for an `auth/` prefix, every token issued under it).
   * With `force`, backend errors are ignored and the leases are removed anyway.
   */
  async revokePrefix(prefix: string, options: { force?: boolean } = {}): Promise<void> {
    const normalized = prefix.endsWith('/') ? prefix : `${prefix}/`;
    if (normalized === '/') throw invalidRequest('prefix is required');
    for (const lease of await this.store.scan(normalized)) await this.revokeLease(lease, options.force === true);
    if (normalized.startsWith('auth/')) {
      for (const token of await this.core.tokens.allEntries()) {
        if (`${token.path}/`.startsWith(normalized)) await this.core.tokens.revokeTree(token);
      }
    }
  }

  /** Token revocation hook: a token's leases go with it. */
  async revokeLeasesOfToken(tokenHash: string): Promise<void> {
    for (const leaseId of await this.store.leaseIdsOfToken(tokenHash)) {
      try {
        await this.revoke(leaseId);
      } catch (err) {
        this.logger.warn({ lease_id: leaseId, err: errorText(err) }, 'failed to revoke lease of revoked token; the sweep retries');
      }
    }
  }

  /** One pass: revoke expired leases, then expired tokens and tokens whose last use was abandoned. Never overlaps with itself. */
  sweep(): Promise<void> {
    this.sweeping ??= this.sweepOnce().finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }

  private async sweepOnce(): Promise<void> {
    if (this.core.isSealed || this.core.replication.isDrSecondary?.() === true) return;
    const now = nowSeconds();
    for (const [leaseId, expireTime] of [...this.schedule]) {
      if (expireTime > now) continue;
      try {
        await this.revoke(leaseId);
        this.schedule.delete(leaseId);
      } catch (err) {
        this.schedule.set(leaseId, now + RETRY_AFTER_SECONDS);
        this.logger.warn({ lease_id: leaseId, err: errorText(err) }, 'failed to revoke expired lease; retrying later');
      }
    }
    try {
      for (const token of await this.core.tokens.allEntries()) {
        const isExpired = token.expireTime > 0 && token.expireTime <= now;
        if (isExpired || this.core.tokens.isAbandoned(token)) await this.core.tokens.revokeTree(token);
      }
    } catch (err) {
      if (!this.core.isSealed) this.logger.warn({ err: errorText(err) }, 'token expiry sweep failed');
    }
  }

  /** The lease if it exists and has not expired (an expired one is revoked on the spot). */
  private async live(leaseId: string): Promise<LeaseEntry | undefined> {
    const lease = await this.store.get(leaseId);
    if (lease === undefined) return undefined;
    if (lease.expireTime <= nowSeconds()) {
      // The caller sees "no such lease" either way; the sweep retries a failed revocation.
      await this.revokeLease(lease, false).catch((err: unknown) =>
        this.logger.warn({ lease_id: lease.leaseId, err: errorText(err) }, 'failed to revoke expired lease; retrying later'),
      );
      return undefined;
    }
    return lease;
  }

  private async revokeLease(lease: LeaseEntry, force: boolean): Promise<void> {
    if (this.inFlight.has(lease.leaseId)) return;
    this.inFlight.add(lease.leaseId);
    try {
      const route = this.core.route(lease.path);
      const backend = route !== undefined && route.entry.uuid === lease.mountUuid ? route.backend : undefined;
      if (backend?.revokeLease) {
        try {
          await backend.revokeLease(lease.internal);
        } catch (err) {
          if (!force) throw new VaultError('internal', 'failed to revoke lease: the issuing backend returned an error');
          this.logger.warn({ lease_id: lease.leaseId, err: errorText(err) }, 'backend failed to revoke lease; removed by force');
        }
      }
      await this.store.delete(lease);
      this.schedule.delete(lease.leaseId);
    } finally {
      this.inFlight.delete(lease.leaseId);
    }
  }
}

/** Vault's lease id of a token: its creation path and its salted id. */
function authLeaseIdOf(token: TokenEntry): string {
  return `${token.path.replace(/\/+$/, '')}/${token.hash}`;
}

function errorText(err: unknown): string {
  return err instanceof VaultError ? err.code : err instanceof Error ? err.name : 'error';
}
