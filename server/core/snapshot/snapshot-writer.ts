import { createHash } from 'node:crypto';
import type { ConsistentRead, StorageEntry } from '../../storage/backend.js';
import type { SnapshotHeader, SnapshotTrailer } from './snapshot-header.js';

/** Entries read per step of the consistent read. */
const SCAN_BATCH = 1000;

export interface SnapshotSummary {
  readonly keyCount: number;
  readonly bytes: number;
  readonly sha256: string;
}

/**
 * Writes a snapshot of `source` to `write`, line by line (NDJSON): the header, one `[key, base64
 * value]` line per entry in key order, and the trailer with the SHA-256 of every byte before it.
 * Memory use is one batch; `write` applies backpressure by resolving when the bytes may follow.
 */
export async function writeSnapshot(
  source: ConsistentRead,
  header: Omit<SnapshotHeader, 'key_count'>,
  write: (chunk: string) => Promise<void>,
): Promise<SnapshotSummary> {
  const hash = createHash('sha256');
  let bytes = 0;
  const emit = async (text: string): Promise<void> => {
    hash.update(text);
    bytes += Buffer.byteLength(text);
    await write(text);
  };
  const keyCount = await source.count();
  await emit(JSON.stringify({ ...header, key_count: keyCount } satisfies SnapshotHeader) + '\n');
  let after: string | undefined;
  let written = 0;
  for (;;) {
    const batch = await source.scan(after, SCAN_BATCH);
    if (batch.length === 0) break;
    await emit(batch.map((e) => JSON.stringify([e.key, e.value.toString('base64')]) + '\n').join(''));
    written += batch.length;
    after = (batch[batch.length - 1] as StorageEntry).key;
  }
  const sha256 = hash.digest('hex');
  const trailer: SnapshotTrailer = { sha256, key_count: written };
  const last = JSON.stringify(trailer) + '\n';
  bytes += Buffer.byteLength(last);
  await write(last);
  return { keyCount: written, bytes, sha256 };
}
