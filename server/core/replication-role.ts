/**
 * What the core needs to know about replication, without importing the replication layer:
 * the role discriminates, and the controller behind `sys/replication/*` is provided by
 * `server/replication/` at composition time.
 */
export type ReplicationMode = 'disabled' | 'primary' | 'secondary' | 'bootstrapping';

export interface ReplicationView {
  mode(): ReplicationMode;
}

export const replicationDisabled: ReplicationView = { mode: () => 'disabled' };
