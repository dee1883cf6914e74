import type { SecondaryConnection } from './cluster-server.js';
import { DR_KEYSET, performanceKeyset, type Keyset } from './keyset.js';
import { isDetached, kindOf, roleFor, type KnownSecondary, type PrimaryState, type ReplicationKind, type ReplicationState } from './replication-state.js';
import type { SecondaryStream } from './secondary-stream.js';
import type { WalStorage } from './wal-storage.js';

/** What status and metrics read of a cluster's replication at one moment. */
export interface ReplicationSnapshot {
  readonly state: ReplicationState;
  /** A performance secondary's DR primary role (combined topology) and its listener's connections. */
  readonly relay?: PrimaryState | undefined;
  readonly relayConnections?: ReadonlyMap<string, SecondaryConnection> | undefined;
  readonly isActivating: boolean;
  /** The primary's view of its secondaries' connections (absent unless primary). */
  readonly connections: ReadonlyMap<string, SecondaryConnection> | undefined;
  /** The secondary's stream (absent unless a secondary follows a primary). */
  readonly stream: SecondaryStream | undefined;
  readonly wal: Pick<WalStorage, 'lastWal' | 'oldestRetainedWal' | 'merkle'>;
  /** Requests this secondary forwarded to its primary. */
  readonly forwardedRequests: number;
  /** A known secondary's keyset now (its kind and paths filter); unfiltered performance when absent. */
  readonly keysetOf?: (secondary: KnownSecondary) => Keyset;
}

/** The body of `sys/replication/performance/status`, shaped as Vault's. */
export function replicationStatus(snapshot: ReplicationSnapshot, kind: ReplicationKind = 'performance'): Record<string, unknown> {
  if (kind === 'dr' && snapshot.relay !== undefined) {
    return replicationStatus({ ...snapshot, state: snapshot.relay, relay: undefined, connections: snapshot.relayConnections }, kind);
  }
  const { state, wal } = snapshot;
  if (snapshot.isActivating) return { mode: 'bootstrapping', state: 'bootstrapping' };
  if (roleFor(state, kind) === 'disabled') return { mode: 'disabled' };
  // The root of what this replication type carries: a DR secondary's equals its primary's DR root.
  const keyset = kind === 'dr' ? DR_KEYSET : performanceKeyset();
  if (state.role === 'primary') {
    const conns = snapshot.connections ?? new Map<string, SecondaryConnection>();
    const ids = Object.keys(state.secondaries)
      .filter((id) => kindOf(state.secondaries[id] as KnownSecondary) === kind)
      .sort();
    return {
      mode: 'primary',
      cluster_id: state.clusterId,
      known_secondaries: ids,
      secondaries: ids.map((id) => {
        const c = conns.get(id);
        const known = state.secondaries[id] as KnownSecondary;
        return {
          node_id: id,
          api_address: c?.apiAddress ?? '',
          cluster_address: c?.clusterAddress ?? '',
          connection_status: c?.connected ? 'connected' : 'disconnected',
          last_heartbeat: c?.lastHeartbeat ?? '',
          // The last WAL index written to this secondary's stream (what lag is measured against).
          last_streamed_wal: c?.lastAckedWal ?? 0,
          kind: known.kind ?? 'performance',
          // The root of what this secondary receives: equal to its own merkle_root once in sync.
          merkle_root: wal.merkle.root(snapshot.keysetOf?.(known) ?? performanceKeyset()),
          ...(known.pathsFilter === undefined ? {} : { paths_filter: { mode: known.pathsFilter.mode, paths: [...known.pathsFilter.paths] } }),
        };
      }),
      last_wal: wal.lastWal,
      [kind === 'dr' ? 'last_dr_wal' : 'last_performance_wal']: wal.lastWal,
      merkle_root: wal.merkle.root(keyset),
      primary_cluster_addr: state.primaryClusterAddr,
      state: 'running',
      epoch: state.epoch,
    };
  }
  if (state.role === 'secondary') {
    const s = snapshot.stream;
    // The node dialled now (HA: whichever is active), else the one the activation named.
    const primaryClusterAddr = s?.primaryClusterAddr ?? state.primaryClusterAddr;
    const known = state.knownPrimaryClusterAddrs ?? [];
    return {
      mode: 'secondary',
      cluster_id: state.clusterId,
      secondary_id: state.secondaryId,
      known_primary_cluster_addrs: isDetached(state) ? [] : known.length > 0 ? known : [state.primaryClusterAddr],
      primary_cluster_addr: primaryClusterAddr,
      primaries: [
        {
          api_address: state.primaryApiAddr,
          cluster_address: primaryClusterAddr,
          connection_status: s?.isConnected ? 'connected' : 'disconnected',
          last_heartbeat: s?.lastHeartbeat ?? '',
        },
      ],
      last_remote_wal: state.lastRemoteWal,
      merkle_root: wal.merkle.root(keyset),
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
