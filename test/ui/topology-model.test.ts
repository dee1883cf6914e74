import { expect } from 'chai';
import { linkLabel } from '../../ui/link-label.js';
import type { ReplicationStatusResponse } from '../../ui/replication-status.js';
import { buildTopology, peerAddressesOf, type PeerStatus } from '../../ui/topology-model.js';

const NOW = Date.parse('2026-01-01T00:01:00.000Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();

const primary: ReplicationStatusResponse = {
  mode: 'primary',
  cluster_id: 'c0ffee00-1111-2222-3333-444455556666',
  known_secondaries: ['s1', 's2', 's3'],
  secondaries: [
    { node_id: 's1', api_address: 'http://127.0.0.1:9101', connection_status: 'connected', last_heartbeat: ago(800), last_streamed_wal: 100 },
    { node_id: 's2', api_address: 'http://127.0.0.1:9102', connection_status: 'connected', last_heartbeat: ago(6_000), last_streamed_wal: 40 },
  ],
  last_wal: 100,
  merkle_root: 'root-a',
  epoch: 1,
  dr: { mode: 'disabled' },
};

const secondaryOf = (over: Partial<ReplicationStatusResponse>): ReplicationStatusResponse => ({
  mode: 'secondary',
  state: 'stream-wals',
  last_remote_wal: 100,
  merkle_root: 'root-a',
  connection_state: 'ready',
  ...over,
});

describe('dashboard topology model', () => {
  it('reads the secondaries and primaries to ask for their own status', () => {
    expect(peerAddressesOf(primary)).to.deep.equal(['http://127.0.0.1:9101', 'http://127.0.0.1:9102']);
    expect(peerAddressesOf(secondaryOf({ primaries: [{ api_address: 'http://127.0.0.1:9100' }] }))).to.deep.equal(['http://127.0.0.1:9100']);
  });

  it('on a primary: one link per known secondary, with the state the secondary reports and its lag', () => {
    const peers = new Map<string, PeerStatus>([
      ['http://127.0.0.1:9101', secondaryOf({ state: 'merkle-sync', merkle_sync_progress: { sync_total_keys: 50, sync_progress: 20 }, last_remote_wal: 97 })],
      ['http://127.0.0.1:9102', 'unreachable'],
    ]);
    const t = buildTopology({ status: primary, peers, selfApiAddr: 'http://127.0.0.1:9100', nowMs: NOW });
    expect(t.roles).to.deep.equal(['performance primary']);
    expect(t.columns).to.deep.equal([['self'], ['performance:s1', 'performance:s2', 'performance:s3']]);
    const [s1, s2, s3] = t.links;
    expect(s1).to.include({ secondaryId: 's1', state: 'merkle-sync', walLag: 3, isBehind: false });
    expect(s1?.syncProgress).to.deep.equal({ done: 20, total: 50 });
    // Not answering: judged by what the primary sees (still connected, but a stale heartbeat and 60 entries short).
    expect(s2).to.include({ secondaryId: 's2', state: 'stream-wals', walLag: 60, isBehind: true });
    expect(t.nodes.get('performance:s2')?.isUnreachable).to.equal(true);
    // Known but never connected: connecting, behind.
    expect(s3).to.include({ secondaryId: 's3', state: 'connecting', walLag: undefined, isBehind: true });
  });

  it('compares Merkle roots with the primary and marks in sync only when equal and caught up', () => {
    const peers = new Map<string, PeerStatus>([
      ['http://127.0.0.1:9101', secondaryOf({})],
      ['http://127.0.0.1:9102', secondaryOf({ merkle_root: 'root-b', last_remote_wal: 100 })],
    ]);
    const t = buildTopology({ status: primary, peers, selfApiAddr: '', nowMs: NOW });
    expect(t.primaryMerkleRoot).to.equal('root-a');
    expect(t.merkle.map((m) => [m.name, m.root, m.isInSync])).to.deep.equal([
      ['s1', 'root-a', true],
      ['s2', 'root-b', false],
      ['s3', undefined, false],
    ]);
  });

  it('on a secondary: its primary on the left, the link in its own state, lag against the primary it read', () => {
    const status = secondaryOf({
      secondary_id: 's1',
      last_remote_wal: 90,
      primaries: [{ api_address: 'http://127.0.0.1:9100', connection_status: 'connected', last_heartbeat: ago(500) }],
    });
    const peers = new Map<string, PeerStatus>([['http://127.0.0.1:9100', primary]]);
    const t = buildTopology({ status, peers, selfApiAddr: 'http://127.0.0.1:9101', nowMs: NOW });
    expect(t.roles).to.deep.equal(['performance secondary']);
    expect(t.columns).to.deep.equal([['performance:primary'], ['self']]);
    expect(t.links[0]).to.include({ from: 'performance:primary', to: 'self', state: 'stream-wals', walLag: 10, heartbeatAgeMs: 500, isBehind: false });
    expect(t.merkle[0]).to.include({ name: 'this cluster', isInSync: false });
  });

  it('shows a demoted or fenced primary (a secondary following nobody) as detached, with no link', () => {
    const status = secondaryOf({
      connection_state: 'shutdown',
      fenced_by_epoch: 3,
      primaries: [{ api_address: '', connection_status: 'disconnected' }],
      primary_cluster_addr: 'https://x:1',
    });
    const t = buildTopology({ status, peers: new Map(), selfApiAddr: '', nowMs: NOW });
    expect(t.roles).to.deep.equal(['performance secondary (detached: follows no primary, fenced by epoch 3)']);
    expect(t.links).to.deep.equal([]);
    expect(t.columns).to.deep.equal([['self']]);
  });

  it('alone when replication is disabled; DR and HA roles when the server reports them', () => {
    expect(buildTopology({ status: { mode: 'disabled' }, peers: new Map(), selfApiAddr: '', nowMs: NOW })).to.deep.include({
      roles: ['replication disabled'],
      columns: [['self']],
      links: [],
    });
    const status: ReplicationStatusResponse = {
      mode: 'disabled',
      performance: { mode: 'disabled' },
      dr: {
        mode: 'primary',
        known_secondaries: ['dr1'],
        secondaries: [{ node_id: 'dr1', connection_status: 'connected', last_heartbeat: ago(100) }],
        last_wal: 5,
      },
    };
    const ha = {
      nodes: [
        { hostname: 'a', api_address: 'http://a:8200', active_node: true },
        { hostname: 'b', api_address: 'http://b:8200', active_node: false, last_echo: ago(1000) },
      ],
    };
    const t = buildTopology({ status, peers: new Map(), ha, selfApiAddr: 'http://a:8200', nowMs: NOW });
    expect(t.roles).to.deep.equal(['DR primary', 'HA active']);
    expect(t.columns).to.deep.equal([['self', 'ha:b'], ['dr:dr1']]);
    expect(t.links.map((l) => [l.kind, l.to, l.state])).to.deep.equal([
      ['dr', 'dr:dr1', 'stream-wals'],
      ['ha', 'ha:b', 'standby'],
    ]);
  });

  it('on an HA standby: draws the active node and the edges from it, this node among the standbys', () => {
    const ha = {
      nodes: [
        { hostname: 'a', api_address: 'http://a:8200', active_node: true },
        { hostname: 'b', api_address: 'http://b:8200', active_node: false, last_echo: ago(1000) },
        { hostname: 'c', api_address: 'http://c:8200', active_node: false, last_echo: ago(2000) },
      ],
    };
    const t = buildTopology({ status: { mode: 'disabled' }, peers: new Map(), ha, selfApiAddr: 'http://b:8200', nowMs: NOW });
    expect(t.roles).to.deep.equal(['replication disabled', 'HA standby']);
    expect(t.columns).to.deep.equal([['self', 'ha:a', 'ha:c']]);
    expect(t.nodes.get('ha:a')?.lines).to.deep.equal(['http://a:8200', 'HA active']);
    expect(t.links.map((l) => [l.from, l.to, l.heartbeatAgeMs])).to.deep.equal([
      ['ha:a', 'self', 1000],
      ['ha:a', 'ha:c', 2000],
    ]);
  });

  it('labels links with state, WAL lag, heartbeat age and resync progress', () => {
    const t = buildTopology({
      status: primary,
      peers: new Map<string, PeerStatus>([
        ['http://127.0.0.1:9101', secondaryOf({ state: 'merkle-sync', merkle_sync_progress: { sync_total_keys: 8, sync_progress: 2 } })],
      ]),
      selfApiAddr: '',
      nowMs: NOW,
    });
    expect(linkLabel(t.links[0] as (typeof t.links)[0])).to.deep.equal({ state: 'merkle-sync', detail: 'lag 0 WAL · heartbeat 0.8 s ago · resync 2/8 keys' });
    expect(linkLabel(t.links[1] as (typeof t.links)[0]).state).to.equal('stream-wals · behind');
  });
});
