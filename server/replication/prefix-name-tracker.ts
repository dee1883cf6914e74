import type { StorageOp } from '../storage/backend.js';
import { classify } from './keyset.js';

/** Keys per storage scan page when reading names for the Merkle index. */
export const SCAN_PAGE = 2000;

/** For each prefix a write deletes, the indexed (non-bookkeeping) keys below it when the write commits. */
export type PrefixNames = ReadonlyMap<string, ReadonlySet<string>>;

/** Up to a page of key names below `prefix` after `after`, in key order. */
type ScanPage = (prefix: string, after: string | undefined) => Promise<readonly string[]>;

/** The keys of a page the Merkle index holds (all but bookkeeping). */
export function batchKeys(batch: readonly string[]): string[] {
  return batch.filter((key) => classify(key).keyClass !== 'bookkeeping');
}

/**
 * The Merkle index keeps no key names, so deleting a prefix needs the names below it from storage.
 * They are read before the write is queued; a key put below the prefix after the read started is
 * noted as its write commits (`notePut`), so when the delete commits its set holds every key the
 * storage had below the prefix (a noted key deleted meanwhile is not in the index: ignored).
 */
export class PrefixNameTracker {
  private readonly pending = new Set<{ readonly prefix: string; readonly names: Set<string> }>();

  constructor(private readonly scanPage: ScanPage) {}

  /** Runs `write` with the names below each prefix `ops` delete (keys the Merkle index holds: all but bookkeeping). */
  async around<T>(ops: readonly StorageOp[], write: (names: PrefixNames | undefined) => Promise<T>): Promise<T> {
    const prefixes = new Set<string>();
    for (const op of ops) if (op.op === 'delete-prefix' && op.prefix !== '' && classify(op.prefix).keyClass !== 'bookkeeping') prefixes.add(op.prefix);
    if (prefixes.size === 0) return write(undefined);
    const registrations = [...prefixes].map((prefix) => ({ prefix, names: new Set<string>() }));
    for (const r of registrations) this.pending.add(r);
    try {
      for (const r of registrations) {
        let after: string | undefined;
        for (;;) {
          const batch = await this.scanPage(r.prefix, after);
          if (batch.length === 0) break;
          for (const key of batchKeys(batch)) r.names.add(key);
          after = batch[batch.length - 1];
        }
      }
      return await write(new Map(registrations.map((r) => [r.prefix, r.names])));
    } finally {
      for (const r of registrations) this.pending.delete(r);
    }
  }

  /** A key was put by a committed write. */
  notePut(key: string): void {
    for (const r of this.pending) if (key.startsWith(r.prefix)) r.names.add(key);
  }
}
