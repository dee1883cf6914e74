import { heartbeatAgeOf, isBehind, walLagOf } from './lag-history.js';
import { performanceStatusOf, type ClusterReplicationStatus, type HaStatusResponse, type ReplicationStatusResponse } from './replication-status.js';

/** A peer cluster's own status, fetched from its API address; `unreachable` when it did not answer. */
export type PeerStatus = ReplicationStatusResponse | 'unreachable';

/** One cluster (or HA node) drawn in the graph. */
export interface TopologyNode {
  readonly id: string;
  readonly title: string;
  readonly lines: readonly string[];
  readonly isSelf: boolean;
  /** This node's API did not answer the status read (its link is judged from the other side). */
  readonly isUnreachable: boolean;
}

/** A replication link from a primary to one secondary (or from an HA active to a standby). */
export interface TopologyLink {
  readonly from: string;
  readonly to: string;
  readonly kind: 'performance' | 'dr' | 'ha';
  /** The secondary's id at its primary (the name revoke-secondary takes). */
  readonly secondaryId: string;
  /** `stream-wals`, `merkle-diff`, `merkle-sync`, `connecting`, … (`standby` for HA). */
  readonly state: string;
  readonly walLag: number | undefined;
  readonly heartbeatAgeMs: number | undefined;
  readonly isBehind: boolean;
  readonly syncProgress: { readonly done: number; readonly total: number } | undefined;
}

/** A Merkle root beside the primary's. */
export interface MerkleRow {
  readonly name: string;
  readonly root: string | undefined;
  readonly isInSync: boolean;
}

export interface Topology {
  /** This cluster's roles, most important first (`performance primary`, `DR secondary`, `HA active`…). */
  readonly roles: readonly string[];
  readonly clusterId: string | undefined;
  /** Columns left to right: primaries, then secondaries. */
  readonly columns: readonly (readonly string[])[];
  readonly nodes: ReadonlyMap<string, TopologyNode>;
  readonly links: readonly TopologyLink[];
  readonly primaryMerkleRoot: string | undefined;
  readonly merkle: readonly MerkleRow[];
}

export interface TopologyInput {
  readonly status: ReplicationStatusResponse;
  /** Peers' own status by API address. */
  readonly peers: ReadonlyMap<string, PeerStatus>;
  readonly ha?: HaStatusResponse | undefined;
  /** This node's API address (to tell the HA active from its standbys). */
  readonly selfApiAddr: string;
  readonly nowMs: number;
}

const SELF = 'self';

function short(id: string | undefined): string {
  return id === undefined || id === '' ? '' : id.length > 12 ? `${id.slice(0, 8)}…` : id;
}

function peerOf(peers: ReadonlyMap<string, PeerStatus>, addr: string | undefined): PeerStatus | undefined {
  return addr === undefined || addr === '' ? undefined : peers.get(addr);
}

function progressOf(s: ClusterReplicationStatus | undefined): TopologyLink['syncProgress'] {
  const p = s?.merkle_sync_progress;
  if (p?.sync_total_keys === undefined || p.sync_total_keys <= 0) return undefined;
  return { done: p.sync_progress ?? 0, total: p.sync_total_keys };
}

/** Every API address the page should read a status from: the secondaries or the primary of this cluster. */
export function peerAddressesOf(status: ReplicationStatusResponse): string[] {
  const addrs = new Set<string>();
  for (const part of [performanceStatusOf(status), status.dr]) {
    for (const s of part?.secondaries ?? []) if (s.api_address) addrs.add(s.api_address);
    for (const p of part?.primaries ?? []) if (p.api_address) addrs.add(p.api_address);
  }
  return [...addrs].sort();
}

/**
 * The graph of this cluster and the clusters it replicates with, from its own status, its peers'
 * statuses and its HA status. Where a peer does not answer, its link is judged by what this
 * cluster sees of it (connection, heartbeat, the last WAL streamed to it).
 */
export function buildTopology(input: TopologyInput): Topology {
  const perf = performanceStatusOf(input.status);
  const nodes = new Map<string, TopologyNode>();
  const links: TopologyLink[] = [];
  const merkle: MerkleRow[] = [];
  const left: string[] = [];
  const right: string[] = [];
  const roles: string[] = [];
  let primaryMerkleRoot: string | undefined;

  const selfLines: string[] = [];
  if (perf.cluster_id) selfLines.push(`cluster ${short(perf.cluster_id)}`);
  if (perf.last_wal !== undefined) selfLines.push(`last WAL ${perf.last_wal}`);
  if (perf.last_remote_wal !== undefined) selfLines.push(`last remote WAL ${perf.last_remote_wal}`);
  if (perf.epoch !== undefined) selfLines.push(`epoch ${perf.epoch}`);

  for (const [kind, part] of [
    ['performance', perf],
    ['dr', input.status.dr],
  ] as const) {
    if (part === undefined || part.mode === 'disabled') continue;
    const label = kind === 'performance' ? 'performance' : 'DR';
    const isDetached = part.mode === 'secondary' && part.connection_state === 'shutdown';
    // A demoted (or fenced) primary is a secondary that follows nobody: no link to draw.
    roles.push(
      part.mode === 'bootstrapping'
        ? `${label} secondary (bootstrapping)`
        : isDetached
          ? `${label} secondary (detached: follows no primary${part.fenced_by_epoch === undefined ? '' : `, fenced by epoch ${part.fenced_by_epoch}`})`
          : `${label} ${part.mode}`,
    );
    if (isDetached) continue;
    if (part.mode === 'primary') {
      primaryMerkleRoot ??= part.merkle_root;
      const known = new Set(part.known_secondaries ?? []);
      const entries = [...(part.secondaries ?? [])];
      for (const id of known) if (!entries.some((e) => e.node_id === id)) entries.push({ node_id: id });
      for (const entry of entries.sort((a, b) => a.node_id.localeCompare(b.node_id))) {
        const id = `${kind}:${entry.node_id}`;
        const peer = peerOf(input.peers, entry.api_address);
        const own = peer !== undefined && peer !== 'unreachable' ? (kind === 'dr' ? peer.dr : performanceStatusOf(peer)) : undefined;
        const connected = entry.connection_status === 'connected';
        const state = own?.mode === 'secondary' && own.state ? own.state : connected ? 'stream-wals' : 'connecting';
        const walLag = walLagOf(part.last_wal, own?.last_remote_wal ?? entry.last_streamed_wal);
        const heartbeatAgeMs = heartbeatAgeOf(entry.last_heartbeat, input.nowMs);
        const sample = { walLag, heartbeatAgeMs };
        links.push({
          from: SELF,
          to: id,
          kind,
          secondaryId: entry.node_id,
          state,
          walLag,
          heartbeatAgeMs,
          isBehind: !connected || isBehind(sample),
          syncProgress: progressOf(own),
        });
        const lines = [
          entry.api_address ?? '',
          `${label} secondary`,
          own?.last_remote_wal === undefined ? '' : `last remote WAL ${own.last_remote_wal}`,
        ].filter((l) => l !== '');
        nodes.set(id, { id, title: entry.node_id, lines, isSelf: false, isUnreachable: peer === 'unreachable' });
        right.push(id);
        merkle.push({
          name: entry.node_id,
          root: own?.merkle_root,
          isInSync: own?.merkle_root !== undefined && own.merkle_root === part.merkle_root && walLag === 0,
        });
      }
    } else if (part.mode === 'secondary') {
      const primary = part.primaries?.[0];
      const id = `${kind}:primary`;
      const peer = peerOf(input.peers, primary?.api_address);
      const own = peer !== undefined && peer !== 'unreachable' ? (kind === 'dr' ? peer.dr : performanceStatusOf(peer)) : undefined;
      if (primary === undefined && part.primary_cluster_addr === undefined) continue;
      primaryMerkleRoot ??= own?.merkle_root;
      const walLag = walLagOf(own?.last_wal, part.last_remote_wal);
      const heartbeatAgeMs = heartbeatAgeOf(primary?.last_heartbeat, input.nowMs);
      const connected = primary?.connection_status === 'connected';
      links.push({
        from: id,
        to: SELF,
        kind,
        secondaryId: part.secondary_id ?? '',
        state: part.state ?? (connected ? 'stream-wals' : 'connecting'),
        walLag,
        heartbeatAgeMs,
        isBehind: !connected || isBehind({ walLag, heartbeatAgeMs }),
        syncProgress: progressOf(part),
      });
      nodes.set(id, {
        id,
        title: `${label} primary`,
        lines: [primary?.api_address ?? part.primary_cluster_addr ?? '', own?.last_wal === undefined ? '' : `last WAL ${own.last_wal}`].filter((l) => l !== ''),
        isSelf: false,
        isUnreachable: peer === 'unreachable',
      });
      if (!left.includes(id)) left.push(id);
      merkle.push({
        name: 'this cluster',
        root: part.merkle_root,
        isInSync: own?.merkle_root !== undefined && own.merkle_root === part.merkle_root && walLag === 0,
      });
    }
  }
  if (roles.length === 0) roles.push('replication disabled');

  const selfSide = left.length > 0 ? right : left;
  selfSide.unshift(SELF);
  const haNodes = input.ha?.nodes ?? [];
  if (haNodes.length > 0) {
    // Every node of this cluster beside this one; edges run from the active node to each standby.
    const self = haNodes.find((n) => n.api_address === input.selfApiAddr);
    const selfIsStandby = self?.active_node === false;
    roles.push(selfIsStandby ? 'HA standby' : 'HA active');
    const idOf = (n: (typeof haNodes)[number], i: number): string => (n === self ? SELF : `ha:${n.hostname ?? n.api_address ?? String(i)}`);
    const activeIndex = haNodes.findIndex((n) => n.active_node === true);
    const activeId = selfIsStandby && activeIndex >= 0 ? idOf(haNodes[activeIndex] as (typeof haNodes)[number], activeIndex) : SELF;
    haNodes.forEach((n, i) => {
      const id = idOf(n, i);
      if (id === SELF) return;
      const role = n.active_node === true ? 'HA active' : 'HA standby';
      nodes.set(id, { id, title: n.hostname ?? role, lines: [n.api_address ?? '', role].filter((l) => l !== ''), isSelf: false, isUnreachable: false });
      selfSide.push(id);
    });
    haNodes.forEach((n, i) => {
      const id = idOf(n, i);
      if (n.active_node === true || id === activeId) return;
      links.push({
        from: activeId,
        to: id,
        kind: 'ha',
        secondaryId: '',
        state: 'standby',
        walLag: undefined,
        heartbeatAgeMs: heartbeatAgeOf(n.last_echo ?? undefined, input.nowMs),
        isBehind: false,
        syncProgress: undefined,
      });
    });
  }
  nodes.set(SELF, { id: SELF, title: 'this cluster', lines: [...roles, ...selfLines], isSelf: true, isUnreachable: false });
  const columns = [left, right].filter((c) => c.length > 0);
  return { roles, clusterId: perf.cluster_id, columns, nodes, links, primaryMerkleRoot, merkle };
}
