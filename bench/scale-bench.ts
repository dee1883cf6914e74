import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { activateSecondary, api, BenchServer, stopAllBenchServers, waitUntil } from './bench-cluster.js';
import { recordBenchResult, type ScalePoint, type ScaleResult } from './bench-results.js';
import { measurePausedSecondary } from './paused-secondary-bench.js';
import { rssBytes } from './process-rss.js';

/**
 * The scale suite (issue #15): at 10k, 100k and 1M keys (`--keys 10000,50000` or
 * `FERRY_BENCH_SCALE_KEYS` overrides), on one primary grown step by step:
 * - seeding: KV v1 keys written into the stopped primary's SQLite file through the real barrier
 *   by a separate process (scale-seed.ts), then the primary restarted on that file (its start
 *   rebuilds the Merkle index from storage);
 * - bootstrap: a fresh secondary, secondary/enable → streaming with the primary's Merkle root;
 * - Merkle diff: the secondary stopped, DIFF_UPDATES keys updated and as many added on the
 *   primary (more than the WAL retention), the secondary restarted: its resync's bytes and time;
 * - RSS (VmRSS) of both processes after all that, settled.
 * Then primary RSS while a secondary is SIGSTOPped under a steady write load (paused-secondary-bench).
 */
const DEFAULT_SIZES = [10_000, 100_000, 1_000_000];
const WAL_RETENTION = 100;
const DIFF_UPDATES = 300;
const SETTLE_MS = 3000;
/** `FERRY_BENCH_SCALE_BIN=/path/to/other/bin/ferry.js` runs the servers of another build (a baseline). */
const bin = process.env.FERRY_BENCH_SCALE_BIN;
const withBin = <T extends object>(options: T): T & { bin?: string } => (bin === undefined ? options : { ...options, bin });

export function scaleSizes(argv: readonly string[] = process.argv): number[] {
  const at = argv.indexOf('--keys');
  const raw = at >= 0 ? argv[at + 1] : process.env.FERRY_BENCH_SCALE_KEYS;
  if (raw === undefined) return DEFAULT_SIZES;
  const sizes = raw.split(',').map((s) => Number(s.trim().replace(/_/g, '')));
  if (sizes.some((n) => !Number.isInteger(n) || n < 1000)) throw new Error(`--keys wants comma-separated sizes ≥ 1000, got "${raw}"`);
  return [...sizes].sort((a, b) => a - b);
}

function fileBytes(path: string): number {
  return [path, `${path}-wal`].reduce((sum, p) => sum + (existsSync(p) ? statSync(p).size : 0), 0);
}

function runSeeder(db: string, unsealKey: string, mountUuid: string, first: number, count: number): Promise<void> {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'scale-seed.js'), db, unsealKey, mountUuid, String(first), String(count)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) =>
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`seeding failed (exit ${code}): ${err.slice(-500)}`)))),
  );
}

async function inParallel(count: number, concurrency: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await job(next++);
    }),
  );
}

async function converged(primary: BenchServer, secondary: BenchServer): Promise<boolean> {
  const [p, s] = await Promise.all([primary.replicationStatus(), secondary.replicationStatus()]);
  return s.state === 'stream-wals' && s.merkle_root === p.merkle_root;
}

async function measurePoint(
  primary: BenchServer,
  keys: number,
  seedSeconds: number,
  primaryStartSeconds: number,
  isFirst: boolean,
  result: ScalePoint[],
): Promise<ScaleResult['paused']> {
  progress(`${keys} keys: bootstrapping a secondary`);
  const secondary = await BenchServer.start(withBin({ startTimeoutMs: 10 * 60_000 }));
  const bootStarted = performance.now();
  await activateSecondary(primary, secondary, `scale-${keys}`);
  await waitUntil(() => converged(primary, secondary), 30 * 60_000, `the secondary to bootstrap ${keys} keys`, 50);
  const bootstrapSeconds = (performance.now() - bootStarted) / 1000;

  progress(`${keys} keys: bootstrapped in ${bootstrapSeconds.toFixed(1)}s; Merkle diff`);
  // Merkle diff: more changes than the WAL retains while the secondary is down.
  await secondary.stop();
  const token = primary.rootToken;
  const stride = Math.max(1, Math.floor(keys / DIFF_UPDATES));
  await inParallel(DIFF_UPDATES * 2, 8, async (i) => {
    const path = i < DIFF_UPDATES ? `kv/scale/key-${i * stride}` : `kv/scale-added-${keys}/key-${i}`;
    await api(primary.addr, 'POST', path, token, { value: `changed-${i}` });
  });
  await secondary.restart();
  await waitUntil(
    async () => (await converged(primary, secondary)) && ((await secondary.replicationStatus()).merkle_sync_last?.keys ?? 0) > 0,
    30 * 60_000,
    `the secondary to resync ${keys} keys`,
    50,
  );
  const last = (await secondary.replicationStatus()).merkle_sync_last as { keys: number; bytes: number; duration_ms: number };
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  result.push({
    keys,
    seedSeconds,
    primaryStartSeconds,
    bootstrapSeconds,
    diffKeys: last.keys,
    diffBytes: last.bytes,
    diffMs: last.duration_ms,
    primaryRssBytes: rssBytes(primary.pid),
    secondaryRssBytes: rssBytes(secondary.pid),
    dbBytes: fileBytes(primary.dbPath),
  });
  if (isFirst) progress(`${keys} keys: a secondary paused under load`);
  const paused = isFirst ? await measurePausedSecondary(primary, secondary, keys) : undefined;
  const p = result[result.length - 1] as ScalePoint;
  progress(`${keys} keys: ${JSON.stringify(p)}`);
  await secondary.dispose();
  return paused;
}

/** Progress on stderr: the suite takes minutes. */
const progress = (what: string) => process.stderr.write(`scale: ${what}\n`);

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

export async function runScaleBench(): Promise<string[]> {
  const sizes = scaleSizes();
  const points: ScalePoint[] = [];
  let paused: ScaleResult['paused'];
  try {
    const primary = await BenchServer.start(
      withBin({ extraConfig: `replication {\n  logshipper_buffer_length = ${WAL_RETENTION}\n}`, startTimeoutMs: 10 * 60_000 }),
    );
    await api(primary.addr, 'POST', 'sys/mounts/kv', primary.rootToken, { type: 'kv' });
    const mounts = await api(primary.addr, 'GET', 'sys/mounts', primary.rootToken);
    const uuid = (mounts.data?.['kv/'] ?? mounts['kv/'])?.uuid as string | undefined;
    if (uuid === undefined) throw new Error('no uuid for the kv/ mount in sys/mounts');
    await api(primary.addr, 'POST', 'sys/replication/primary/enable', primary.rootToken, {});
    let seeded = 0;
    for (const keys of sizes) {
      await primary.stop();
      progress(`seeding ${keys - seeded} keys`);
      const seedStarted = performance.now();
      await runSeeder(primary.dbPath, primary.unsealKey, uuid, seeded, keys - seeded);
      const seedSeconds = (performance.now() - seedStarted) / 1000;
      seeded = keys;
      progress(`${keys} keys: starting the primary`);
      const startStarted = performance.now();
      await primary.restart();
      const primaryStartSeconds = (performance.now() - startStarted) / 1000;
      paused = (await measurePoint(primary, keys, seedSeconds, primaryStartSeconds, keys === sizes[0], points)) ?? paused;
    }
  } finally {
    await stopAllBenchServers();
  }
  const result: ScaleResult = { measuredAt: new Date().toISOString(), points, ...(paused === undefined ? {} : { paused }) };
  recordBenchResult('scale', result);
  const base = points[0] as ScalePoint;
  const top = points[points.length - 1] as ScalePoint;
  const lines = [
    `Scale: one primary grown to ${sizes.map((n) => n.toLocaleString('en-US')).join(' / ')} keys (seeded through the barrier), a fresh secondary bootstrapped at each size; WAL retention ${WAL_RETENTION}`,
    ...points.map(
      (p) =>
        `  ${p.keys.toLocaleString('en-US').padStart(9)} keys: db ${mb(p.dbBytes)}, primary start ${p.primaryStartSeconds.toFixed(1)}s, bootstrap ${p.bootstrapSeconds.toFixed(1)}s; ` +
        `Merkle diff of ${p.diffKeys} keys ${(p.diffBytes / 1024).toFixed(0)} KB in ${p.diffMs} ms; RSS primary ${mb(p.primaryRssBytes)}, secondary ${mb(p.secondaryRssBytes)}`,
    ),
  ];
  if (points.length > 1) {
    const pr = top.primaryRssBytes / base.primaryRssBytes;
    const sr = top.secondaryRssBytes / base.secondaryRssBytes;
    lines.push(
      `  goal: RSS at ${top.keys.toLocaleString('en-US')} keys ≤ 1.5× RSS at ${base.keys.toLocaleString('en-US')} — measured primary ${pr.toFixed(2)}×, secondary ${sr.toFixed(2)}× ${pr <= 1.5 && sr <= 1.5 ? '(met)' : '(MISSED)'}`,
    );
  }
  if (paused !== undefined) {
    const rss = paused.samples.map((s) => s.rssBytes);
    const first = rss[0] as number;
    const max = Math.max(...rss);
    lines.push(
      `Paused secondary: one secondary SIGSTOPped for ${paused.seconds}s while the primary took ${paused.writes} writes (${paused.ratePerS}/s, 2 KB values): ` +
        `primary RSS ${mb(first)} at the start, max ${mb(max)} (+${mb(max - first)}), ${mb(rss[rss.length - 1] as number)} at the end; ` +
        `after SIGCONT the secondary caught up in ${(paused.caughtUpMs / 1000).toFixed(1)}s`,
    );
  }
  return lines;
}
