import type { StorageOp } from '../storage/backend.js';

/** Where the WAL's entries live: one key per index, zero-padded so keys sort in index order. */
export const WAL_PREFIX = 'local/replication/wal/';
const INDEX_DIGITS = 16;
/** WAL entries beyond the retention that are dropped together. */
const TRIM_BATCH = 256;

export const walKey = (index: number): string => WAL_PREFIX + String(index).padStart(INDEX_DIGITS, '0');

/** The largest power of ten not above `batch` (as its number of zeros): WAL entries are trimmed in aligned blocks of that many. */
function trimBlockDigits(batch: number): number {
  let digits = 0;
  while (10 ** (digits + 1) <= batch) digits++;
  return digits;
}

/** The key prefix shared by exactly the WAL keys of the aligned block of 10^digits indexes from `start`. */
function walBlockPrefix(start: number, digits: number): string {
  return walKey(start).slice(0, WAL_PREFIX.length + INDEX_DIGITS - digits);
}

/**
 * The ops that keep a WAL whose oldest entry is `first` at its retention once entry `newIndex` is
 * written, and its oldest entry afterwards. The oldest entries go in the same transaction as the new
 * one (no extra commit, no scan: indexes are contiguous from `first`), in aligned blocks of a power
 * of ten, each one prefix delete (one SQL range delete instead of a statement per entry); a block
 * keeps its entries until all of them are past the retention, so at least `retentionEntries` stay.
 */
export function walRetentionTrim(first: number, newIndex: number, retentionEntries: number): { ops: StorageOp[]; newFirst: number } {
  const keepFrom = newIndex - retentionEntries + 1;
  const batch = Math.min(TRIM_BATCH, Math.max(1, Math.floor(retentionEntries / 4)));
  if (first === 0 || keepFrom - first < batch) return { ops: [], newFirst: first };
  const digits = trimBlockDigits(batch);
  const block = 10 ** digits;
  const newFirst = Math.floor(keepFrom / block) * block;
  const ops: StorageOp[] = [];
  for (let start = Math.floor(first / block) * block; start < newFirst; start += block) {
    ops.push(digits === 0 ? { op: 'delete', key: walKey(start) } : { op: 'delete-prefix', prefix: walBlockPrefix(start, digits) });
  }
  return { ops, newFirst: Math.max(first, newFirst) };
}
