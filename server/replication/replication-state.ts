import type { Barrier } from '../core/barrier.js';
import type { StorageOp } from '../storage/backend.js';
import { layout } from '../core/storage-layout.js';
import type { PemKeyPair } from './cluster-ca.js';
import type { WalStorage } from './wal-storage.js';

export const STATE_KEY = `${layout.replication}state`;

/** What a secondary receives: `performance` (replicated keys only) or `dr` (everything but bookkeeping). */
export type SecondaryKind = 'performance' | 'dr';

/**
 * Vault's two replication types. Performance secondaries serve clients and receive replicated
 * state only; DR secondaries receive everything (tokens and leases included) and serve nobody
 * until promoted.
 */
export type ReplicationKind = SecondaryKind;

/** A performance secondary's paths filter as Vault's API states it: mount paths (`secret/`, `auth/userpass/`). */
export interface PathsFilter {
  readonly mode: 'allow' | 'deny';
  readonly paths: readonly string[];
}

export interface KnownSecondary {
  readonly id: string;
  /** Serial of the client certificate issued to it; revocation removes the entry. */
  readonly certSerial: string;
  readonly issuedAt: string;
  readonly tokenExpiresAt: string;
  /** Absent: performance (states stored before keysets existed). */
  readonly kind?: SecondaryKind;
  /** Performance secondaries only; absent: every replicated mount travels. */
  readonly pathsFilter?: PathsFilter;
}

/** A cluster's replication role. Stored behind the barrier under `local/` (never replicated). */
export type ReplicationState =
  | { readonly role: 'disabled' }
  | {
      readonly role: 'primary';
      readonly clusterId: string;
      /** Fencing epoch: strictly increases with every promotion; frames from older epochs are refused. */
      readonly epoch: number;
      readonly primaryClusterAddr: string;
      /** The replication types this cluster is primary of (absent: performance only). */
      readonly kinds?: readonly ReplicationKind[];
      readonly ca: PemKeyPair;
      readonly server: PemKeyPair;
      readonly secondaries: Readonly<Record<string, KnownSecondary>>;
    }
  | {
      readonly role: 'secondary';
      readonly clusterId: string;
      readonly epoch: number;
      readonly secondaryId: string;
      /** Absent: performance. */
      readonly kind?: ReplicationKind;
      readonly primaryClusterAddr: string;
      readonly primaryApiAddr: string;
      readonly caCertPem: string;
      readonly client: PemKeyPair;
      readonly lastRemoteWal: number;
      /**
       * Set when the WAL position cannot be trusted against the (new) primary — after
       * update-primary, demotion or fencing: the stream starts with a Merkle sync.
       */
      readonly needsResync?: boolean;
      /** The keyset version this secondary's data was last shipped under (absent: unfiltered performance). */
      readonly keysetVersion?: string;
      /** Mount paths the primary's paths filter leaves out for this secondary (hidden here, as in Vault). */
      readonly filteredMounts?: readonly string[];
      /** Set on a primary that stepped down because it learned of a newer epoch. */
      readonly fencedByEpoch?: number;
      /**
       * Every node of the primary cluster by cluster address, as its active node last named them
       * (HA): where the stream looks for the active node after a failover.
       */
      readonly knownPrimaryClusterAddrs?: readonly string[];
    };

export type PrimaryState = Extract<ReplicationState, { role: 'primary' }>;
export type SecondaryState = Extract<ReplicationState, { role: 'secondary' }>;

/** The replication types a primary serves. */
export const kindsOf = (state: PrimaryState): readonly ReplicationKind[] => state.kinds ?? ['performance'];

/** The replication type of a secondary. */
export const kindOf = (state: { readonly kind?: ReplicationKind }): ReplicationKind => state.kind ?? 'performance';

/** The replication type `state` takes part in as `kind`'s role, or disabled. */
export function roleFor(state: ReplicationState, kind: ReplicationKind): ReplicationState['role'] {
  if (state.role === 'primary') return kindsOf(state).includes(kind) ? 'primary' : 'disabled';
  if (state.role === 'secondary') return kindOf(state) === kind ? 'secondary' : 'disabled';
  return 'disabled';
}

/** A secondary that is not connected to any primary (demoted, fenced, or told to forget it). */
export const isDetached = (state: SecondaryState): boolean => state.primaryClusterAddr === '';

/** A secondary that follows nobody (demoted or fenced); it resyncs by Merkle sync when it next follows a primary. */
export function detachedSecondary(clusterId: string, epoch: number, lastWal: number, kind: ReplicationKind = 'performance'): SecondaryState {
  return {
    role: 'secondary',
    ...(kind === 'dr' ? { kind } : {}),
    clusterId,
    epoch,
    secondaryId: '',
    primaryClusterAddr: '',
    primaryApiAddr: '',
    caCertPem: '',
    client: { certPem: '', keyPem: '' },
    lastRemoteWal: lastWal,
    needsResync: true,
  };
}

export async function loadReplicationState(barrier: Barrier): Promise<ReplicationState> {
  const raw = await barrier.get(STATE_KEY);
  return raw === undefined ? { role: 'disabled' } : (JSON.parse(raw.toString('utf8')) as ReplicationState);
}

/**
 * Stores `state` encrypted by the barrier, through the WAL storage's transaction (the state key
 * is local: it is written but never streamed). A failed write leaves the previous state stored.
 */
export async function saveReplicationState(barrier: Barrier, wal: Pick<WalStorage, 'applyRemote'>, state: ReplicationState): Promise<void> {
  await wal.applyRemote([replicationStateOp(barrier, state)]);
}

/** The op that stores `state` encrypted by the barrier (alone, or beside a secondary's apply in one commit). */
export function replicationStateOp(barrier: Barrier, state: ReplicationState): StorageOp {
  return { op: 'put', key: STATE_KEY, value: barrier.encryptFor(STATE_KEY, Buffer.from(JSON.stringify(state))) };
}
