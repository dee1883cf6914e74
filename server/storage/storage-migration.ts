import type { ConsistentRead, StorageBackend, StorageEntry, StorageOp } from './backend.js';

/**
 * Where a running migration records its progress in the destination: the last key copied, in the
 * same transaction as the batch that copied it. Removed when the migration completes.
 */
export const MIGRATION_PROGRESS_KEY = 'core/migration-progress';

/** Keys copied per destination transaction. */
const BATCH_KEYS = 500;

export interface MigrationOptions {
  /** Empty a destination that holds data (and no unfinished migration of this source) first. */
  readonly reset?: boolean;
  /** Copy only keys at or after this one (Vault's `-start`). */
  readonly start?: string;
  /** Called after every committed batch. */
  readonly onProgress?: (progress: MigrationProgress) => void;
}

export interface MigrationProgress {
  readonly copied: number;
  readonly total: number;
  readonly lastKey: string;
}

export interface MigrationResult {
  readonly copied: number;
  readonly total: number;
  /** The key a crashed earlier run had reached (undefined: started from the beginning). */
  readonly resumedAfter: string | undefined;
}

interface ProgressRecord {
  readonly last_key: string;
  readonly total: number;
  readonly start: string;
}

/**
 * Copies every key of `source` to `destination` byte for byte (values stay encrypted by the
 * barrier; the key is their AAD, so they stay valid), in key order, in batches that each commit
 * together with the progress record: after a crash, the next run resumes after the last
 * committed batch. A destination holding anything else is refused unless `reset`. The source is
 * read in one consistent read and never written.
 */
export async function migrateStorage(source: StorageBackend, destination: StorageBackend, options: MigrationOptions = {}): Promise<MigrationResult> {
  const start = options.start ?? '';
  const read = await source.consistentRead();
  try {
    const total = await countFrom(read, start);
    let after = await resumePoint(destination, total, start, options.reset === true);
    const resumedAfter = after;
    let copied = after === undefined ? 0 : await countUpTo(read, start, after);
    if (after === undefined && start !== '') after = await keyBefore(read, start);
    for (;;) {
      const batch = await read.scan(after, BATCH_KEYS);
      if (batch.length === 0) break;
      const last = (batch[batch.length - 1] as StorageEntry).key;
      const record: ProgressRecord = { last_key: last, total, start };
      const ops: StorageOp[] = batch.filter((e) => e.key !== MIGRATION_PROGRESS_KEY).map((e) => ({ op: 'put', key: e.key, value: e.value }));
      ops.push({ op: 'put', key: MIGRATION_PROGRESS_KEY, value: Buffer.from(JSON.stringify(record)) });
      await destination.transaction(ops);
      copied += batch.length;
      after = last;
      options.onProgress?.({ copied, total, lastKey: last });
    }
    await destination.delete(MIGRATION_PROGRESS_KEY);
    return { copied, total, resumedAfter };
  } finally {
    await read.release();
  }
}

/** Where to continue: after the recorded key of an unfinished run, or from the start of an empty (or reset) destination. */
async function resumePoint(destination: StorageBackend, total: number, start: string, reset: boolean): Promise<string | undefined> {
  const raw = await destination.get(MIGRATION_PROGRESS_KEY);
  if (raw !== undefined && !reset) {
    const record = JSON.parse(raw.toString('utf8')) as ProgressRecord;
    if (record.total === total && record.start === start) return record.last_key;
    throw new Error('the destination holds an unfinished migration of different data; rerun with -reset to start over');
  }
  const firstKeys = await destination.scan('', { limit: 1 });
  if (firstKeys.length > 0) {
    if (!reset) throw new Error('the destination storage is not empty; rerun with -reset to delete everything in it first');
    await destination.transaction([{ op: 'delete-prefix', prefix: '' }]);
  }
  return undefined;
}

/** The key just before `start` in the read (so a scan after it begins at `start`). */
async function keyBefore(read: ConsistentRead, start: string): Promise<string | undefined> {
  let after: string | undefined;
  for (;;) {
    const batch = await read.scan(after, 2000);
    const before = batch.filter((e) => e.key < start);
    if (before.length < batch.length || batch.length === 0) return before.length > 0 ? (before[before.length - 1] as StorageEntry).key : after;
    after = (batch[batch.length - 1] as StorageEntry).key;
  }
}

async function countFrom(read: ConsistentRead, start: string): Promise<number> {
  if (start === '') return read.count();
  return (await read.count()) - (await countBelow(read, start));
}

async function countUpTo(read: ConsistentRead, start: string, last: string): Promise<number> {
  const upTo = await countBelow(read, last + '\u0000');
  return upTo - (start === '' ? 0 : await countBelow(read, start));
}

/** Keys strictly below `bound` (a scan; counting is cheap next to copying). */
async function countBelow(read: ConsistentRead, bound: string): Promise<number> {
  let n = 0;
  let after: string | undefined;
  for (;;) {
    const batch = await read.scan(after, 2000);
    for (const e of batch) {
      if (e.key >= bound) return n;
      n++;
    }
    if (batch.length === 0) return n;
    after = (batch[batch.length - 1] as StorageEntry).key;
  }
}
