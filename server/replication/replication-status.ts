import type { SecondaryConnection } from './cluster-server.js';
import { isDetached, type ReplicationState } from './replication-state.js';
import type { SecondaryStream } from './secondary-stream.js';
import type { WalStorage } from './wal-storage.js';

/** What status and metrics read of a cluster's replication at one moment. */
export interface ReplicationSnapshot {
  readonly state: ReplicationState;
  readonly isActivating: boolean;
  /** The primary's view of its secondaries' connections (absent unless primary). */
  readonly connections: ReadonlyMap<string, SecondaryConnection> | undefined;
  /** The secondary's stream (absent unless a secondary follows a primary). */
  readonly stream: SecondaryStream | undefined;
  readonly wal: Pick<WalStorage, 'lastWal' | 'oldestRetainedWal' | 'merkle'>;
  /** Requests this secondary forwarded to its primary. */
  readonly forwardedRequests: number;
}

/** The body of `sys/replication/performance/status`, shaped as Vault's. */
export function replicationStatus(snapshot: ReplicationSnapshot): Record<string, unknown> {
  const { state, wal } = snapshot;
  if (snapshot.isActivating) return { mode: 'bootstrapping', state: 'bootstrapping' };
  if (state.role === 'primary') {
    const conns = snapshot.connections ?? new Map<string, SecondaryConnection>();
    return {
      mode: 'primary',
      cluster_id: state.clusterId,
      known_secondaries: Object.keys(state.secondaries).sort(),
      secondaries: Object.keys(state.secondaries)
        .sort()
        .map((id) => {
          const c = conns.get(id);
          return {
            node_id: id,
            api_address: c?.apiAddress ?? '',
            cluster_address: c?.clusterAddress ?? '',
            connection_status: c?.connected ? 'connected' : 'disconnected',
            last_heartbeat: c?.lastHeartbeat ?? '',
          };
        }),
      last_wal: wal.lastWal,
      last_performance_wal: wal.lastWal,
      merkle_root: wal.merkle.root(),
      primary_cluster_addr: state.primaryClusterAddr,
      state: 'running',
      epoch: state.epoch,
    };
  }
  if (state.role === 'secondary') {
    const s = snapshot.stream;
    return {
      mode: 'secondary',
      cluster_id: state.clusterId,
      secondary_id: state.secondaryId,
      known_primary_cluster_addrs: isDetached(state) ? [] : [state.primaryClusterAddr],
      primary_cluster_addr: state.primaryClusterAddr,
      primaries: [
        {
          api_address: state.primaryApiAddr,
          cluster_address: state.primaryClusterAddr,
          connection_status: s?.isConnected ? 'connected' : 'disconnected',
          last_heartbeat: s?.lastHeartbeat ?? '',
        },
      ],
      last_remote_wal: state.lastRemoteWal,
      merkle_root: wal.merkle.root(),
      state: s?.streamState ?? 'idle',
      connection_state: isDetached(state) ? 'shutdown' : s?.isConnected ? 'ready' : 'transient_failure',
      ...(state.fencedByEpoch === undefined ? {} : { fenced_by_epoch: state.fencedByEpoch }),
      epoch: state.epoch,
      ...(s?.syncProgress ? { merkle_sync_progress: s.syncProgress } : {}),
      // What the last Merkle resync fetched from the primary (zeros until one has run).
      merkle_sync_last: { keys: s?.lastResyncKeys ?? 0, bytes: s?.lastResyncBytes ?? 0, duration_ms: s?.lastResyncMs ?? 0 },
    };
  }
  return { mode: 'disabled' };
}
