import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { StorageBackend, StorageOp } from '../../../server/storage/backend.js';
import { MemoryBackend } from '../../../server/storage/memory-backend.js';
import { SqliteBackend } from '../../../server/storage/sqlite-backend.js';
import { MIGRATION_PROGRESS_KEY, migrateStorage } from '../../../server/storage/storage-migration.js';

async function everything(backend: StorageBackend): Promise<Map<string, string>> {
  return new Map((await backend.scan('')).map((e) => [e.key, e.value.toString('hex')]));
}

/** A destination that fails (like a crash) on its Nth transaction. */
class CrashingDestination extends MemoryBackend {
  transactions = 0;
  constructor(private readonly failAt: number) {
    super();
  }
  override async transaction(ops: readonly StorageOp[]): Promise<void> {
    if (++this.transactions === this.failAt) throw new Error('crash');
    return super.transaction(ops);
  }
}

describe('migrateStorage', () => {
  let dir: string;
  let source: SqliteBackend;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-migrate-'));
    source = await SqliteBackend.open({ path: join(dir, 'source.db') });
    const ops: StorageOp[] = [];
    for (let i = 0; i < 1234; i++) ops.push({ op: 'put', key: `logical/m/${String(i).padStart(5, '0')}`, value: Buffer.from([i % 256, 0, 255, i >> 8]) });
    ops.push({ op: 'put', key: 'core/keyring', value: Buffer.from('keyring-ciphertext') });
    await source.transaction(ops);
  });

  afterEach(async () => {
    await source.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('copies every key byte for byte, in batches with progress, and leaves no progress record', async () => {
    const destination = new MemoryBackend();
    const progress: number[] = [];
    const result = await migrateStorage(source, destination, { onProgress: (p) => progress.push(p.copied) });
    expect(result).to.deep.equal({ copied: 1235, total: 1235, resumedAfter: undefined });
    expect(await everything(destination)).to.deep.equal(await everything(source));
    expect(progress).to.deep.equal([500, 1000, 1235]);
    expect(await destination.get(MIGRATION_PROGRESS_KEY)).to.equal(undefined);
  });

  it('refuses a destination holding data unless reset, which empties it first', async () => {
    const destination = new MemoryBackend();
    await destination.put('stale/key', Buffer.from('x'));
    let failure: unknown;
    await migrateStorage(source, destination).catch((err: unknown) => (failure = err));
    expect(String(failure)).to.match(/not empty; rerun with -reset/);
    expect([...(await everything(destination)).keys()]).to.deep.equal(['stale/key']);
    await migrateStorage(source, destination, { reset: true });
    expect(await everything(destination)).to.deep.equal(await everything(source));
  });

  it('resumes after a crash from the last committed batch', async () => {
    const destination = new CrashingDestination(2);
    let failure: unknown;
    await migrateStorage(source, destination).catch((err: unknown) => (failure = err));
    expect(String(failure)).to.match(/crash/);
    expect(JSON.parse((await destination.get(MIGRATION_PROGRESS_KEY))?.toString() ?? '{}').last_key).to.equal('logical/m/00498');
    const result = await migrateStorage(source, destination);
    expect(result.resumedAfter).to.equal('logical/m/00498');
    expect(result.copied).to.equal(1235);
    expect(await everything(destination)).to.deep.equal(await everything(source));
  });

  it('copies only keys from -start on', async () => {
    const destination = new MemoryBackend();
    const result = await migrateStorage(source, destination, { start: 'logical/m/01000' });
    expect(result.total).to.equal(234);
    expect([...(await everything(destination)).keys()][0]).to.equal('logical/m/01000');
    expect((await everything(destination)).size).to.equal(234);
  });
});
