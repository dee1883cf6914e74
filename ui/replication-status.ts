/**
 * The replication status shapes the dashboard reads, as Vault documents them (plus Ferry's
 * additions, all optional): `sys/replication/status` (performance fields at the top level, and under
 * `performance`/`dr`), `sys/ha-status` and `sys/leader`. Every field is optional: a server of
 * another version may leave any of them out, and the page degrades instead of failing.
 */

/** One secondary as its primary sees it (`secondaries[]`). */
export interface KnownSecondary {
  readonly node_id: string;
  readonly api_address?: string;
  readonly cluster_address?: string;
  /** `connected` | `disconnected`. */
  readonly connection_status?: string;
  /** RFC 3339 time of the last heartbeat on the stream. */
  readonly last_heartbeat?: string;
  /** Ferry: the last WAL index written to this secondary's stream. */
  readonly last_streamed_wal?: number;
}

/** One primary as a secondary sees it (`primaries[]`). */
export interface KnownPrimary {
  readonly api_address?: string;
  readonly cluster_address?: string;
  readonly connection_status?: string;
  readonly last_heartbeat?: string;
}

/** The performance (or DR) part of `sys/replication/status`. */
export interface ClusterReplicationStatus {
  /** `disabled` | `primary` | `secondary` | `bootstrapping`. */
  readonly mode: string;
  readonly cluster_id?: string;
  /** Primary: `running`; secondary: `stream-wals`, `merkle-diff`, `merkle-sync`, `idle`, `connecting`… */
  readonly state?: string;
  readonly known_secondaries?: readonly string[];
  readonly secondaries?: readonly KnownSecondary[];
  readonly primaries?: readonly KnownPrimary[];
  readonly secondary_id?: string;
  readonly primary_cluster_addr?: string;
  readonly last_wal?: number;
  readonly last_remote_wal?: number;
  readonly merkle_root?: string;
  readonly connection_state?: string;
  readonly epoch?: number;
  readonly fenced_by_epoch?: number;
  readonly merkle_sync_progress?: { readonly sync_total_keys?: number; readonly sync_progress?: number };
}

/** `sys/replication/status`: Vault nests both kinds; older servers answer the performance fields only. */
export interface ReplicationStatusResponse extends ClusterReplicationStatus {
  readonly performance?: ClusterReplicationStatus;
  readonly dr?: ClusterReplicationStatus;
}

/** One node of `sys/ha-status`. */
export interface HaNode {
  readonly hostname?: string;
  readonly api_address?: string;
  readonly cluster_address?: string;
  readonly active_node?: boolean;
  readonly last_echo?: string | null;
}

/** `sys/ha-status`, when the server has HA storage. */
export interface HaStatusResponse {
  readonly nodes?: readonly HaNode[];
}

/** The performance part of a status answer, wherever the server put it. */
export function performanceStatusOf(status: ReplicationStatusResponse): ClusterReplicationStatus {
  return status.performance ?? status;
}
