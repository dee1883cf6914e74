/** One storage change as the WAL records it (values base64). */
export type WalOp = { op: 'put'; key: string; value: string } | { op: 'delete'; key: string } | { op: 'delete-prefix'; prefix: string };

/** One committed write of a primary: its index in the log, the epoch it was written in, its changes. */
export interface WalEntry {
  readonly index: number;
  readonly epoch: number;
  readonly ops: readonly WalOp[];
}

/** A WAL entry as stored (JSON), and whether every op of it is replicated state (no cluster-local keys). */
export interface SerializedWalEntry {
  readonly index: number;
  readonly json: string;
  readonly replicatedOnly?: boolean;
}
