import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteBackend } from '../../../server/storage/sqlite-backend.js';
import { SqliteCheckpointer } from '../../../server/storage/sqlite-checkpointer.js';
import { querySqliteFile } from '../../helpers/sqlite-file.js';

const PAGE_BYTES = 4096;
/** A value a few pages' worth of upserts a write: the WAL grows quickly. */
const value = (i: number): Buffer => Buffer.alloc(600, i % 251);
const walBytes = (path: string): number => (existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0);

/** Polls `check` until it holds or the deadline passes (then fails with `description`). */
async function eventually(check: () => boolean, description: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${description}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** `writers` concurrent writers putting new keys back to back until `durationMs` has passed; returns the keys written. */
async function sustainedWrites(store: SqliteBackend, durationMs: number, writers = 8): Promise<string[]> {
  const written: string[] = [];
  const end = Date.now() + durationMs;
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; Date.now() < end; i++) {
        const key = `logical/load/w${w}/k${i}`;
        await store.put(key, value(i));
        written.push(key);
      }
    }),
  );
  return written;
}

describe('SqliteCheckpointer', function () {
  this.timeout(60_000);
  let dir: string;
  let counter = 0;
  const freshPath = (): string => join(dir, `store-${++counter}.db`);
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-checkpointer-test-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('leaves checkpoints to itself: no commit of the writer copies the WAL into the database file', async () => {
    const path = freshPath();
    // The checkpointer parked: only an inline (automatic) checkpoint could touch the database file.
    const store = await SqliteBackend.open({ path, checkpoints: { intervalMs: 3_600_000 } });
    try {
      const before = statSync(path).size;
      for (let i = 0; i < 600; i++) await store.put(`logical/k${i}`, value(i));
      // Far past SQLite's default threshold of 1,000 frames, all still in the WAL.
      expect(walBytes(path)).to.be.greaterThan(1500 * PAGE_BYTES);
      expect(statSync(path).size, 'database file size').to.equal(before);
      expect(store.checkpointStats).to.deep.equal({ passive: 0, blocking: 0, truncate: 0, failed: 0 });
    } finally {
      await store.close();
    }
  });

  it('keeps the WAL bounded under back-to-back writes (checkpoints between commits past the ceiling)', async () => {
    const path = freshPath();
    const ceilingFrames = 300;
    const store = await SqliteBackend.open({ path, checkpoints: { intervalMs: 20, ceilingFrames } });
    try {
      const written = await sustainedWrites(store, 2500);
      const stats = store.checkpointStats;
      expect(stats?.passive, 'background checkpoints').to.be.greaterThan(5);
      expect(stats?.blocking, 'checkpoints between commits at the ceiling').to.be.greaterThan(0);
      // The ceiling plus what commits while a checkpoint waits for its turn, with room to spare (about
      // 1,100 frames here); without the ceiling this run leaves a WAL of tens of thousands of frames.
      expect(walBytes(path), 'WAL file bytes').to.be.lessThan(16 * ceilingFrames * (PAGE_BYTES + 24));
      expect(written.length).to.be.greaterThan(500);
    } finally {
      await store.close();
    }
  });

  it('without the ceiling, the same load lets the WAL grow (the control for the bound above)', async () => {
    const path = freshPath();
    const store = await SqliteBackend.open({ path, checkpoints: { intervalMs: 20, ceilingFrames: Number.POSITIVE_INFINITY } });
    try {
      await sustainedWrites(store, 2500);
      expect(store.checkpointStats?.blocking).to.equal(0);
      expect(walBytes(path), 'WAL file bytes').to.be.greaterThan(16 * 300 * (PAGE_BYTES + 24));
    } finally {
      await store.close();
    }
  });

  it('truncates the WAL file after a quiet spell, and every write is in the database file', async () => {
    const path = freshPath();
    const store = await SqliteBackend.open({ path, checkpoints: { intervalMs: 20, idleMs: 200 } });
    try {
      for (let i = 0; i < 300; i++) await store.put(`logical/k${i}`, value(i));
      // The file is empty as soon as SQLite truncates it, a moment before the checkpoint's count moves.
      await eventually(() => walBytes(path) === 0 && (store.checkpointStats?.truncate ?? 0) >= 1, 'the WAL file to be truncated');
      const rows = await querySqliteFile<{ n: number }>(path, "SELECT count(*) AS n FROM entries WHERE key LIKE 'logical/k%'");
      expect(rows[0]?.n).to.equal(300);
    } finally {
      await store.close();
    }
  });

  it('checkpointing without pause beside the writer fails no commit and loses none', async () => {
    const path = freshPath();
    const store = await SqliteBackend.open({ path, checkpoints: { intervalMs: 3_600_000 } });
    const checkpointer = await SqliteCheckpointer.start({
      path,
      commitCount: () => 0,
      betweenCommits: (job) => job(),
      intervalMs: 3_600_000,
    });
    let done = false;
    let copied = 0;
    let checkpoints = 0;
    const checkpointing = (async () => {
      while (!done) {
        const result = await checkpointer.checkpoint('PASSIVE');
        checkpoints++;
        copied = Math.max(copied, result.checkpointedFrames);
      }
    })();
    let written: string[] = [];
    try {
      written = await sustainedWrites(store, 2000);
    } finally {
      done = true;
      await checkpointing;
      await checkpointer.close();
      await store.close();
    }
    expect(checkpoints).to.be.greaterThan(10);
    expect(copied, 'frames a checkpoint copied').to.be.greaterThan(0);
    const reopened = await SqliteBackend.open({ path });
    try {
      const keys = new Set(await reopened.scanKeys('logical/load/'));
      expect(
        written.filter((k) => !keys.has(k)),
        'acknowledged writes missing',
      ).to.deep.equal([]);
      expect(keys.size).to.equal(written.length);
    } finally {
      await reopened.close();
    }
  });

  it('on close, empties the WAL into the database file and stops', async () => {
    const path = freshPath();
    const store = await SqliteBackend.open({ path, checkpoints: { intervalMs: 3_600_000 } });
    for (let i = 0; i < 200; i++) await store.put(`logical/k${i}`, value(i));
    expect(walBytes(path)).to.be.greaterThan(0);
    await store.close();
    expect(walBytes(path)).to.equal(0);
    const rows = await querySqliteFile<{ n: number }>(path, 'SELECT count(*) AS n FROM entries');
    expect(rows[0]?.n).to.equal(200);
  });
});
