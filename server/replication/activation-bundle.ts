import type { ReplicationKind } from './replication-state.js';

/**
 * What a secondary activation token unwraps to on the primary's API: everything the secondary
 * needs to dial the primary's cluster port over mutual TLS. The CA key never leaves the primary.
 */
export interface ActivationBundle {
  readonly id: string;
  readonly cluster_id: string;
  readonly primary_cluster_addr: string;
  readonly primary_api_addr: string;
  readonly ca_cert: string;
  readonly client_cert: string;
  readonly client_key: string;
  readonly epoch: number;
  /** The replication type the token activates (absent: performance). */
  readonly kind?: ReplicationKind;
}

export function isActivationBundle(value: unknown): value is ActivationBundle {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    ['id', 'cluster_id', 'primary_cluster_addr', 'ca_cert', 'client_cert', 'client_key'].every((k) => typeof v[k] === 'string') && typeof v.epoch === 'number'
  );
}

/** The first frame of a bootstrap: the secret material the secondary adopts. */
export interface BootstrapHeader {
  readonly root_key: string;
  readonly cluster_id: string;
  readonly epoch: number;
  readonly last_wal: number;
  /** The keyset the package was made for (see `keysetVersion`). */
  readonly keyset_version?: string;
  /** Mounts whose data the keyset leaves out (hidden from the secondary's mount listings). */
  readonly filtered_mounts?: readonly string[];
  readonly dev_root_token?: string;
}
