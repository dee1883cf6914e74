import { performanceKeyset } from './keyset.js';
import type { ReplicationSnapshot } from './replication-status.js';

/** Prometheus text exposition of the replication gauges and counters. */
export function replicationMetrics(snapshot: ReplicationSnapshot): string {
  const lines: string[] = [];
  const gauge = (name: string, help: string, value: number, type = 'gauge') =>
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value}`);
  const { state, wal } = snapshot;
  const role = state.role;
  gauge('ferry_replication_mode', 'Replication mode: 0 disabled, 1 primary, 2 secondary', role === 'primary' ? 1 : role === 'secondary' ? 2 : 0);
  gauge('ferry_replication_epoch', 'Replication fencing epoch', state.role === 'disabled' ? 0 : state.epoch);
  gauge('ferry_replication_merkle_keys', 'Replicated keys in the Merkle index', wal.merkle.size(performanceKeyset()));
  if (state.role === 'primary') {
    const conns = [...(snapshot.connections?.values() ?? [])];
    gauge('ferry_replication_last_wal', 'Last WAL index written by this primary', wal.lastWal);
    gauge('ferry_replication_oldest_retained_wal', 'Oldest WAL index still retained', wal.oldestRetainedWal);
    gauge('ferry_replication_known_secondaries', 'Secondaries with a token issued and not revoked', Object.keys(state.secondaries).length);
    gauge('ferry_replication_connected_secondaries', 'Secondaries streaming now', conns.filter((c) => c.connected).length);
    gauge(
      'ferry_replication_open_streams',
      'WAL stream loops running on this primary (each with its timers)',
      conns.reduce((a, c) => a + c.openStreams, 0),
    );
    gauge(
      'ferry_replication_bytes_streamed_total',
      'Bytes of WAL stream sent to secondaries',
      conns.reduce((a, c) => a + c.bytesStreamed, 0),
      'counter',
    );
    gauge(
      'ferry_replication_stream_chunks_total',
      'Chunks of WAL entries written to secondaries',
      conns.reduce((a, c) => a + c.chunksStreamed, 0),
      'counter',
    );
    for (const c of conns) lines.push(`ferry_replication_secondary_lag_entries{secondary_id="${c.id}"} ${Math.max(0, wal.lastWal - c.lastAckedWal)}`);
  } else if (state.role === 'secondary') {
    const s = snapshot.stream;
    gauge('ferry_replication_last_remote_wal', 'Last WAL index applied from the primary', state.lastRemoteWal);
    gauge('ferry_replication_lag_entries', "WAL entries behind the primary's last heartbeat", Math.max(0, (s?.primaryLastWal ?? 0) - state.lastRemoteWal));
    gauge('ferry_replication_connected', '1 when streaming from the primary', s?.isConnected ? 1 : 0);
    gauge('ferry_replication_bytes_received_total', 'Bytes of WAL stream received', s?.bytesReceived ?? 0, 'counter');
    gauge('ferry_replication_applies_total', 'Transactions that applied streamed WAL entries', s?.appliesTotal ?? 0, 'counter');
    gauge('ferry_replication_applied_entries_total', 'Streamed WAL entries applied', s?.appliedEntriesTotal ?? 0, 'counter');
    gauge('ferry_replication_forwarded_requests_total', 'Requests forwarded to the primary', snapshot.forwardedRequests, 'counter');
    gauge('ferry_replication_merkle_sync_total_keys', 'Keys to fetch in the running Merkle sync', s?.syncProgress?.sync_total_keys ?? 0);
    gauge('ferry_replication_merkle_sync_progress_keys', 'Keys fetched so far in the running Merkle sync', s?.syncProgress?.sync_progress ?? 0);
  }
  return lines.join('\n') + '\n';
}
