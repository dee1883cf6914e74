import type { Logger } from 'pino';
import type { Core } from '../core/core.js';
import type { LogicalRequest, WrapInfo } from '../core/logical.js';
import type { LoginAlias, ReplicationMode, ReplicationView } from '../core/replication-role.js';
import { invalidRequest } from '../core/vault-error.js';
import type { TrustOptions } from './activation-client.js';
import { bindClusterListener } from './cluster-listener.js';
import type { SharedClusterPort } from './cluster-port.js';
import type { ClusterServer } from './cluster-server.js';
import { DrSynchronous } from './dr-synchronous.js';
import { notifyOldPrimary } from './fence-notifier.js';
import { PrimaryForwarder, type ForwardedResult } from './primary-forwarder.js';
import { replicationMetrics } from './replication-metrics.js';
import { eventLoopDelay } from '../core/event-loop-delay.js';
import { knownPerformanceSecondary, withPathsFilter } from './paths-filter.js';
import { kindOf, loadReplicationState, saveReplicationState, type PathsFilter, type ReplicationKind, type ReplicationState } from './replication-state.js';
import { DrOperationTokens } from './dr-operation-tokens.js';
import { loadRelayState, saveRelayState } from './dr-relay.js';
import { ReplicationStateMachine } from './replication-state-machine.js';
import { replicationStatus, type ReplicationSnapshot } from './replication-status.js';
import { SecondaryActivator } from './secondary-activator.js';
import { keysetOf } from './secondary-keyset.js';
import { SecondaryStream } from './secondary-stream.js';
import { SnapshotManager } from './snapshot-manager.js';
import { issueSecondaryToken } from './secondary-token.js';
import type { WalStorage } from './wal-storage.js';

export interface ReplicationOptions {
  readonly core: Core;
  readonly wal: WalStorage;
  readonly logger: Logger;
  readonly apiAddr: string;
  readonly clusterAddr: string;
  /** Dev mode: the root token id a dev secondary adopts. */
  readonly devRootToken?: string;
  readonly isDev: boolean;
  /** Where `secondary/enable` saves a snapshot of this cluster before wiping it (`pre_wipe_snapshot_dir`). */
  readonly preWipeSnapshotDir?: string;
  /** `replication { dr_synchronous = true }` (see DrSynchronous). */
  readonly drSynchronous?: { readonly timeoutSeconds: number };
  /** The cluster port shared with HA request forwarding, when HA is enabled. */
  readonly sharedPort?: SharedClusterPort;
}

/**
 * The replication engine of one cluster, wired to a running core: the role state machine with
 * the real cluster listener, stream, store and activator; forwarding; status and metrics. It is
 * the core's ReplicationView (the core and sys/ paths ask it for the mode) and what
 * `sys/replication/*` calls.
 */
export class ReplicationManager implements ReplicationView {
  private readonly machine: ReplicationStateMachine<ClusterServer, SecondaryStream>;
  private readonly forwarder: PrimaryForwarder;
  /** The kind of an activation in progress (a DR activation serves nobody from its start). */
  private activatingKind: ReplicationKind = 'performance';
  /** DR operation tokens while this cluster is a DR secondary. */
  readonly drTokens: DrOperationTokens;
  /** Snapshot save and restore (`sys/storage/raft/snapshot`), aware of this cluster's role. */
  readonly snapshots: SnapshotManager;
  private readonly drSynchronous: DrSynchronous | undefined;

  constructor(readonly options: ReplicationOptions) {
    const { core, wal, logger, apiAddr, clusterAddr } = options;
    const log = logger.child({ module: 'replication' });
    this.snapshots = new SnapshotManager({ core, wal, logger, state: () => this.machine.current, exclusive: (job) => this.machine.exclusive(job) });
    const preWipeDir = options.preWipeSnapshotDir;
    const sync = options.drSynchronous;
    this.drSynchronous =
      sync === undefined
        ? undefined
        : new DrSynchronous({
            wal,
            logger,
            timeoutSeconds: sync.timeoutSeconds,
            isPrimary: () => this.machine.current.role === 'primary',
            isEligible: (id) => {
              const state = this.machine.current;
              const known = state.role === 'primary' ? state.secondaries[id] : undefined;
              return known !== undefined && kindOf(known) === 'dr';
            },
          });
    const acks = this.drSynchronous?.acks;
    this.machine = new ReplicationStateMachine<ClusterServer, SecondaryStream>({
      logger,
      clusterAddr,
      ports: {
        store: { load: () => loadReplicationState(core.barrier), save: (next) => saveReplicationState(core.barrier, wal, next) },
        relayStore: { load: () => loadRelayState(core.barrier), save: (next) => saveRelayState(core.barrier, wal, next) },
        wal,
        bindListener: (state, hooks) =>
          bindClusterListener(
            {
              core,
              wal,
              logger,
              clusterAddr,
              ...(options.devRootToken === undefined ? {} : { devRootToken: options.devRootToken }),
              ...(acks === undefined ? {} : { acks }),
              ...(options.sharedPort === undefined ? {} : { sharedPort: options.sharedPort }),
            },
            state,
            hooks,
          ),
        startStream: (initial, onState) => {
          const stream = new SecondaryStream({ core, wal, logger, initial, apiAddr, clusterAddr, onState });
          stream.start();
          return stream;
        },
        notifyOldPrimary: (old, epoch) => notifyOldPrimary(old, epoch, log),
        activator: new SecondaryActivator({
          core,
          wal,
          isDev: options.isDev,
          logger,
          ...(preWipeDir === undefined ? {} : { preWipeSnapshot: () => this.snapshots.saveToDir(preWipeDir, 'pre-wipe') }),
        }),
      },
    });
    this.forwarder = new PrimaryForwarder(() => ({ state: this.machine.current, stream: this.machine.stream }));
    this.drTokens = new DrOperationTokens(core);
    core.addLifecycleHook({
      postUnseal: () => this.machine.resume(),
      preSeal: () => (this.drTokens.clear(), this.machine.pauseAll()),
    });
  }

  /** With `dr_synchronous`, a client request's answer waits for a DR secondary's acknowledgement. */
  handleDurably<T>(path: string, run: () => Promise<T>): Promise<T> {
    return this.drSynchronous === undefined ? run() : this.drSynchronous.handle(path, run);
  }

  replicatedWatermark(): number | undefined {
    return this.machine.current.role === 'primary' ? this.options.wal.lastReplicatedWal : undefined;
  }

  walPosition(): { clusterId: string; replicatedWal: number } | undefined {
    const state = this.machine.current;
    if (state.role === 'primary') return { clusterId: state.clusterId, replicatedWal: this.options.wal.lastWal };
    if (state.role === 'secondary') return { clusterId: state.clusterId, replicatedWal: state.lastRemoteWal };
    return undefined;
  }

  mode(): ReplicationMode {
    return this.machine.mode();
  }

  performanceMode(): ReplicationMode {
    return this.machine.isActivating ? 'bootstrapping' : this.machine.roleIn('performance');
  }

  drMode(): ReplicationMode {
    return this.machine.isActivating ? 'bootstrapping' : this.machine.roleIn('dr');
  }

  isDrSecondary(): boolean {
    return this.machine.roleIn('dr') === 'secondary' || (this.machine.isActivating && this.activatingKind === 'dr');
  }

  get current(): ReplicationState {
    return this.machine.current;
  }

  enablePrimary(primaryClusterAddr: string, kind: ReplicationKind = 'performance'): Promise<string[]> {
    return this.machine.enablePrimary(primaryClusterAddr, kind);
  }

  secondaryToken(id: string, ttl: string, kind: ReplicationKind = 'performance'): Promise<WrapInfo> {
    const { core, apiAddr, clusterAddr } = this.options;
    return this.machine.changePrimary((state) => issueSecondaryToken(core, state, { id, ttl, apiAddr, clusterAddr, kind }), kind);
  }

  revokeSecondary(id: string, kind: ReplicationKind = 'performance'): Promise<void> {
    return this.machine.revokeSecondary(id, kind);
  }

  /** Sets (or with undefined removes) a performance secondary's paths filter; its stream then resyncs under the new keyset. */
  setPathsFilter(id: string, filter: PathsFilter | undefined): Promise<void> {
    return this.machine.changePrimary(async (state) => ({ next: withPathsFilter(state, id, filter), result: undefined }), 'performance');
  }

  /** A performance secondary's paths filter (undefined: none). */
  pathsFilter(id: string): PathsFilter | undefined {
    const state = this.machine.current;
    if (state.role !== 'primary') throw invalidRequest('this cluster is not a replication primary');
    return knownPerformanceSecondary(state, id).pathsFilter;
  }

  disablePrimary(kind: ReplicationKind = 'performance'): Promise<string[]> {
    return this.machine.disablePrimary(kind);
  }

  /**
   * `preWipeSnapshot`: the request's `pre_wipe_snapshot` flag (undefined: save one when a folder is
   * configured; true: require it; false: skip it for this activation).
   */
  async enableSecondary(
    token: string,
    primaryApiAddr: string,
    trust: TrustOptions,
    preWipeSnapshot?: boolean,
    kind: ReplicationKind = 'performance',
  ): Promise<string[]> {
    if (preWipeSnapshot === true && this.options.preWipeSnapshotDir === undefined) {
      return Promise.reject(
        invalidRequest('pre_wipe_snapshot needs a folder for snapshots: set replication { pre_wipe_snapshot_dir = "…" } in the server config'),
      );
    }
    this.activatingKind = kind;
    try {
      return await this.machine.enableSecondary(token, primaryApiAddr, trust, preWipeSnapshot === undefined ? {} : { preWipeSnapshot }, kind);
    } finally {
      this.activatingKind = 'performance';
    }
  }

  disableSecondary(kind: ReplicationKind = 'performance'): Promise<string[]> {
    if (kind === 'dr') this.drTokens.clear();
    return this.machine.disableSecondary(kind);
  }

  demotePrimary(kind: ReplicationKind = 'performance'): Promise<string[]> {
    return this.machine.demotePrimary(kind);
  }

  /**
   * A promoted DR secondary takes over its primary's tokens and leases: the token store and the
   * expiration manager load them afresh, so clients' tokens work and leases are renewed and
   * revoked here (a DR secondary revoked nothing while it followed).
   */
  async promoteSecondary(primaryClusterAddr: string, force: boolean, kind: ReplicationKind = 'performance'): Promise<string[]> {
    const warnings = await this.machine.promoteSecondary(primaryClusterAddr, force, kind);
    if (kind === 'dr') {
      const { core } = this.options;
      this.drTokens.clear();
      core.tokens.unload();
      await core.tokens.load();
      await core.expiration.stop();
      await core.expiration.start();
    }
    return warnings;
  }

  updatePrimary(token: string, primaryApiAddr: string, trust: TrustOptions, kind: ReplicationKind = 'performance'): Promise<string[]> {
    return this.machine.updatePrimary(token, primaryApiAddr, trust, kind);
  }

  reindex(): Promise<string[]> {
    return this.machine.reindex();
  }

  recover(): Promise<string[]> {
    return this.machine.recover();
  }

  filteredMounts(): ReadonlySet<string> {
    const state = this.machine.current;
    if (state.role !== 'secondary') return new Set();
    return this.machine.stream?.filteredMounts ?? new Set(state.filteredMounts ?? []);
  }

  /** A first login's entity, made by the primary (see PrimaryForwarder.createLoginEntity). */
  createLoginEntity(alias: LoginAlias): Promise<string | undefined> {
    return this.forwarder.createLoginEntity(alias);
  }

  /** Forwards a secondary's write of replicated state to its primary (see PrimaryForwarder). */
  forward(req: LogicalRequest): Promise<ForwardedResult> {
    return this.forwarder.forward(req);
  }

  /** The body of `sys/replication/<kind>/status`. */
  status(kind: ReplicationKind = 'performance'): Record<string, unknown> {
    return replicationStatus(this.snapshot(), kind);
  }

  metrics(): string {
    return replicationMetrics(this.snapshot()) + eventLoopDelay.metrics() + (this.drSynchronous?.metrics() ?? '');
  }

  private snapshot(): ReplicationSnapshot {
    return {
      state: this.machine.current,
      relay: this.machine.relay.current,
      relayConnections: this.machine.relay.listener?.connections,
      isActivating: this.machine.isActivating,
      connections: this.machine.listener?.connections,
      stream: this.machine.stream,
      wal: this.options.wal,
      forwardedRequests: this.forwarder.forwardedRequests,
      keysetOf: (secondary) => keysetOf(secondary, this.options.core),
    };
  }
}
