import type { Logger } from 'pino';
import type { Core } from '../core/core.js';
import type { LogicalRequest, WrapInfo } from '../core/logical.js';
import type { LoginAlias, ReplicationMode, ReplicationView } from '../core/replication-role.js';
import { invalidRequest } from '../core/vault-error.js';
import type { TrustOptions } from './activation-client.js';
import { bindClusterListener } from './cluster-listener.js';
import type { SharedClusterPort } from './cluster-port.js';
import type { ClusterServer } from './cluster-server.js';
import { notifyOldPrimary } from './fence-notifier.js';
import { PrimaryForwarder, type ForwardedResult } from './primary-forwarder.js';
import { replicationMetrics } from './replication-metrics.js';
import { loadReplicationState, saveReplicationState, type ReplicationState } from './replication-state.js';
import { ReplicationStateMachine } from './replication-state-machine.js';
import { replicationStatus, type ReplicationSnapshot } from './replication-status.js';
import { SecondaryActivator } from './secondary-activator.js';
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
  /** Snapshot save and restore (`sys/storage/raft/snapshot`), aware of this cluster's role. */
  readonly snapshots: SnapshotManager;

  constructor(readonly options: ReplicationOptions) {
    const { core, wal, logger, apiAddr, clusterAddr } = options;
    const log = logger.child({ module: 'replication' });
    this.snapshots = new SnapshotManager({ core, wal, logger, state: () => this.machine.current, exclusive: (job) => this.machine.exclusive(job) });
    const preWipeDir = options.preWipeSnapshotDir;
    this.machine = new ReplicationStateMachine<ClusterServer, SecondaryStream>({
      logger,
      clusterAddr,
      ports: {
        store: { load: () => loadReplicationState(core.barrier), save: (next) => saveReplicationState(core.barrier, wal, next) },
        wal,
        bindListener: (state, hooks) =>
          bindClusterListener(
            {
              core,
              wal,
              logger,
              clusterAddr,
              ...(options.devRootToken === undefined ? {} : { devRootToken: options.devRootToken }),
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
    core.addLifecycleHook({ postUnseal: () => this.machine.resume(), preSeal: () => this.machine.pause() });
  }

  mode(): ReplicationMode {
    return this.machine.mode();
  }

  get current(): ReplicationState {
    return this.machine.current;
  }

  enablePrimary(primaryClusterAddr: string): Promise<string[]> {
    return this.machine.enablePrimary(primaryClusterAddr);
  }

  secondaryToken(id: string, ttl: string): Promise<WrapInfo> {
    const { core, apiAddr, clusterAddr } = this.options;
    return this.machine.changePrimary((state) => issueSecondaryToken(core, state, { id, ttl, apiAddr, clusterAddr }));
  }

  revokeSecondary(id: string): Promise<void> {
    return this.machine.revokeSecondary(id);
  }

  disablePrimary(): Promise<string[]> {
    return this.machine.disablePrimary();
  }

  /**
   * `preWipeSnapshot`: the request's `pre_wipe_snapshot` flag (undefined: save one when a folder is
   * configured; true: require it; false: skip it for this activation).
   */
  enableSecondary(token: string, primaryApiAddr: string, trust: TrustOptions, preWipeSnapshot?: boolean): Promise<string[]> {
    if (preWipeSnapshot === true && this.options.preWipeSnapshotDir === undefined) {
      return Promise.reject(
        invalidRequest('pre_wipe_snapshot needs a folder for snapshots: set replication { pre_wipe_snapshot_dir = "…" } in the server config'),
      );
    }
    return this.machine.enableSecondary(token, primaryApiAddr, trust, preWipeSnapshot === undefined ? {} : { preWipeSnapshot });
  }

  disableSecondary(): Promise<string[]> {
    return this.machine.disableSecondary();
  }

  demotePrimary(): Promise<string[]> {
    return this.machine.demotePrimary();
  }

  promoteSecondary(primaryClusterAddr: string, force: boolean): Promise<string[]> {
    return this.machine.promoteSecondary(primaryClusterAddr, force);
  }

  updatePrimary(token: string, primaryApiAddr: string, trust: TrustOptions): Promise<string[]> {
    return this.machine.updatePrimary(token, primaryApiAddr, trust);
  }

  reindex(): Promise<string[]> {
    return this.machine.reindex();
  }

  recover(): Promise<string[]> {
    return this.machine.recover();
  }

  /** A first login's entity, made by the primary (see PrimaryForwarder.createLoginEntity). */
  createLoginEntity(alias: LoginAlias): Promise<string | undefined> {
    return this.forwarder.createLoginEntity(alias);
  }

  /** Forwards a secondary's write of replicated state to its primary (see PrimaryForwarder). */
  forward(req: LogicalRequest): Promise<ForwardedResult> {
    return this.forwarder.forward(req);
  }

  status(): Record<string, unknown> {
    return replicationStatus(this.snapshot());
  }

  metrics(): string {
    return replicationMetrics(this.snapshot());
  }

  private snapshot(): ReplicationSnapshot {
    return {
      state: this.machine.current,
      isActivating: this.machine.isActivating,
      connections: this.machine.listener?.connections,
      stream: this.machine.stream,
      wal: this.options.wal,
      forwardedRequests: this.forwarder.forwardedRequests,
    };
  }
}
