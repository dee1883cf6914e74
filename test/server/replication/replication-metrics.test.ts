import { expect } from 'chai';
import type { SecondaryConnection } from '../../../server/replication/cluster-server.js';
import { replicationMetrics } from '../../../server/replication/replication-metrics.js';
import type { ReplicationSnapshot } from '../../../server/replication/replication-status.js';
import type { SecondaryStream } from '../../../server/replication/secondary-stream.js';

const wal = { lastWal: 120, oldestRetainedWal: 1, merkle: { size: () => 7 } } as unknown as ReplicationSnapshot['wal'];

function connection(id: string, chunksStreamed: number): SecondaryConnection {
  return { id, connected: true, lastHeartbeat: '', apiAddress: '', clusterAddress: '', lastAckedWal: 100, bytesStreamed: 10, chunksStreamed, openStreams: 1 };
}

const value = (text: string, name: string): number => Number((new RegExp(`^${name} (\\S+)$`, 'm').exec(text) ?? [])[1]);

describe('replicationMetrics', () => {
  it("counts a primary's chunks of WAL entries over its secondaries", () => {
    const snapshot = {
      state: { role: 'primary', epoch: 1, secondaries: {} },
      isActivating: false,
      connections: new Map([
        ['dc2', connection('dc2', 5)],
        ['dc3', connection('dc3', 7)],
      ]),
      stream: undefined,
      wal,
      forwardedRequests: 0,
    } as unknown as ReplicationSnapshot;
    expect(value(replicationMetrics(snapshot), 'ferry_replication_stream_chunks_total')).to.equal(12);
  });

  it("counts a secondary's applies and the WAL entries they carried", () => {
    const stream = { isConnected: true, primaryLastWal: 130, bytesReceived: 0, appliesTotal: 4, appliedEntriesTotal: 93 } as unknown as SecondaryStream;
    const snapshot = {
      state: { role: 'secondary', epoch: 1, lastRemoteWal: 120 },
      isActivating: false,
      connections: undefined,
      stream,
      wal,
      forwardedRequests: 0,
    } as unknown as ReplicationSnapshot;
    const text = replicationMetrics(snapshot);
    expect(value(text, 'ferry_replication_applies_total')).to.equal(4);
    expect(value(text, 'ferry_replication_applied_entries_total')).to.equal(93);
    expect(text).to.include('# TYPE ferry_replication_applies_total counter');
  });
});
