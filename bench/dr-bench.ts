import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import sqlite3 from 'sqlite3';
import { api, BenchServer, stopAllBenchServers, waitUntil } from './bench-cluster.js';
import { firstVisible, type Observation, percentile, pollWal } from './wal-observation.js';

/**
 * The DR benchmark (issue 14), every figure measured in one run on real SQLite server processes on
 * loopback, every load run bounded:
 *
 * (a) stream lag side by side: one primary that is performance primary and DR primary at once, one
 *     secondary of each kind, the load of the performance lag benchmark (`replication-bench.ts` (b):
 *     200 writes/s for 10 s, each secondary's `last_remote_wal` polled every 2 ms); per write, the
 *     time from its acknowledgement to the first poll showing it, p50/p99 per kind;
 * (b) write latency with `replication { dr_synchronous = true }` ÷ without, two primaries each with
 *     a DR secondary: the same paced load (p50/p99), then 10 connections of autocannon in
 *     interleaved rounds (req/s, p50/p99);
 * (c) the recovery point of a `kill -9` of the primary under closed-loop writers, asynchronous and
 *     synchronous, a few runs each: acknowledged writes missing from the DR secondary's storage
 *     file, and how long before the kill the oldest of them was acknowledged.
 */
const DURATION_S = Number(process.env.FERRY_BENCH_SECONDS ?? '5');
const ROUNDS = Number(process.env.FERRY_BENCH_ROUNDS ?? '3');
const CONNECTIONS = 10;
/** The performance lag benchmark's load (replication-bench.ts (b)). */
const LAG_RATE_PER_S = 200;
const LAG_SECONDS = 10;
const POLL_MS = 2;
const KILL_AFTER_ACKS = 400;
const KILL_RUNS = 3;
const VALUE = 'x'.repeat(48);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (ms: number) => `${ms.toFixed(2)}ms`;

type Kind = 'performance' | 'dr';

async function status(server: BenchServer, kind: Kind): Promise<Record<string, any>> {
  return (await api(server.addr, 'GET', `sys/replication/${kind}/status`, '')).data as Record<string, any>;
}

/** Makes `secondary` a `kind` secondary of `primary` and waits until it streams. */
async function activate(primary: BenchServer, secondary: BenchServer, kind: Kind, id: string): Promise<void> {
  const token = await api(primary.addr, 'POST', `sys/replication/${kind}/primary/secondary-token`, primary.rootToken, { id });
  await api(secondary.addr, 'POST', `sys/replication/${kind}/secondary/enable`, secondary.rootToken, { token: token.wrap_info.token });
  secondary.unsealKey = primary.unsealKey;
  secondary.rootToken = '';
  await waitUntil(async () => (await status(secondary, kind)).state === 'stream-wals', 60_000, `the ${kind} secondary to stream`);
}

async function waitCaughtUp(primary: BenchServer, secondaries: ReadonlyArray<readonly [BenchServer, Kind]>): Promise<void> {
  const target = (await status(primary, secondaries[0]?.[1] ?? 'dr')).last_wal as number;
  await waitUntil(
    async () => (await Promise.all(secondaries.map(async ([s, kind]) => ((await status(s, kind)).last_remote_wal as number) >= target))).every(Boolean),
    60_000,
    'the secondaries to catch up',
    5,
  );
}

/** One paced write: when it was sent and acknowledged (ms), and the bounds of its WAL index. */
interface Write {
  readonly sent: number;
  readonly acked: number;
  readonly lower: number;
  readonly upper: number;
}

/**
 * `total` writes at LAG_RATE_PER_S to unique keys, each answered before it counts. A write's WAL
 * index lies between (writes acknowledged before it was sent) + 1 and (writes sent so far): writes
 * are the only replicated changes.
 */
async function pacedWrites(primary: BenchServer, prefix: string, total: number): Promise<Write[]> {
  const base = (await status(primary, 'dr')).last_wal as number;
  const intervalMs = 1000 / LAG_RATE_PER_S;
  const writes: Write[] = [];
  let started = 0;
  let acked = 0;
  const inflight: Promise<void>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = t0 + i * intervalMs - performance.now();
    if (wait > 0) await sleep(wait);
    inflight.push(
      (async () => {
        const lower = base + acked + 1;
        started++;
        const upper = base + started;
        const sent = performance.now();
        await api(primary.addr, 'POST', `kv/${prefix}/k${i}`, primary.rootToken, { value: `${prefix}-${i}-${randomBytes(6).toString('hex')}` });
        acked++;
        writes.push({ sent, acked: performance.now(), lower, upper });
      })(),
    );
  }
  await Promise.all(inflight);
  return writes;
}

// ---- (a) lag, performance and DR side by side ----

async function measureLagSideBySide(): Promise<string[]> {
  const [primary, perf, dr] = await Promise.all([BenchServer.start(), BenchServer.start(), BenchServer.start()]);
  await api(primary.addr, 'POST', 'sys/mounts/kv', primary.rootToken, { type: 'kv' });
  await api(primary.addr, 'POST', 'sys/replication/performance/primary/enable', primary.rootToken, {});
  await api(primary.addr, 'POST', 'sys/replication/dr/primary/enable', primary.rootToken, {});
  await activate(primary, perf, 'performance', 'regional');
  await activate(primary, dr, 'dr', 'dr-twin');
  const secondaries = [
    [perf, 'performance'],
    [dr, 'dr'],
  ] as const;
  await waitCaughtUp(primary, secondaries);
  let isFinished = false;
  const observations = secondaries.map(() => [] as Observation[]);
  const pollers = secondaries.map(([s, kind], i) =>
    pollWal(
      async () => (await status(s, kind)).last_remote_wal as number,
      () => isFinished,
      observations[i] as Observation[],
      POLL_MS,
    ),
  );
  const total = LAG_RATE_PER_S * LAG_SECONDS;
  const writes = await pacedWrites(primary, 'lag', total);
  const last = Math.max(...writes.map((w) => w.upper));
  try {
    await waitUntil(async () => observations.every((o) => (o[o.length - 1]?.wal ?? 0) >= last), 30_000, 'both secondaries to apply every write', 5);
  } finally {
    isFinished = true;
    await Promise.all(pollers);
  }
  const latencies = writes.map((w) => w.acked - w.sent);
  const lagOf = (obs: readonly Observation[]) => writes.map((w) => Math.max(0, (firstVisible(obs, w.upper) as number) - w.acked));
  const [perfLag, drLag] = observations.map(lagOf) as [number[], number[]];
  const exact = writes.filter((w) => w.lower === w.upper).length;
  await Promise.all([primary.dispose(), perf.dispose(), dr.dispose()]);
  return [
    `(a) stream lag side by side: one primary (performance + DR), one secondary of each kind, ${total} writes at ${LAG_RATE_PER_S}/s (the performance lag benchmark's load), last_remote_wal polled every ${POLL_MS}ms; WAL index exact for ${exact}/${writes.length} writes, an upper bound for the rest`,
    `    primary write latency p50 ${fmt(percentile(latencies, 50))}, p99 ${fmt(percentile(latencies, 99))}`,
    `    performance secondary lag p50 ${fmt(percentile(perfLag, 50))}, p99 ${fmt(percentile(perfLag, 99))}`,
    `    DR secondary lag          p50 ${fmt(percentile(drLag, 50))}, p99 ${fmt(percentile(drLag, 99))} → DR ÷ performance: p50 ${(percentile(drLag, 50) / percentile(perfLag, 50)).toFixed(2)}×, p99 ${(percentile(drLag, 99) / percentile(perfLag, 99)).toFixed(2)}×`,
  ];
}

// ---- (b) synchronous DR write latency, (c) the recovery point of a kill ----

interface DrPair {
  readonly label: string;
  readonly primary: BenchServer;
  readonly secondary: BenchServer;
}

async function startDrPair(label: string, extraConfig: string): Promise<DrPair> {
  const [primary, secondary] = await Promise.all([BenchServer.start({ extraConfig }), BenchServer.start()]);
  await api(primary.addr, 'POST', 'sys/mounts/kv', primary.rootToken, { type: 'kv' });
  await api(primary.addr, 'POST', 'sys/replication/dr/primary/enable', primary.rootToken, {});
  await activate(primary, secondary, 'dr', 'dr-twin');
  return { label, primary, secondary };
}

async function autocannonWrites(pair: DrPair, prefix: string, durationS = DURATION_S): Promise<autocannon.Result> {
  const result = await autocannon({
    url: pair.primary.addr,
    connections: CONNECTIONS,
    duration: durationS,
    idReplacement: true,
    requests: [
      {
        method: 'POST',
        path: `/v1/kv/${prefix}/[<id>]`,
        headers: { 'x-vault-token': pair.primary.rootToken, 'content-type': 'application/json' },
        body: `{"value":"[<id>]-${VALUE}"}`,
      },
    ],
  });
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0)
    throw new Error(`${pair.label}: load run had ${result.non2xx} non-2xx answers, ${result.errors} errors, ${result.timeouts} timeouts`);
  return result;
}

async function measureSynchronousLatency(off: DrPair, on: DrPair): Promise<string[]> {
  // Warm-up (JIT, SQLite page cache, the streams) on both, not counted.
  for (const pair of [off, on]) await autocannonWrites(pair, 'warm', 1);
  const paced = async (pair: DrPair) => (await pacedWrites(pair.primary, 'paced', LAG_RATE_PER_S * LAG_SECONDS)).map((w) => w.acked - w.sent);
  const [pacedOff, pacedOn] = [await paced(off), await paced(on)];
  const samples = { off: [] as autocannon.Result[], on: [] as autocannon.Result[] };
  for (let round = 0; round < ROUNDS; round++) {
    samples.off.push(await autocannonWrites(off, `load${round}`));
    samples.on.push(await autocannonWrites(on, `load${round}`));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const figure = (results: autocannon.Result[]) => ({
    rps: median(results.map((r) => r.requests.average)),
    p50: median(results.map((r) => r.latency.p50)),
    p99: median(results.map((r) => r.latency.p99)),
  });
  const [a, b] = [figure(samples.off), figure(samples.on)];
  const ratio = (x: number, y: number) => `${(x / y).toFixed(2)}×`;
  return [
    `(b) write latency with dr_synchronous = true ÷ without, each primary with one DR secondary`,
    `    paced ${LAG_RATE_PER_S}/s for ${LAG_SECONDS}s: off p50 ${fmt(percentile(pacedOff, 50))}, p99 ${fmt(percentile(pacedOff, 99))}; on p50 ${fmt(percentile(pacedOn, 50))}, p99 ${fmt(percentile(pacedOn, 99))} → on ÷ off: p50 ${ratio(percentile(pacedOn, 50), percentile(pacedOff, 50))}, p99 ${ratio(percentile(pacedOn, 99), percentile(pacedOff, 99))}`,
    `    ${CONNECTIONS} connections, ${DURATION_S}s, medians of ${ROUNDS} interleaved rounds: off ${a.rps.toFixed(0)} req/s, p50 ${a.p50}ms, p99 ${a.p99}ms; on ${b.rps.toFixed(0)} req/s, p50 ${b.p50}ms, p99 ${b.p99}ms → on ÷ off: req/s ${ratio(b.rps, a.rps)}, p50 ${ratio(b.p50, a.p50)}, p99 ${ratio(b.p99, a.p99)}`,
  ];
}

/** The keys of a SQLite storage file under `logical/` whose path contains `/<infix>/` (read-only). */
function storedKeys(path: string, infix: string): Promise<Set<string>> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(path, sqlite3.OPEN_READONLY, (openErr) => {
      if (openErr) return reject(openErr);
      db.configure('busyTimeout', 5000);
      db.all(`SELECT key FROM entries WHERE key LIKE 'logical/%/${infix}/%'`, (err, rows: { key: string }[]) =>
        db.close(() => (err ? reject(err) : resolve(new Set(rows.map((r) => r.key.slice(r.key.indexOf(`/${infix}/`) + 1)))))),
      );
    });
  });
}

/**
 * Kills the primary (SIGKILL) under a closed-loop load of CONNECTIONS writers, each sending its next
 * write (a unique KV v1 key) as soon as the previous one is answered, then reads the DR secondary's
 * storage file: an acknowledged write whose key is not there is lost (exact, not estimated).
 */
async function measureRecoveryPoint(pair: DrPair): Promise<RecoveryPoint> {
  await waitCaughtUp(pair.primary, [[pair.secondary, 'dr']]);
  const acknowledged = new Map<string, number>();
  let killedAt = 0;
  const writer = async (w: number): Promise<void> => {
    for (let i = 0; killedAt === 0; i++) {
      const key = `kill/w${w}-${i}`;
      try {
        await api(pair.primary.addr, 'POST', `kv/${key}`, pair.primary.rootToken, { value: `${w}-${i}-${randomBytes(6).toString('hex')}` });
      } catch {
        return; // unanswered: the primary is gone
      }
      acknowledged.set(key, performance.now());
    }
  };
  const writers = Promise.all(Array.from({ length: CONNECTIONS }, (_, w) => writer(w)));
  await waitUntil(async () => acknowledged.size >= KILL_AFTER_ACKS, 60_000, 'writes before the kill', 1);
  const kill = pair.primary.kill9();
  killedAt = performance.now();
  await kill;
  await writers;
  await waitUntil(async () => (await status(pair.secondary, 'dr')).connection_state !== 'ready', 30_000, 'the DR secondary to notice', 20);
  const present = await storedKeys(pair.secondary.dbPath, 'kill');
  const lostAcks = [...acknowledged].filter(([key]) => !present.has(key)).map(([, at]) => at);
  return { acknowledged: acknowledged.size, lost: lostAcks.length, windowMs: lostAcks.length === 0 ? 0 : killedAt - Math.min(...lostAcks) };
}

interface RecoveryPoint {
  readonly acknowledged: number;
  /** Acknowledged writes missing on the DR secondary. */
  readonly lost: number;
  /** From the acknowledgement of the oldest lost write to the kill. */
  readonly windowMs: number;
}

async function measureRecoveryPoints(label: string, extraConfig: string): Promise<string> {
  const runs: RecoveryPoint[] = [];
  for (let run = 0; run < KILL_RUNS; run++) {
    const pair = await startDrPair(label, extraConfig);
    runs.push(await measureRecoveryPoint(pair));
    await Promise.all([pair.primary.dispose(), pair.secondary.dispose()]);
  }
  const each = runs.map((r) => `${r.lost} of ${r.acknowledged} in ${fmt(r.windowMs)}`).join('; ');
  const most = Math.max(...runs.map((r) => r.lost));
  const longest = Math.max(...runs.map((r) => r.windowMs));
  return `    ${label.padEnd(13)} lost (acknowledged writes, window): ${each} — at most ${most} writes, ${fmt(longest)}`;
}

/** Runs (a)–(c) and returns the report lines. */
export async function runDrBench(): Promise<string[]> {
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  const lines = [`Ferry DR benchmark — SQLite servers on loopback, one run; ${cpus().length} CPUs, load average at start ${load()}`];
  try {
    lines.push(...(await measureLagSideBySide()));
    const off = await startDrPair('asynchronous', '');
    const on = await startDrPair('synchronous', 'replication {\n  dr_synchronous = true\n}');
    lines.push(...(await measureSynchronousLatency(off, on)));
    await Promise.all([off.primary.dispose(), off.secondary.dispose(), on.primary.dispose(), on.secondary.dispose()]);
    lines.push(
      `(c) recovery point of a kill -9 of the primary, ${CONNECTIONS} closed-loop writers, after ${KILL_AFTER_ACKS} acknowledged writes, checked in the DR secondary's storage file; ${KILL_RUNS} runs per mode`,
    );
    lines.push(await measureRecoveryPoints('asynchronous', ''));
    lines.push(await measureRecoveryPoints('synchronous', 'replication {\n  dr_synchronous = true\n}'));
  } finally {
    await stopAllBenchServers();
  }
  lines.push(`load average at end ${load()}`);
  return lines;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runDrBench()
    .then((lines) => process.stdout.write(lines.join('\n') + '\n'))
    .catch(async (err) => {
      process.stderr.write(`DR bench failed: ${(err as Error).stack ?? String(err)}\n`);
      await stopAllBenchServers();
      process.exitCode = 1;
    });
}
