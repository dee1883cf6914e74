import type { StorageOp } from '../storage/backend.js';
import { DR_KEYSET, performanceKeyset, type Keyset } from './keyset.js';
import { leafDigest } from './merkle-index.js';
import { encodeUnnumberedWalEntry, type UnnumberedWalEntry, type WalOp } from './wal-entry.js';

/**
 * A write's WAL side: its ops' Merkle digests, the ops that travel and their entry, not numbered yet
 * (none when nothing travels); `ops` and `epoch` say what it was made from.
 */
export interface LoggedWrite {
  readonly ops: readonly StorageOp[];
  readonly epoch: number;
  readonly digests: ReadonlyMap<StorageOp, Buffer>;
  readonly walOps: readonly WalOp[];
  readonly entry: UnnumberedWalEntry | undefined;
}

export function logged(ops: readonly StorageOp[], epoch: number): LoggedWrite {
  const digests = new Map<StorageOp, Buffer>();
  const walOps = toWalOps(ops, digests);
  return { ops, epoch, digests, walOps, entry: walOps.length === 0 ? undefined : encodeUnnumberedWalEntry(epoch, walOps) };
}

/** Whether a storage op falls in a keyset (a prefix delete by its prefix). */
export function opIncluded(keyset: Keyset, op: StorageOp): boolean {
  return op.op === 'delete-prefix' ? keyset.includesPrefix(op.prefix) : keyset.includes(op.key);
}

/**
 * The WAL carries every write that may travel to some secondary: all but bookkeeping (DR needs
 * cluster-local writes). Each put carries its Merkle digests, hashed here once (or passed on, when
 * relaying an applied put) and kept in `digests` for this node's own index.
 */
export function toWalOps(ops: readonly StorageOp[], digests: Map<StorageOp, Buffer>): WalOp[] {
  const out: WalOp[] = [];
  for (const op of ops) {
    if (!opIncluded(DR_KEYSET, op)) continue;
    if (op.op !== 'put') {
      out.push(op);
      continue;
    }
    const digest = digestOf(op) ?? leafDigest(op.key, op.value);
    digests.set(op, digest);
    out.push({ op: 'put', key: op.key, value: op.value, digest });
  }
  return out;
}

/** The Merkle digests a put came with (one decoded from a digested WAL entry). */
export function digestOf(op: StorageOp): Buffer | undefined {
  return (op as WalOp & { digest?: Buffer }).digest;
}

/** A write a performance secondary may not make itself: it touches replicated keys. */
export function touchesReplicated(ops: readonly StorageOp[]): boolean {
  const keyset = performanceKeyset();
  return ops.some((op) => opIncluded(keyset, op));
}
