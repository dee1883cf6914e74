import { invalidRequest } from '../vault-error.js';

/** The snapshot file format this server writes and reads. */
export const SNAPSHOT_FORMAT_VERSION = 1;

/**
 * The first line of a snapshot file. Everything in it is metadata, never a secret: values in the
 * body are storage values as stored, still encrypted by the barrier.
 */
export interface SnapshotHeader {
  readonly ferry_snapshot: number;
  /** The id of the cluster the snapshot was taken on (`local/core/cluster/info`). */
  readonly cluster_id: string;
  readonly replication: { readonly role: string; readonly epoch: number; readonly last_wal: number };
  readonly key_count: number;
  /** RFC 3339. */
  readonly created_at: string;
  /** The storage backend type it was read from (informational: a snapshot restores onto any). */
  readonly storage: string;
}

/** The last line: SHA-256 (hex) over every byte before it, header included. */
export interface SnapshotTrailer {
  readonly sha256: string;
  readonly key_count: number;
}

/** Checks the shape of a parsed header line; a wrong one is the client's mistake (400). */
export function parseSnapshotHeader(line: string): SnapshotHeader {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw invalidRequest('snapshot is not valid: the header is not JSON');
  }
  const h = value as Partial<SnapshotHeader> | null;
  if (h === null || typeof h !== 'object' || typeof h.ferry_snapshot !== 'number') throw invalidRequest('snapshot is not valid: not a Ferry snapshot');
  if (h.ferry_snapshot !== SNAPSHOT_FORMAT_VERSION) {
    throw invalidRequest(`snapshot format version ${h.ferry_snapshot} is not supported (this server reads version ${SNAPSHOT_FORMAT_VERSION})`);
  }
  const r = h.replication;
  if (
    typeof h.cluster_id !== 'string' ||
    typeof h.key_count !== 'number' ||
    typeof h.created_at !== 'string' ||
    typeof h.storage !== 'string' ||
    r === undefined ||
    typeof r.role !== 'string' ||
    typeof r.epoch !== 'number' ||
    typeof r.last_wal !== 'number'
  ) {
    throw invalidRequest('snapshot is not valid: the header is incomplete');
  }
  return h as SnapshotHeader;
}
