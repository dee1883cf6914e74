import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sqlite3 from 'sqlite3';
import { readSnapshotFile } from '../server/core/snapshot/snapshot-reader.js';
import { writeSnapshot } from '../server/core/snapshot/snapshot-writer.js';
import type { StorageOp } from '../server/storage/backend.js';
import { SqliteBackend } from '../server/storage/sqlite-backend.js';

const KEYS = Number(process.env.FERRY_BENCH_SNAPSHOT_KEYS ?? '50000');
const VALUE_BYTES = 256;

function vacuumInto(dbPath: string, target: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(dbPath, (err) => {
      if (err) return reject(err);
      db.exec(`VACUUM INTO '${target.replace(/'/g, "''")}'`, (execErr) => db.close(() => (execErr ? reject(execErr) : resolve())));
    });
  });
}

const mb = (bytes: number, ms: number): string => ((bytes / 1024 / 1024) * (1000 / ms)).toFixed(1);
const kps = (keys: number, ms: number): string => Math.round((keys * 1000) / ms).toString();

/**
 * Snapshot throughput on a SQLite store of KEYS keys (256-byte values, as barrier ciphertexts are
 * opaque bytes): save = one consistent read streamed to a snapshot file (header, NDJSON entries,
 * SHA-256); restore = read and verify the file whole, then replace all keys of a store in one
 * transaction (what `sys/storage/raft/snapshot` does, minus the seal and unseal around it). The
 * baseline is SQLite's own online copy of the same file (`VACUUM INTO`). In-process, no HTTP.
 */
export async function runSnapshotBench(): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-bench-snapshot-'));
  try {
    const source = await SqliteBackend.open({ path: join(dir, 'source.db'), synchronous: 'NORMAL' });
    for (let i = 0; i < KEYS; i += 1000) {
      const ops: StorageOp[] = [];
      for (let j = i; j < Math.min(KEYS, i + 1000); j++)
        ops.push({ op: 'put', key: `logical/bench/${String(j).padStart(8, '0')}`, value: randomBytes(VALUE_BYTES) });
      await source.transaction(ops);
    }
    const dbBytes = statSync(join(dir, 'source.db')).size;

    let t = performance.now();
    await vacuumInto(join(dir, 'source.db'), join(dir, 'raw-backup.db'));
    const rawMs = performance.now() - t;

    // Writes go on during the save: one put per transaction, back to back, latencies recorded.
    let writing = true;
    const latencies: number[] = [];
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        const w = performance.now();
        await source.put(`logical/during/${i}`, randomBytes(VALUE_BYTES));
        latencies.push(performance.now() - w);
      }
    })();
    t = performance.now();
    const out = createWriteStream(join(dir, 'bench.snap'));
    const read = await source.consistentRead();
    const summary = await writeSnapshot(
      read,
      {
        ferry_snapshot: 1,
        cluster_id: 'bench',
        replication: { role: 'disabled', epoch: 0, last_wal: 0 },
        created_at: new Date().toISOString(),
        storage: 'sqlite',
      },
      (chunk) => new Promise<void>((resolve) => (out.write(chunk) ? resolve() : out.once('drain', resolve))),
    );
    await read.release();
    await new Promise<void>((resolve) => out.end(resolve));
    const saveMs = performance.now() - t;
    writing = false;
    await writer;
    await source.close();
    const sorted = [...latencies].sort((a, b) => a - b);
    const p50 = sorted[Math.floor(sorted.length / 2)] ?? 0;
    const worst = sorted[sorted.length - 1] ?? 0;

    const target = await SqliteBackend.open({ path: join(dir, 'target.db') });
    t = performance.now();
    const snapshot = await readSnapshotFile(join(dir, 'bench.snap'));
    await target.transaction([{ op: 'delete-prefix', prefix: '' }, ...snapshot.entries.map((e): StorageOp => ({ op: 'put', key: e.key, value: e.value }))]);
    const restoreMs = performance.now() - t;
    await target.close();

    return [
      `snapshot (${KEYS} keys, ${(dbBytes / 1024 / 1024).toFixed(1)} MB SQLite file, snapshot ${(summary.bytes / 1024 / 1024).toFixed(1)} MB):`,
      `  raw SQLite backup (VACUUM INTO): ${rawMs.toFixed(0)} ms, ${kps(KEYS, rawMs)} keys/s, ${mb(dbBytes, rawMs)} MB/s of database`,
      `  snapshot save:    ${saveMs.toFixed(0)} ms, ${kps(KEYS, saveMs)} keys/s, ${mb(dbBytes, saveMs)} MB/s of database; ${(rawMs / saveMs).toFixed(2)}× the raw backup's throughput`,
      `  writes during the save: ${latencies.length} commits, p50 ${p50.toFixed(1)} ms, max ${worst.toFixed(1)} ms (the save holds no write lock)`,
      `  snapshot restore: ${restoreMs.toFixed(0)} ms, ${kps(KEYS, restoreMs)} keys/s, ${mb(dbBytes, restoreMs)} MB/s of database; ${(rawMs / restoreMs).toFixed(2)}× the raw backup's throughput`,
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
