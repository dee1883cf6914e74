import type { StorageOp } from '../storage/backend.js';

/**
 * What the core needs to know about high availability, without importing the HA layer
 * (`server/ha/`), which provides it at composition time. Without HA every node is active.
 */
export interface HaLeader {
  readonly isSelf: boolean;
  /** The active node's API address; '' when no node holds the lock. */
  readonly leaderAddress: string;
  readonly leaderClusterAddress: string;
  /** When the active node became active (RFC 3339); Vault's zero time when unknown. */
  readonly activeTime: string;
}

export interface HaNode {
  readonly hostname: string;
  readonly apiAddress: string;
  readonly clusterAddress: string;
  readonly isActive: boolean;
  /** When the node was last heard from (RFC 3339); null for the active node, as in Vault. */
  readonly lastEcho: string | null;
  readonly version: string;
}

export interface HaView {
  readonly isEnabled: boolean;
  /** Whether this node acts as the active node now (holds the lock, or is initializing storage). */
  isActive(): boolean;
  /** The core opened its barrier without being active: this node is now an unsealed standby. */
  onStandbyUnsealed(): void;
  /** The core sealed: give the lock up and stop competing. */
  onSealed(): Promise<void>;
  /** Around `core.initialize`: storage writes are let through while the store is created. */
  beginInitialize(): void;
  endInitialize(): void;
  /**
   * The active node is about to replace the cluster's root key (secondary activation): the lock is
   * kept while the core reseals, and the answer is the storage writes that hand `newRootKey` to the
   * standbys (each sealed to one standby's own key), to commit with the new keyring.
   */
  beginKeyringChange(oldRootKey: Buffer, newRootKey: Buffer): Promise<StorageOp[]>;
  /** The root key change committed (or was undone) and the core is unsealed again. */
  endKeyringChange(): Promise<void>;
  leader(): Promise<HaLeader>;
  nodes(): Promise<HaNode[]>;
  /** The active node gives up the lock and becomes a standby. */
  stepDown(): Promise<void>;
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

/** A node without HA: always active, its own leader. */
export function haDisabled(apiAddr: string, clusterAddr: string): HaView {
  return {
    isEnabled: false,
    isActive: () => true,
    onStandbyUnsealed: () => undefined,
    onSealed: async () => undefined,
    beginInitialize: () => undefined,
    endInitialize: () => undefined,
    beginKeyringChange: async () => [],
    endKeyringChange: async () => undefined,
    leader: async () => ({ isSelf: true, leaderAddress: apiAddr, leaderClusterAddress: clusterAddr, activeTime: ZERO_TIME }),
    nodes: async () => [],
    stepDown: async () => undefined,
  };
}
