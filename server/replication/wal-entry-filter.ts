import { DR_KEYSET, performanceKeyset, type Keyset } from './keyset.js';
import { decodeWalEntry, encodeWalEntry, type SerializedWalEntry, type WalOp } from './wal-entry.js';
import { opIncluded } from './wal-ops.js';

/**
 * A stored WAL entry as one secondary receives it (binary): only the ops of its keyset. An entry
 * left with no ops still travels (empty), so the secondary's WAL position moves on. An entry
 * every op of which is included is sent as stored, without decoding where the WAL knows it already.
 */
export function filterWalEntry(entry: SerializedWalEntry, keyset: Keyset): Buffer {
  if (keyset === DR_KEYSET) return entry.bytes;
  if (entry.replicatedOnly === true && keyset === performanceKeyset()) return entry.bytes;
  const parsed = decodeWalEntry(entry.bytes);
  const ops = parsed.ops.filter((op) => opIncluded(keyset, op));
  return ops.length === parsed.ops.length ? entry.bytes : encodeWalEntry({ ...parsed, ops });
}

/** Whether every op of a WAL entry travels to an unfiltered performance secondary. */
export function isReplicatedOnly(ops: readonly WalOp[]): boolean {
  return ops.every((op) => opIncluded(performanceKeyset(), op));
}
