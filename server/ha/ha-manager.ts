import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Core } from '../core/core.js';
import type { HaLeader, HaNode, HaView } from '../core/ha-view.js';
import { FERRY_VERSION } from '../core/version.js';
import type { ClusterCredentials } from '../replication/cluster-client.js';
import type { SharedClusterPort } from '../replication/cluster-port.js';
import type { WalStorage } from '../replication/wal-storage.js';
import type { CachedBackend } from '../storage/cached-backend.js';
import type { StorageOp } from '../storage/backend.js';
import type { PostgresqlBackend } from '../storage/postgresql-backend.js';
import { HaClusterChannel } from './ha-cluster-channel.js';
import { KeyringFollower } from './keyring-follower.js';
import { handoverKey, isAdvertFrom, parseHandoverAdvert, sealHandover, type HandoverKeyAdvert } from './keyring-handover.js';
import { DEFAULT_HA_RENEW_INTERVAL_MS, DEFAULT_HA_RETRY_INTERVAL_MS, type PostgresqlHaLock } from '../storage/postgresql-ha-lock.js';

/** After `sys/step-down` the node waits this long before competing again (Vault's 10 s). */
const STEP_DOWN_WAIT_MS = 10_000;
/** How long a standby trusts what it last read of the lock row before asking again. */
const LEADER_CACHE_MS = 250;
const ZERO_TIME = '0001-01-01T00:00:00Z';

/** What a node advertises in the lock row (and in its heartbeat row). */
interface Advertisement {
  readonly node_id: string;
  readonly api_addr: string;
  readonly cluster_addr: string;
  readonly hostname: string;
  readonly version: string;
  readonly active_time?: string;
  /** The node's key for a keyring handover, with proof that it holds the cluster's root key. */
  readonly keyring_handover?: HandoverKeyAdvert;
}

type HaState = 'sealed' | 'standby' | 'promoting' | 'active';

export interface HaManagerOptions {
  readonly core: Core;
  readonly lock: PostgresqlHaLock;
  /** The PostgreSQL backend: its writes are fenced by the lock. */
  readonly storage: PostgresqlBackend;
  /** The read cache above it, cleared on promotion. */
  readonly cache: CachedBackend;
  /** The WAL layer above that, reloaded on promotion. */
  readonly wal: WalStorage;
  readonly logger: Logger;
  readonly apiAddr: string;
  readonly clusterAddr: string;
  readonly renewIntervalMs?: number;
  readonly retryIntervalMs?: number;
  /** The cluster port, where the active serves forwarded requests (unset: no forwarding service). */
  readonly sharedPort?: SharedClusterPort;
}

/**
 * Active/standby on the PostgreSQL HA lock. An unsealed node is a standby and competes for the lock
 * every retry interval; the holder promotes itself (reloads everything from storage, then runs the
 * core's post-unseal duties) and renews every renew interval. A holder whose renewal fails, or that
 * cannot reach the database for a whole lease, steps down; its writes are refused by the fence in
 * any case. Sealing gives the lock up.
 */
export class HaManager implements HaView {
  readonly isEnabled = true;
  readonly nodeId = randomUUID();
  private state: HaState = 'sealed';
  private isInitializing = false;
  /** The active node is replacing the root key: sealing for it keeps the lock. */
  private isChangingKeyring = false;
  private timer: NodeJS.Timeout | undefined;
  private isTicking = false;
  private isFailing = false;
  private stopped = false;
  private competeAfter = 0;
  private lastRenewStartedAt = 0;
  private activeSince: Date | undefined;
  private lastHeartbeatAt = 0;
  private holderCache: { at: number; leader: Advertisement | undefined } | undefined;
  private readonly log: Logger;
  private readonly follower: KeyringFollower;
  /** Request forwarding over the cluster port. */
  readonly channel: HaClusterChannel;
  private readonly renewIntervalMs: number;
  private readonly retryIntervalMs: number;

  constructor(private readonly options: HaManagerOptions) {
    this.log = options.logger.child({ module: 'ha' });
    this.renewIntervalMs = options.renewIntervalMs ?? DEFAULT_HA_RENEW_INTERVAL_MS;
    this.retryIntervalMs = options.retryIntervalMs ?? DEFAULT_HA_RETRY_INTERVAL_MS;
    this.follower = new KeyringFollower(options.core, this.nodeId, this.log);
    this.channel = new HaClusterChannel(options.core, this.nodeId, options.sharedPort, options.logger, () => options.cache.clear());
    // Only the lock holder writes; a new store is created before any lock exists.
    options.storage.requireWriteFence(() => (this.isInitializing ? 'unfenced' : options.lock.currentFence()));
    // Another node may write at any time unless this one is active: only the active node caches reads.
    options.cache.cacheOnlyWhile(() => this.state === 'active');
  }

  isActive(): boolean {
    return this.isInitializing || ((this.state === 'promoting' || this.state === 'active') && this.options.lock.isHeld);
  }

  /** Unsealed, not active: requests go to the active node. */
  get isStandby(): boolean {
    return this.state === 'standby';
  }

  onStandbyUnsealed(): void {
    this.state = 'standby';
    this.log.info({ node_id: this.nodeId }, 'standby: competing for the ha lock');
    // The keyring it opened is the one to watch; the first tick advertises its handover key.
    void this.follower
      .start()
      .catch((err: unknown) => this.log.warn({ error: errorText(err) }, 'reading the keyring failed'))
      .finally(() => this.schedule(0));
  }

  async onSealed(): Promise<void> {
    if (this.isChangingKeyring) return;
    this.follower.stop();
    const wasHolder = this.options.lock.isHeld;
    this.state = 'sealed';
    this.activeSince = undefined;
    await this.stopForwardingService();
    this.channel.forget();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (wasHolder) await this.options.lock.release().catch((err: unknown) => this.log.warn({ error: errorText(err) }, 'releasing the ha lock failed'));
  }

  beginInitialize(): void {
    this.isInitializing = true;
  }

  endInitialize(): void {
    this.isInitializing = false;
  }

  async beginKeyringChange(oldRootKey: Buffer, newRootKey: Buffer): Promise<StorageOp[]> {
    if (this.state !== 'active') return [];
    const ops: StorageOp[] = [];
    const skipped: string[] = [];
    for (const row of await this.options.lock.liveNodes()) {
      const ad = parseAdvertisement(row.value);
      if (ad === undefined || ad.node_id === this.nodeId) continue;
      // Only a node that proves it holds the old root key is handed the new one.
      if (ad.keyring_handover === undefined || !isAdvertFrom(ad.node_id, ad.keyring_handover, oldRootKey)) {
        skipped.push(ad.node_id);
        continue;
      }
      ops.push({ op: 'put', key: handoverKey(ad.node_id), value: sealHandover(ad.node_id, ad.keyring_handover, oldRootKey, newRootKey) });
    }
    this.isChangingKeyring = true;
    this.log.info({ standbys: ops.length, ...(skipped.length > 0 ? { without_proof: skipped } : {}) }, 'handing the new keyring over to the standbys');
    return ops;
  }

  async endKeyringChange(): Promise<void> {
    if (!this.isChangingKeyring) return;
    this.isChangingKeyring = false;
    // The wipe took the HA CA with it: keep the one standbys already trust.
    if (this.state === 'active') await this.channel.restoreAfterWipe();
  }

  async leader(): Promise<HaLeader> {
    if (this.state === 'active') {
      return {
        isSelf: true,
        leaderAddress: this.options.apiAddr,
        leaderClusterAddress: this.options.clusterAddr,
        activeTime: this.activeSince?.toISOString() ?? ZERO_TIME,
      };
    }
    const leader = await this.currentLeader();
    if (leader === undefined) return { isSelf: false, leaderAddress: '', leaderClusterAddress: '', activeTime: ZERO_TIME };
    return { isSelf: false, leaderAddress: leader.api_addr, leaderClusterAddress: leader.cluster_addr, activeTime: leader.active_time ?? ZERO_TIME };
  }

  async nodes(): Promise<HaNode[]> {
    const leader = this.state === 'active' ? this.advertisement() : await this.currentLeader();
    const rows = await this.options.lock.liveNodes();
    return rows.flatMap((row) => {
      const ad = parseAdvertisement(row.value);
      if (ad === undefined) return [];
      const isActive = ad.node_id === leader?.node_id;
      return [
        {
          hostname: ad.hostname,
          apiAddress: ad.api_addr,
          clusterAddress: ad.cluster_addr,
          isActive,
          lastEcho: isActive ? null : row.lastSeen.toISOString(),
          version: ad.version,
        },
      ];
    });
  }

  async stepDown(): Promise<void> {
    if (this.state !== 'active') return;
    this.competeAfter = Date.now() + STEP_DOWN_WAIT_MS;
    await this.demote('step-down requested');
  }

  /** The active node's addresses as this standby knows them (undefined: no live lock holder). */
  async activeNode(options: { fresh?: boolean } = {}): Promise<{ apiAddr: string; clusterAddr: string } | undefined> {
    if (options.fresh === true) this.holderCache = undefined;
    const leader = await this.currentLeader();
    return leader === undefined ? undefined : { apiAddr: leader.api_addr, clusterAddr: leader.cluster_addr };
  }

  /** This standby's certificate for forwarding (undefined until an active node made the cluster's HA CA). */
  forwardingCredentials(): Promise<ClusterCredentials | undefined> {
    return this.channel.clientCredentials();
  }

  /** Stops competing (server shutdown); a held lock is released. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.onSealed();
  }

  private schedule(delayMs: number): void {
    if (this.stopped || this.state === 'sealed') return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), delayMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.isTicking) return;
    this.isTicking = true;
    try {
      if (this.state === 'active') await this.renew();
      // A standby stays on the cluster's keyring (or seals itself) before it may take over.
      if (this.state === 'standby' && !(await this.follower.follow())) return;
      if (this.state === 'standby' && Date.now() >= this.competeAfter) {
        if (await this.options.lock.tryAcquire(JSON.stringify(this.advertisement(new Date())))) await this.promote();
      }
      if (this.state !== 'sealed' && Date.now() - this.lastHeartbeatAt >= this.renewIntervalMs) {
        await this.options.lock.heartbeat(this.nodeId, JSON.stringify(this.advertisement()));
        this.lastHeartbeatAt = Date.now();
      }
      if (this.isFailing) this.log.info({ state: this.state }, 'ha lock check works again');
      this.isFailing = false;
    } catch (err) {
      // Once per outage, not every half second.
      if (!this.isFailing) this.log.warn({ error: errorText(err), state: this.state }, 'ha lock check failed');
      this.isFailing = true;
      // Without the database for a whole lease, the lock has surely passed on.
      if (this.state === 'active' && Date.now() - this.lastRenewStartedAt > this.options.lock.ttlMs) {
        this.options.lock.forget();
        await this.demote('the ha lock could not be renewed within its lease');
      }
    } finally {
      this.isTicking = false;
      this.schedule(this.state === 'active' ? this.renewIntervalMs : this.retryIntervalMs);
    }
  }

  private async renew(): Promise<void> {
    const startedAt = Date.now();
    if (await this.options.lock.renew()) this.lastRenewStartedAt = startedAt;
    else await this.demote('the ha lock was lost');
  }

  private async promote(): Promise<void> {
    this.state = 'promoting';
    this.lastRenewStartedAt = Date.now();
    const startedAt = Date.now();
    try {
      // Everything the active wrote happened underneath this node: drop what it had read.
      this.options.cache.clear();
      await this.options.wal.open();
      await this.options.core.becomeActive();
      await this.startForwardingService();
      this.activeSince = new Date();
      this.state = 'active';
      this.holderCache = undefined;
      this.log.info({ node_id: this.nodeId, epoch: this.options.lock.epoch, promotion_ms: Date.now() - startedAt }, 'acquired the ha lock: now active');
    } catch (err) {
      this.log.error({ error: errorText(err) }, 'becoming active failed; staying standby');
      this.competeAfter = Date.now() + this.retryIntervalMs;
      await this.demote('promotion failed');
    }
  }

  private async demote(reason: string): Promise<void> {
    if (this.state !== 'active' && this.state !== 'promoting') return;
    // From now on requests are forwarded; then the services stop.
    this.state = 'standby';
    this.activeSince = undefined;
    this.holderCache = undefined;
    await this.stopForwardingService();
    this.log.warn({ reason }, 'leadership lost, stopping active operation');
    if (this.options.lock.isHeld)
      await this.options.lock.release().catch((err: unknown) => this.log.warn({ error: errorText(err) }, 'releasing the ha lock failed'));
    await this.options.core.becomeStandby().catch((err: unknown) => this.log.error({ error: errorText(err) }, 'stopping active operation failed'));
  }

  /** Serving forwarded requests is not worth a failed promotion: clients may still reach this node directly. */
  private async startForwardingService(): Promise<void> {
    try {
      await this.channel.startServing(await this.options.core.clusterId());
    } catch (err) {
      this.log.error({ error: errorText(err), cluster_addr: this.options.clusterAddr }, 'serving forwarded requests on the cluster port failed');
    }
  }

  private async stopForwardingService(): Promise<void> {
    await this.channel.stopServing().catch((err: unknown) => this.log.warn({ error: errorText(err) }, 'closing the forwarding service failed'));
  }

  private async currentLeader(): Promise<Advertisement | undefined> {
    const cached = this.holderCache;
    if (cached !== undefined && Date.now() - cached.at < LEADER_CACHE_MS) return cached.leader;
    const holder = await this.options.lock.readHolder();
    const leader = holder?.isLive === true ? parseAdvertisement(holder.value) : undefined;
    this.holderCache = { at: Date.now(), leader };
    return leader;
  }

  private advertisement(activeTime?: Date): Advertisement {
    const handover = this.follower.advert();
    return {
      node_id: this.nodeId,
      api_addr: this.options.apiAddr,
      cluster_addr: this.options.clusterAddr,
      hostname: hostname(),
      version: FERRY_VERSION,
      ...(activeTime === undefined ? {} : { active_time: activeTime.toISOString() }),
      ...(handover === undefined ? {} : { keyring_handover: handover }),
    };
  }
}

function parseAdvertisement(value: string | null): Advertisement | undefined {
  if (value === null) return undefined;
  try {
    const parsed = JSON.parse(value) as Partial<Advertisement>;
    if (typeof parsed.node_id !== 'string' || typeof parsed.api_addr !== 'string' || typeof parsed.cluster_addr !== 'string') return undefined;
    const handover = parseHandoverAdvert(parsed.keyring_handover);
    return {
      node_id: parsed.node_id,
      api_addr: parsed.api_addr,
      cluster_addr: parsed.cluster_addr,
      hostname: typeof parsed.hostname === 'string' ? parsed.hostname : '',
      version: typeof parsed.version === 'string' ? parsed.version : '',
      ...(typeof parsed.active_time === 'string' ? { active_time: parsed.active_time } : {}),
      ...(handover === undefined ? {} : { keyring_handover: handover }),
    };
  } catch {
    return undefined;
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
