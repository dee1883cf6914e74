import type { FerryClient, ReplicationStatus } from '../client/ferry-client.js';

/**
 * Performance and DR replication share one life cycle (enable a primary, mint a secondary token, activate
 * a secondary that is wiped first) under two API prefixes. A kind names one of them, so the primary, token
 * and secondary resources are written once and served twice.
 */
export interface ReplicationKind {
  /** Resource type names start with it: `ferry_replication` or `ferry_dr`. */
  readonly typePrefix: string;
  /** How diagnostics and descriptions name it: "replication" or "DR replication". */
  readonly noun: string;
  /** Put before "primary" / "secondary" in diagnostics: '' or 'DR '. */
  readonly qualifier: string;
  /** The noun at the start of a sentence. */
  readonly title: string;
  /** The API prefix the `primary/…` and `secondary/…` endpoints hang under. */
  readonly apiPrefix: string;
  /** This kind's status (unauthenticated). */
  status(client: FerryClient): Promise<ReplicationStatus>;
}

/** Performance replication: `sys/replication/primary/…` as Ferry (and Vault 0.7) spell it. */
export const performanceReplication: ReplicationKind = {
  typePrefix: 'ferry_replication',
  noun: 'replication',
  title: 'Replication',
  qualifier: '',
  apiPrefix: 'sys/replication',
  status: (client) => client.replicationStatus(),
};

/** Disaster-recovery replication: Vault's `sys/replication/dr/…`. */
export const drReplication: ReplicationKind = {
  typePrefix: 'ferry_dr',
  noun: 'DR replication',
  title: 'DR replication',
  qualifier: 'DR ',
  apiPrefix: 'sys/replication/dr',
  status: (client) => client.drReplicationStatus(),
};
