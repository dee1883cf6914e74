import type { Logger } from 'pino';
import type { ListenerHooks } from './cluster-listener.js';
import type { FenceNotifier } from './fence-notifier.js';
import type { PrimaryState, ReplicationState, SecondaryState } from './replication-state.js';
import type { Activator } from './secondary-activator.js';
import type { WalStorage } from './wal-storage.js';

/** The cluster listener a primary runs, as the state machine uses it. */
export interface ClusterListener {
  readonly connections: Map<string, unknown>;
  disconnect(secondaryId: string): void;
  stop(): Promise<void>;
}

/** The WAL stream a secondary runs, as the state machine uses it. */
export interface ReplicationStream {
  readonly isConnected: boolean;
  /** True while a Merkle sync runs or is due: this secondary's copy is known to be behind. */
  readonly isCatchingUp?: boolean;
  stop(): Promise<void>;
}

/** Where the role is stored; a failed `save` leaves the previous role stored. */
export interface RoleStore {
  load(): Promise<ReplicationState>;
  save(next: ReplicationState): Promise<void>;
}

/** Everything the state machine drives; a running server passes the real ones, unit tests fakes. */
export interface RolePorts<L extends ClusterListener, S extends ReplicationStream> {
  readonly store: RoleStore;
  readonly wal: Pick<WalStorage, 'setRole' | 'resetWal' | 'setLastWal' | 'lastWal' | 'open' | 'setRelaying'>;
  /** Where a performance secondary keeps its DR primary role. */
  readonly relayStore: RelayStore;
  /** Binds the cluster listener for `state` (before the role is stored); refuses with a VaultError. */
  readonly bindListener: (state: PrimaryState, hooks: ListenerHooks) => Promise<L>;
  /** Starts streaming from the primary `state` names; `onState` receives each state the stream commits. */
  readonly startStream: (state: SecondaryState, onState: (next: SecondaryState) => void) => S;
  readonly notifyOldPrimary: (old: SecondaryState, epoch: number) => FenceNotifier;
  readonly activator: Activator;
}

/** Where a performance secondary keeps its DR primary role (relay); `undefined` removes it. */
export interface RelayStore {
  load(): Promise<PrimaryState | undefined>;
  save(next: PrimaryState | undefined): Promise<void>;
}

/** What a replication state machine is built from: its ports, its logger and this cluster's own cluster address. */
export interface ReplicationStateMachineOptions<L extends ClusterListener, S extends ReplicationStream> {
  readonly ports: RolePorts<L, S>;
  readonly logger: Logger;
  /** This cluster's own cluster address (the listener's, and the default in certificates). */
  readonly clusterAddr: string;
}
