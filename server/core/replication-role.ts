/**
 * What the core needs to know about replication, without importing the replication layer:
 * the role discriminates, and the controller behind `sys/replication/*` is provided by
 * `server/replication/` at composition time.
 */
export type ReplicationMode = 'disabled' | 'primary' | 'secondary' | 'bootstrapping';

/** The alias a first login needs an entity for: (auth mount accessor, alias name) and the alias metadata. */
export interface LoginAlias {
  readonly mountAccessor: string;
  readonly aliasName: string;
  readonly metadata: Record<string, string>;
}

export interface ReplicationView {
  mode(): ReplicationMode;
  /** The performance role ('disabled' when this cluster takes no part in performance replication). */
  performanceMode?(): ReplicationMode;
  /** The DR role ('disabled' when this cluster takes no part in DR replication). */
  drMode?(): ReplicationMode;
  /** True on a DR secondary: it serves no client request and revokes nothing until promoted. */
  isDrSecondary?(): boolean;
  /**
   * On a secondary: has the primary find or create the entity of a login alias (identity is
   * replicated state) and waits, bounded, until it has replicated here. Resolves to the entity id
   * once it is readable on this cluster, or undefined when the primary cannot be asked or the
   * entity did not arrive in time.
   */
  createLoginEntity?(alias: LoginAlias): Promise<string | undefined>;
  /**
   * Runs one client request (`run`, to `path`); with synchronous DR its answer waits until the
   * replicated writes it committed are acknowledged by a DR secondary (or fails with `unacknowledged`).
   */
  handleDurably?<T>(path: string, run: () => Promise<T>): Promise<T>;
  /**
   * Where this cluster stands in its replication set's log (`X-Vault-Index`, see IndexConsistency):
   * the set's cluster id and the replicated WAL index this node has — `last_wal` on a primary,
   * `last_remote_wal` on a secondary. Undefined when the cluster takes part in no replication.
   */
  walPosition?(): { readonly clusterId: string; readonly replicatedWal: number } | undefined;
  /**
   * On a primary, the WAL index of the last committed write of replicated state (it only grows, and a
   * write's entry counts before the write's promise settles); undefined on a node that makes no
   * replicated writes of its own (a secondary forwards them; a cluster outside replication logs none).
   */
  replicatedWatermark?(): number | undefined;
  /**
   * On a performance secondary: the mount paths (`secret/`, `auth/userpass/`) its primary's paths
   * filter leaves out. Their data never arrives; sys/mounts and sys/auth hide them, as Vault does.
   */
  filteredMounts?(): ReadonlySet<string>;
}

export const replicationDisabled: ReplicationView = { mode: () => 'disabled' };
