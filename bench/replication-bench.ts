import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import sqlite3 from 'sqlite3';
import { VaultClient } from '../server/api-client/vault-client.js';
import { parseWalState } from '../server/core/wal-state.js';
import { performanceKeyset } from '../server/replication/keyset.js';
import { firstVisible, type Observation, percentile, pollWal } from './wal-observation.js';
import { describeLoopDelay, type LoopDelayScrape, scrapeLoopDelay, scrapeMetric } from './event-loop-scrape.js';
import { activateSecondary, api, BenchServer, stopAllBenchServers, waitUntil } from './bench-cluster.js';
import { recordBenchResult } from './bench-results.js';
import { baselinePath } from './baseline-build.js';
import { countWindowsHit, watchFileWrites } from './file-write-watch.js';
import { diskDelta, diskStats, machineCpu, processIo, traceFlushes } from './process-io.js';
import { addSched, addTimes, NO_SCHED, type ProcessSched, readThreads, schedBetween, setIdlePolicy } from './thread-scheduling.js';

/**
 * The replication benchmark (issues 4 and 5), every figure measured in one run on real SQLite
 * server processes on loopback, every load run bounded:
 *
 * (a) primary KV write throughput with 2 streaming secondaries ÷ a twin primary with replication
 *     never enabled (same config), runs interleaved (goal ≥ 0.85);
 * (b) replication lag under a steady write rate: each write's WAL index is the one its answer's
 *     `X-Vault-Index` names (a build without the header: bounded from the write counts, as
 *     before; that bound is printed beside it for one release; the answer names the primary's replicated
 *     watermark when the write finished: its own entry's index, or a write's committed with it), and its visibility
 *     time is when the secondary's `last_remote_wal` reached it, by the secondary's own stream trace;
 *     p50/p99 ÷ the primary's write latency p50 (goal p99 ≤ 3×). That run asks the secondaries for
 *     their status only every 50 ms (to know when they are done): a 2 ms poll is 500 status requests a
 *     second to each secondary, more than the 200 writes a second it replicates, and slows what it
 *     measures. A second run then polls every 2 ms, as an outside check of the traces, printed beside
 *     (a build without traces: the 2 ms poll is the figure);
 * (c) secondary bootstrap keys/s for 50,000 keys (secondary/enable → `stream-wals`) ÷ raw sqlite3
 *     bulk insert of 50,000 rows of the same sizes, one transaction, prepared statement (goal ≥ 0.3);
 * (d) Merkle resync bytes ÷ bytes of the changed entries, for the scenario of
 *     test/e2e/replication-merkle-resync.test.ts and for the same changes over a 10× keyspace.
 */
const DURATION_S = Number(process.env.FERRY_BENCH_SECONDS ?? '5');
const ROUNDS = Number(process.env.FERRY_BENCH_ROUNDS ?? '3');
const CONNECTIONS = 10;
const LAG_RATE_PER_S = 200;
const LAG_SECONDS = Number(process.env.FERRY_BENCH_LAG_SECONDS ?? '10');
/** `FERRY_BENCH_LAG_ROUNDS=n` alternates the builds' lag runs n times and pools each build's samples. */
const LAG_ROUNDS = Number(process.env.FERRY_BENCH_LAG_ROUNDS ?? '1');
const POLL_MS = 2;
/** A quiet lag run's status poll: only to tell when the secondaries have applied every write. */
const QUIET_POLL_MS = 50;
/** The replication trace is flushed every 500 ms: wait this long after the last write was seen before reading it. */
const TRACE_FLUSH_WAIT_MS = 700;
const BOOTSTRAP_KEYS = Number(process.env.FERRY_BENCH_BOOTSTRAP_KEYS ?? '50000');
const VALUE = 'x'.repeat(48);
/** `FERRY_BENCH_ONLY=a,b` runs only those parts (for profiling one of them). */
const only = (part: string): boolean => (process.env.FERRY_BENCH_ONLY ?? 'a,b,c,d').split(',').includes(part);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A bounded autocannon run of POSTs to unique keys under `kv/<prefix>/`; requests/s. */
async function writeLoad(
  base: string,
  token: string,
  prefix: string,
  options: { durationS?: number; amount?: number; connections?: number } = {},
): Promise<autocannon.Result> {
  const result = await autocannon({
    url: base,
    connections: options.connections ?? CONNECTIONS,
    ...(options.amount === undefined ? { duration: options.durationS ?? DURATION_S } : { amount: options.amount }),
    idReplacement: true,
    requests: [
      {
        method: 'POST',
        path: `/v1/kv/${prefix}/[<id>]`,
        headers: { 'x-vault-token': token, 'content-type': 'application/json' },
        body: `{"value":"[<id>]-${VALUE}"}`,
      },
    ],
  });
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0)
    throw new Error(`load run had ${result.non2xx} non-2xx answers, ${result.errors} errors, ${result.timeouts} timeouts`);
  return result;
}

async function waitCaughtUp(primary: BenchServer, secondaries: readonly BenchServer[], timeoutMs: number): Promise<number> {
  const started = Date.now();
  const target = (await primary.replicationStatus()).last_wal as number;
  await waitUntil(
    async () => {
      const all = await Promise.all(secondaries.map((s) => s.replicationStatus()));
      return all.every((s) => s.state === 'stream-wals' && s.last_remote_wal >= target);
    },
    timeoutMs,
    'the secondaries to catch up',
  );
  return Date.now() - started;
}

// ---- (a) throughput ----

/**
 * Pins every thread of the given processes to `cpuList` (taskset, Linux); false when not possible.
 * Used to keep the secondaries and the load generator off the primary's CPU, as separate hosts would.
 */
function pin(pids: readonly (number | undefined)[], cpuList: string): boolean {
  for (const pid of pids) {
    if (pid === undefined) return false;
    const r = spawnSync('taskset', ['-a', '-p', '-c', cpuList, String(pid)], { stdio: 'ignore' });
    if (r.status !== 0) return false;
  }
  return true;
}

type Placement = 'shared' | 'pinned';

/**
 * Where a cluster's SQLite files live: the temp dir's disk (the goal's placement), or tmpfs
 * (`/dev/shm`) for the secondaries only or for every process — each a disk of its own, printed beside
 * the goal's figures to tell the shared disk's share of the miss from the shared CPUs'.
 * `FERRY_BENCH_DISK_PLACEMENTS=secondaries-tmpfs,all-tmpfs` adds this build's clusters so placed.
 */
type DiskPlacement = 'disk' | 'secondaries-tmpfs' | 'all-tmpfs';
const TMPFS = '/dev/shm';

/** One build's twin primaries (replication off / on) and the on side's 2 secondaries. */
interface StreamingCluster {
  readonly label: string;
  readonly disk: DiskPlacement;
  readonly off: BenchServer;
  readonly on: BenchServer;
  /**
   * A third primary with replication enabled and no secondary attached (this build, the goal's disk
   * placement): its writes pay for the WAL and nothing else, which splits the miss between keeping
   * the WAL and streaming it to secondaries that share the machine.
   */
  readonly walOnly?: BenchServer;
  readonly secondaries: readonly BenchServer[];
}

async function measureThroughput(clusters: readonly StreamingCluster[]): Promise<string[]> {
  const lines: string[] = [];
  const allCpus = `0-${cpus().length - 1}`;
  const everyone = clusters.flatMap((c) => [c.off, c.on, ...(c.walOnly === undefined ? [] : [c.walOnly]), ...c.secondaries]).map((s) => s.pid);
  const place = (placement: Placement, { off, on, secondaries }: StreamingCluster): boolean => {
    if (placement === 'shared') return pin([...everyone, process.pid], allCpus);
    // Both primaries alone on CPU 0; the secondaries and autocannon (this process) on the others.
    return cpus().length >= 2 && pin([off.pid, on.pid], '0') && pin([...secondaries.map((s) => s.pid), process.pid], `1-${cpus().length - 1}`);
  };
  const placements: Placement[] = clusters.every((c) => place('pinned', c)) ? ['shared', 'pinned'] : ['shared'];
  place('shared', clusters[0] as StreamingCluster);
  for (const { off, on, walOnly } of clusters) {
    // Warm-up (JIT, SQLite page cache) on each, not counted.
    for (const server of [off, on, ...(walOnly === undefined ? [] : [walOnly])]) await writeLoad(server.addr, server.rootToken, 'warm', { durationS: 1 });
  }
  const fresh = (): Side => ({
    rps: [],
    requests: 0,
    primaryCpu: 0,
    secondariesCpu: 0,
    primaryWriteBytes: 0,
    primaryWriteCalls: 0,
    secondariesWriteBytes: 0,
    diskFlushes: 0,
    diskFlushMs: 0,
    diskBytes: 0,
    machineBusy: 0,
    machineTotal: 0,
    wallSeconds: 0,
    primarySched: NO_SCHED,
    secondariesSched: NO_SCHED,
    loadGeneratorSched: NO_SCHED,
  });
  const runsOf = new Map(clusters.map((c) => [c, new Map(placements.map((p) => [p, { off: fresh(), on: fresh(), wal: fresh(), idle: fresh() }]))]));
  // Whether the secondaries' threads can be put in SCHED_IDLE for the `idle` side (needs chrt); tried once.
  let canIdle = true;
  for (let round = 0; round < ROUNDS; round++) {
    for (const placement of round % 2 === 0 ? placements : [...placements].reverse()) {
      // Builds interleaved within each round, their order alternating too.
      for (const cluster of round % 2 === 0 ? clusters : [...clusters].reverse()) {
        const { off, on, walOnly, secondaries } = cluster;
        const cpuOfSecondaries = () => secondaries.reduce((sum, s) => sum + s.cpuSeconds(), 0);
        const bytesOfSecondaries = () => secondaries.reduce((sum, s) => sum + processIo(s.pid).writeBytes, 0);
        const secondaryPids = secondaries.map((s) => s.pid);
        place(placement, cluster);
        // Alternate the order so neither side always runs first.
        // The WAL-only primary, and the secondaries idle-scheduled, run in the shared placement only
        // (pinning them says nothing new).
        const sides: SideName[] = walOnly !== undefined && placement === 'shared' ? ['off', 'on', 'wal', ...(canIdle ? ['idle' as const] : [])] : ['off', 'on'];
        for (const side of round % 2 === 0 ? sides : [...sides].reverse()) {
          const server = side === 'off' ? off : side === 'wal' ? (walOnly as BenchServer) : on;
          const acc = (runsOf.get(cluster) as Map<Placement, Sides>).get(placement)?.[side] as Side;
          const streams = side === 'on' || side === 'idle';
          if (side === 'idle' && !setIdlePolicy(secondaryPids, true)) {
            canIdle = false;
            setIdlePolicy(secondaryPids, false);
            continue;
          }
          const schedBefore = { primary: readThreads(server.pid), secondaries: secondaries.map((s) => readThreads(s.pid)), load: readThreads(process.pid) };
          const wallBefore = performance.now();
          const cpuBefore = server.cpuSeconds();
          const secondariesBefore = cpuOfSecondaries();
          const ioBefore = processIo(server.pid);
          const secondariesIoBefore = bytesOfSecondaries();
          const diskBefore = diskStats();
          const machineBefore = machineCpu();
          const r = await writeLoad(server.addr, server.rootToken, 't');
          acc.wallSeconds += (performance.now() - wallBefore) / 1000;
          acc.primarySched = addSched(acc.primarySched, schedBetween(server.pid, schedBefore.primary, readThreads(server.pid)));
          acc.loadGeneratorSched = addSched(acc.loadGeneratorSched, schedBetween(process.pid, schedBefore.load, readThreads(process.pid)));
          if (streams)
            for (const [i, s] of secondaries.entries())
              acc.secondariesSched = addSched(acc.secondariesSched, schedBetween(s.pid, schedBefore.secondaries[i] ?? new Map(), readThreads(s.pid)));
          if (side === 'idle' && !setIdlePolicy(secondaryPids, false)) throw new Error('could not put the secondaries back in the normal scheduling policy');
          const machineAfter = machineCpu();
          const disk = diskDelta(diskBefore, diskStats());
          acc.machineBusy += machineAfter.busy - machineBefore.busy;
          acc.machineTotal += machineAfter.total - machineBefore.total;
          const ioAfter = processIo(server.pid);
          acc.primaryCpu += server.cpuSeconds() - cpuBefore;
          acc.primaryWriteBytes += ioAfter.writeBytes - ioBefore.writeBytes;
          acc.primaryWriteCalls += ioAfter.writeCalls - ioBefore.writeCalls;
          acc.diskFlushes += disk.flushes;
          acc.diskFlushMs += disk.flushMs;
          acc.diskBytes += disk.bytesWritten;
          if (streams) {
            acc.secondariesCpu += cpuOfSecondaries() - secondariesBefore;
            acc.secondariesWriteBytes += bytesOfSecondaries() - secondariesIoBefore;
          }
          acc.requests += r.requests.total;
          acc.rps.push(r.requests.average);
        }
      }
    }
  }
  place('shared', clusters[0] as StreamingCluster);
  for (const cluster of clusters) lines.push(...(await reportThroughput(cluster, runsOf.get(cluster) as Map<Placement, Sides>, clusters.length > 1)));
  return lines;
}

/**
 * One placement's sides: replication off, on with 2 secondaries, on with none (`wal`, when measured),
 * and on with the same 2 secondaries in SCHED_IDLE (`idle`, when measured: they get a CPU only when
 * nothing else wants one, which leaves the primary's own cost of streaming).
 */
interface Sides {
  readonly off: Side;
  readonly on: Side;
  readonly wal: Side;
  readonly idle: Side;
}

type SideName = keyof Sides;

interface Side {
  rps: number[];
  requests: number;
  primaryCpu: number;
  secondariesCpu: number;
  /** `/proc/<pid>/io` write_bytes and syscw deltas over the runs (bytes sent to storage, write calls). */
  primaryWriteBytes: number;
  primaryWriteCalls: number;
  secondariesWriteBytes: number;
  /** The whole machine's disks over the runs (other processes too): flush requests and bytes written. */
  diskFlushes: number;
  /** The device's time spent on those flushes (ms, /proc/diskstats). */
  diskFlushMs: number;
  diskBytes: number;
  /** The whole machine's CPU ticks over the runs: busy, and all (busy ÷ all = how loaded the box was). */
  machineBusy: number;
  machineTotal: number;
  /** Wall seconds of the runs: a write's share of it is 1 ÷ throughput. */
  wallSeconds: number;
  /**
   * The scheduler's accounting over the runs (see thread-scheduling.ts): on a CPU, and waiting for
   * one — the primary's main thread and its other threads, the secondaries, and this process (autocannon,
   * the load generator).
   */
  primarySched: ProcessSched;
  secondariesSched: ProcessSched;
  loadGeneratorSched: ProcessSched;
}

/** A side's disk traffic a write: each process's bytes sent to storage, and the whole disk's flushes and bytes. */
function describeIo(side: Side, hasSecondaries: boolean): string {
  const per = (x: number) => x / side.requests;
  return (
    `        disk a write: primary ${per(side.primaryWriteBytes).toFixed(0)} B in ${per(side.primaryWriteCalls).toFixed(2)} write calls` +
    (hasSecondaries ? `, secondaries ${per(side.secondariesWriteBytes).toFixed(0)} B together` : '') +
    `; whole disk (every process on the host) ${per(side.diskBytes).toFixed(0)} B, ${per(side.diskFlushes).toFixed(3)} flushes (${((side.diskFlushMs / Math.max(1, side.diskFlushes)) * 1000).toFixed(0)} µs each by the device)` +
    `\n        CPU: the machine ${((100 * side.machineBusy) / Math.max(1, side.machineTotal)).toFixed(0)}% busy (every process on the host)` +
    describeSched(side, hasSecondaries)
  );
}

/**
 * A side's time a write by the scheduler's accounting, in µs: wall time (1 ÷ throughput), then each
 * process's threads on a CPU + runnable but waiting for one. Empty where the kernel does not publish it.
 */
function describeSched(side: Side, hasSecondaries: boolean): string {
  const { primarySched: p, secondariesSched: s, loadGeneratorSched: l } = side;
  if (p.main.cpu === 0) return '';
  const us = (seconds: number) => ((seconds / side.requests) * 1e6).toFixed(1);
  const both = (t: { cpu: number; wait: number }) => `${us(t.cpu)} + ${us(t.wait)}`;
  return (
    `\n        time a write (µs, on a CPU + waiting for one): wall ${us(side.wallSeconds)} (1 ÷ throughput); primary's main thread ${both(p.main)}, its other threads ${both(p.others)}` +
    (hasSecondaries ? `; secondaries ${both(addTimes(s.main, s.others))}` : '') +
    `; load generator ${both(addTimes(l.main, l.others))}`
  );
}

async function reportThroughput({ label, disk, on, secondaries }: StreamingCluster, runs: Map<Placement, Sides>, isLabelled: boolean): Promise<string[]> {
  const catchUpMs = await waitCaughtUp(on, secondaries, 60_000);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const perWriteMs = (cpuSeconds: number, requests: number) => ((cpuSeconds / requests) * 1000).toFixed(3);
  const lastWal = (await on.replicationStatus()).last_wal as number;
  const lines = [
    `(a) KV write throughput (POST to new keys), ${CONNECTIONS} connections, ${ROUNDS}×${DURATION_S}s per side and placement, interleaved${isLabelled ? ` — ${label}` : ''}`,
  ];
  const ratios = new Map<Placement, number>();
  for (const [placement, { off: o, on: n, wal: w, idle: i }] of runs) {
    const ratio = mean(n.rps) / mean(o.rps);
    ratios.set(placement, ratio);
    lines.push(
      placement === 'shared'
        ? `    all processes sharing the ${cpus().length} CPUs:`
        : `    primaries pinned to CPU 0, secondaries and load generator to the other CPU(s) (as separate hosts):`,
      `      replication off (never enabled): ${mean(o.rps).toFixed(0)} req/s [${o.rps.map((r) => r.toFixed(0)).join(', ')}], primary CPU ${perWriteMs(o.primaryCpu, o.requests)}ms/write`,
      describeIo(o, false),
      `      primary + 2 streaming secondaries: ${mean(n.rps).toFixed(0)} req/s [${n.rps.map((r) => r.toFixed(0)).join(', ')}], primary CPU ${perWriteMs(n.primaryCpu, n.requests)}ms/write, secondaries ${perWriteMs(n.secondariesCpu, n.requests)}ms/write together`,
      describeIo(n, true),
      `      ratio ${ratio.toFixed(2)}`,
    );
    if (w.rps.length > 0)
      lines.push(
        `      beside the goal — replication enabled, no secondary attached (the WAL's own cost): ${mean(w.rps).toFixed(0)} req/s [${w.rps.map((r) => r.toFixed(0)).join(', ')}], ${(mean(w.rps) / mean(o.rps)).toFixed(2)} × off, primary CPU ${perWriteMs(w.primaryCpu, w.requests)}ms/write`,
        describeIo(w, false),
      );
    if (w.rps.length > 0 && i.rps.length > 0)
      lines.push(
        `      beside the goal — the same primary and secondaries, the secondaries' threads in SCHED_IDLE (a CPU only when nothing else wants one): ${mean(i.rps).toFixed(0)} req/s [${i.rps.map((r) => r.toFixed(0)).join(', ')}], ${(mean(i.rps) / mean(o.rps)).toFixed(2)} × off, primary CPU ${perWriteMs(i.primaryCpu, i.requests)}ms/write, secondaries ${perWriteMs(i.secondariesCpu, i.requests)}ms/write together`,
        describeIo(i, true),
        `      so of the ${(1 - ratio).toFixed(2)} lost: ${(1 - mean(w.rps) / mean(o.rps)).toFixed(2)} keeping the WAL, ${((mean(w.rps) - mean(i.rps)) / mean(o.rps)).toFixed(2)} the primary's own streaming (secondaries idle-scheduled), ${((mean(i.rps) - mean(n.rps)) / mean(o.rps)).toFixed(2)} the secondaries' demand for the shared CPUs`,
      );
    else if (w.rps.length > 0)
      lines.push(
        `      so of the ${(1 - ratio).toFixed(2)} lost: ${(1 - mean(w.rps) / mean(o.rps)).toFixed(2)} keeping the WAL, ${(mean(w.rps) / mean(o.rps) - ratio).toFixed(2)} streaming it to the 2 secondaries running beside the primary (the idle-scheduled side was not measured: no chrt)`,
      );
  }
  lines.push(`    secondaries caught up ${catchUpMs}ms after the last run (primary last_wal ${lastWal})`);
  const chunks = await scrapeMetric(on, 'ferry_replication_stream_chunks_total');
  lines.push(
    `    primary: ${chunks} chunks of WAL entries written to its ${secondaries.length} secondaries (${((lastWal * secondaries.length) / Math.max(1, chunks)).toFixed(1)} entries a chunk)`,
  );
  for (const [i, s] of secondaries.entries()) {
    const applies = await scrapeMetric(s, 'ferry_replication_applies_total');
    const entries = await scrapeMetric(s, 'ferry_replication_applied_entries_total');
    lines.push(`    secondary ${i + 1}: ${entries} entries in ${applies} applies (${(entries / Math.max(1, applies)).toFixed(1)} an apply)`);
  }
  const shared = runs.get('shared');
  if (shared !== undefined && label === THIS_BUILD && disk === 'disk') {
    recordBenchResult('replication-throughput', {
      measuredAt: new Date().toISOString(),
      title: `Primary KV writes/s, all processes sharing ${cpus().length} CPUs`,
      ceiling: { name: 'replication off', rps: mean(shared.off.rps) },
      bars: [{ name: 'primary + 2 streaming secondaries', rps: mean(shared.on.rps), goalRps: 0.85 * mean(shared.off.rps) }],
    });
  }
  const summary = [...ratios].map(([p, r]) => `${r.toFixed(2)} ${p}`).join(', ');
  const best = Math.max(...ratios.values());
  lines.push(
    disk === 'disk'
      ? `    goal: with 2 secondaries ÷ off ≥ 0.85 — measured ${summary} ${(ratios.get('shared') ?? 0) >= 0.85 ? '(met)' : best >= 0.85 ? '(met only with separate CPUs)' : '(MISSED)'}`
      : `    beside the goal (${disk}, not the goal's placement): with 2 secondaries ÷ off ${summary}`,
  );
  return lines;
}

// ---- (b) lag ----

/** One lag run's report lines and raw samples (ms), for pooling across rounds. */
interface LagRun {
  readonly lines: string[];
  readonly latencies: number[];
  /** Lag until the write's exact index where the build names it (X-Vault-Index), else the count bound. */
  readonly lagAny: number[];
  readonly lagAll: number[];
  /** Lag until a 2 ms poll of the secondary's status saw the index (undefined when that is lagAny/lagAll). */
  readonly pollAny?: number[];
  readonly pollAll?: number[];
  /** Lag until the secondaries' storage committed it, by their traces (a build that serves before it persists). */
  readonly persistedAny?: number[];
  readonly persistedAll?: number[];
  /** Lag by the count bound (the figure before X-Vault-Index). */
  readonly boundAny: number[];
  readonly boundAll: number[];
  readonly isExact: boolean;
}

let lagRuns = 0;

/**
 * One lag run. `quiet`: the goal's run, timed by the secondaries' traces, their status polled only
 * every 50 ms; `polled`: the outside check, a 2 ms status poll timing the same writes (and the only
 * timing of a build without traces).
 */
async function measureLag({ label, on: primary, secondaries }: StreamingCluster, isLabelled: boolean, mode: 'quiet' | 'polled'): Promise<LagRun> {
  const run = ++lagRuns;
  const pollMs = mode === 'quiet' ? QUIET_POLL_MS : POLL_MS;
  await waitCaughtUp(primary, secondaries, 60_000);
  const loopBefore = await Promise.all([primary, ...secondaries].map(scrapeLoopDelay));
  const base = (await primary.replicationStatus()).last_wal as number;
  const total = LAG_RATE_PER_S * LAG_SECONDS;
  const intervalMs = 1000 / LAG_RATE_PER_S;
  let finished = false;
  let polls: number[] = [];
  const observations = secondaries.map(() => [] as Observation[]);
  const pollers = secondaries.map((s, i) =>
    pollWal(
      async () => (await s.replicationStatus()).last_remote_wal as number,
      () => finished,
      observations[i] as Observation[],
      pollMs,
    ),
  );

  interface Write {
    sent: number;
    acked: number;
    /** Bounds of this write's WAL index: every write acked before it was sent committed before it; it committed before its ack. */
    lower: number;
    upper: number;
    /** Its WAL index as its answer's X-Vault-Index names it (undefined: a build without the header). */
    index: number | undefined;
    /** Other writes sent and not yet answered when this one was answered. */
    inFlight: number;
  }
  // Each write to a database file (not its WAL) is a checkpoint: counted and set beside the slow samples.
  const fileWrites = watchFileWrites([primary, ...secondaries].map((s) => s.dbPath));
  const writes: Write[] = [];
  let started = 0;
  let acked = 0;
  const inflight: Promise<void>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const due = t0 + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    inflight.push(
      (async () => {
        const lower = base + acked + 1;
        started++;
        const sent = performance.now();
        const index = await writeWithIndex(primary.addr, primary.rootToken, `kv/lag/r${run}k${i}`, { value: `lag-${i}-${randomBytes(6).toString('hex')}` });
        const ackedAt = performance.now();
        const inFlight = started - acked - 1;
        acked++;
        writes.push({ sent, acked: ackedAt, lower, upper: base + started, index, inFlight });
      })(),
    );
  }
  await Promise.all(inflight);
  const writeSeconds = (performance.now() - t0) / 1000;
  try {
    await waitUntil(async () => observations.every((o) => (o[o.length - 1]?.wal ?? 0) >= base + total), 30_000, 'the secondaries to apply every lag write', 5);
  } finally {
    finished = true;
    polls = await Promise.all(pollers);
  }
  const checkpointTimes = fileWrites.stop();
  const walWritten = ((await primary.replicationStatus()).last_wal as number) - base;
  const loopAfter = await Promise.all([primary, ...secondaries].map(scrapeLoopDelay));
  const loopLines = loopAfter.map((after, i) => describeLoopDelay(i === 0 ? 'the primary' : `secondary ${i}`, loopBefore[i] as LoopDelayScrape, after));

  const latencies = writes.map((w) => w.acked - w.sent);
  // Lag until each secondary's last_remote_wal reaches `indexOf(w)`: the first secondary, and both.
  const lagsUntil = (indexOf: (w: Write) => number, seenBy: readonly (readonly Observation[])[] = observations): { any: number[]; all: number[] } => {
    const any: number[] = [];
    const all: number[] = [];
    for (const w of writes) {
      const seen = seenBy.map((o) => Math.max(0, (firstVisible(o, indexOf(w)) ?? Number.POSITIVE_INFINITY) - w.acked));
      any.push(Math.min(...seen));
      all.push(Math.max(...seen));
    }
    return { any, all };
  };
  const withIndex = writes.filter((w) => w.index !== undefined).length;
  const isExact = withIndex === writes.length;
  // A 50 ms poll times nothing worth printing.
  const exactLags = isExact && mode === 'polled' ? lagsUntil((w) => w.index as number) : undefined;
  // When each secondary applied it, by its own trace (its last_remote_wal moved): the lag itself,
  // without the poll's own delay (every 2 ms, plus a status request to a busy process).
  await sleep(TRACE_FLUSH_WAIT_MS);
  const published = secondaries.map((s) => s.publishedWal());
  const hasTraces = published.every((p) => p !== undefined && (p[p.length - 1]?.wal ?? 0) >= base + total);
  if (mode === 'quiet' && !hasTraces) throw new Error(`lag run of ${label}: the secondaries' traces do not cover the run (a quiet run needs them)`);
  const appliedLags =
    isExact && published.every((p) => p !== undefined && (p[p.length - 1]?.wal ?? 0) >= base + total)
      ? lagsUntil((w) => w.index as number, published as Observation[][])
      : undefined;
  // When each secondary's storage committed it (a build that serves a chunk before it persists it).
  const persisted = secondaries.map((s) => s.publishedWal('persisted'));
  const persistedLags =
    appliedLags !== undefined && persisted.every((p) => p !== undefined && (p[p.length - 1]?.wal ?? 0) >= base + total)
      ? lagsUntil((w) => w.index as number, persisted as Observation[][])
      : undefined;
  // The count bound, timed as the goal's figure is (a quiet run's 50 ms poll times nothing).
  const bound = lagsUntil((w) => w.upper, mode === 'quiet' ? (published as Observation[][]) : observations);
  // The goal's figures: when the secondaries applied the index the answer names, else when a poll saw it, else the bound.
  const lagAny = appliedLags?.any ?? exactLags?.any ?? bound.any;
  const lagAll = appliedLags?.all ?? exactLags?.all ?? bound.all;
  const boundIsExact = writes.filter((w) => w.index === w.upper).length;
  const indexInBounds = writes.filter((w) => w.index !== undefined && w.index >= w.lower && w.index <= w.upper).length;
  const exact = writes.filter((w) => w.lower === w.upper).length;
  // The slowest 2% of each figure (what its p99 reads), and how many overlap a checkpoint (±5 ms).
  const slowWindows = (values: readonly number[], end: (w: Write, i: number) => number): [number, number][] => {
    const threshold = percentile(values, 98);
    return writes.flatMap((w, i) => ((values[i] as number) >= threshold ? [[w.sent - 5, end(w, i) + 5] as [number, number]] : []));
  };
  const slowLag = slowWindows(lagAll, (w, i) => w.acked + (lagAll[i] as number));
  const slowWrites = slowWindows(latencies, (w) => w.acked);
  const allCheckpoints = checkpointTimes.flat();
  if (process.env.FERRY_BENCH_LAG_DUMP !== undefined) {
    // Raw samples for diagnosis, one file per lag run (`<path>.<run>.json`): per write, send and ack
    // times (ms since the first write), WAL bounds, exact index, writes in flight, lags.
    writeFileSync(
      `${process.env.FERRY_BENCH_LAG_DUMP}.${run}.json`,
      JSON.stringify({ label, t0, t0EpochMs: performance.timeOrigin + t0, writes, lagAny, lagAll, bound, observations, checkpointTimes }),
    );
  }
  const latencyP50 = percentile(latencies, 50);
  const fmt = (ms: number) => `${ms.toFixed(2)}ms`;
  const lagLine = (values: readonly number[]) =>
    `p50 ${fmt(percentile(values, 50))}, p99 ${fmt(percentile(values, 99))} → p50 ${(percentile(values, 50) / latencyP50).toFixed(2)}×, p99 ${(percentile(values, 99) / latencyP50).toFixed(2)}× write latency p50`;
  // The artefact of the bound: how many writes were in flight when each of the slowest 2% (by the bound) was answered.
  const slowest = (values: readonly number[]) => {
    const threshold = percentile(values, 98);
    return writes.flatMap((w, i) => ((values[i] as number) >= threshold ? [i] : []));
  };
  // [in flight×writes] when few distinct counts, else their percentiles.
  const counted = (counts: readonly number[]) => {
    const byCount = new Map<number, number>();
    for (const c of counts) byCount.set(c, (byCount.get(c) ?? 0) + 1);
    if (byCount.size > 12) return `p50 ${percentile(counts, 50)}, p90 ${percentile(counts, 90)}, max ${Math.max(...counts)}`;
    return [...byCount]
      .sort((a, b) => a[0] - b[0])
      .map(([c, n]) => `${c}×${n}`)
      .join(' ');
  };
  const slowBound = slowest(bound.all);
  const artefactLines = [
    `    slowest 2% by the bound (both secondaries, ${slowBound.length} writes): writes in flight when each was answered [in flight×writes] ${counted(slowBound.map((i) => (writes[i] as Write).inFlight))}; all writes: ${counted(writes.map((w) => w.inFlight))}`,
  ];
  // The tail by the answer's index, as the goal's run timed it (traces) or else as the poll saw it.
  const tailLags = appliedLags ?? exactLags;
  const tailSeen = (appliedLags !== undefined ? published : observations) as readonly Observation[][];
  if (tailLags !== undefined) {
    const slowExact = slowest(tailLags.all);
    // Where the exact tail is: one secondary behind (its process starved) or the whole box (the
    // primary slow too), and how long each secondary's last_remote_wal stood still.
    const oneSided = slowExact.filter((i) => {
      const w = writes[i] as Write;
      const seen = tailSeen.map((o) => (firstVisible(o, w.index as number) as number) - w.acked);
      return Math.min(...seen) < 0.5 * Math.max(...seen);
    }).length;
    const primarySlow = slowExact.filter((i) => {
      const w = writes[i] as Write;
      const until = w.acked + (tailLags.all[i] as number);
      return writes.some((x) => x.acked >= w.acked && x.acked <= until && x.acked - x.sent > 3 * latencyP50);
    }).length;
    // Over this run's writes only (a trace holds the whole life of the process).
    const during = tailSeen.map((o) => o.filter((x) => x.t >= t0));
    const stills = during.map((o) => o.slice(1).map((x, k) => x.t - (o[k] as Observation).t));
    const whereLine = `      where the tail by the answer's index is: of its ${slowExact.length} writes, ${oneSided} had one secondary slow (the other under half its lag), ${primarySlow} saw the primary answer a write in over 3× its p50 meanwhile; last_remote_wal stood still (writes every ${intervalMs} ms) p99 ${stills.map((g) => fmt(percentile(g, 99))).join(' / ')}, max ${stills.map((g) => fmt(Math.max(...g))).join(' / ')}`;
    artefactLines.push(
      `      the same ${slowBound.length} writes by their answer's index: lag p50 ${fmt(
        percentile(
          slowBound.map((i) => tailLags.all[i] as number),
          50,
        ),
      )}, max ${fmt(Math.max(...slowBound.map((i) => tailLags.all[i] as number)))} (by the bound p50 ${fmt(
        percentile(
          slowBound.map((i) => bound.all[i] as number),
          50,
        ),
      )}); their own write latency p50 ${fmt(
        percentile(
          slowBound.map((i) => latencies[i] as number),
          50,
        ),
      )}`,
      `      slowest 2% by the answer's index (${slowExact.length} writes): in flight when answered ${counted(slowExact.map((i) => (writes[i] as Write).inFlight))}; their write latency p50 ${fmt(
        percentile(
          slowExact.map((i) => latencies[i] as number),
          50,
        ),
      )}`,
    );
    artefactLines.push(whereLine);
  }
  const ratioAny = percentile(lagAny, 99) / latencyP50;
  const ratioAll = percentile(lagAll, 99) / latencyP50;
  if (label === THIS_BUILD && mode === 'quiet')
    recordBenchResult('lag', {
      measuredAt: new Date().toISOString(),
      ratePerS: LAG_RATE_PER_S,
      writeLatencyP50Ms: latencyP50,
      firstSecondaryMs: lagAny.map((ms) => Math.round(ms * 100) / 100),
      bothSecondariesMs: lagAll.map((ms) => Math.round(ms * 100) / 100),
    });
  const lines = [
    `(b${mode === 'quiet' ? '' : ', outside check'}) replication lag at ${LAG_RATE_PER_S} writes/s for ${LAG_SECONDS}s (${total} writes in ${writeSeconds.toFixed(1)}s), secondaries' last_remote_wal polled every ${pollMs}ms (${polls.join(' + ')} polls)${isLabelled ? ` — ${label}` : ''}`,
    `    WAL entries written ${walWritten} for ${total} writes: ${walWritten === total ? 'one WAL entry per write' : 'MISMATCH — more WAL entries than writes'}; ` +
      (isExact
        ? `each write's WAL index read from its answer's X-Vault-Index (its own entry's, or one committed with it; within its count bounds for ${indexInBounds}/${total}); the count bound equals it for ${boundIsExact}/${total}`
        : `this build names no index (no X-Vault-Index on ${total - withIndex}/${total} answers): lag from the count bound only, exact for ${exact}/${total} writes`),
    `    primary write latency p50 ${fmt(latencyP50)}, p99 ${fmt(percentile(latencies, 99))}`,
    ...(appliedLags !== undefined
      ? [
          `    lag until the secondary applied the WAL index its answer names (X-Vault-Index; when its last_remote_wal moved, by its own trace), first secondary: ${lagLine(appliedLags.any)}`,
          `    lag until the secondary applied the WAL index its answer names, both secondaries: ${lagLine(appliedLags.all)}`,
        ]
      : []),
    ...(persistedLags !== undefined
      ? [
          `    lag until the secondary's storage committed it (applied = served to readers; persisted behind), first secondary: ${lagLine(persistedLags.any)}; both: ${lagLine(persistedLags.all)}`,
        ]
      : []),
    ...(exactLags !== undefined
      ? [
          `    lag until a ${POLL_MS} ms poll of sys/replication/status saw the WAL index its answer names, first secondary: ${lagLine(exactLags.any)}`,
          `    lag until a ${POLL_MS} ms poll of sys/replication/status saw the WAL index its answer names, both secondaries: ${lagLine(exactLags.all)}`,
        ]
      : []),
    `    lag by the count bound (the figure before X-Vault-Index, kept for one release; it waits until the secondary applied every write *sent* by this one's answer, so a slow write's lag includes later writes that commit in a later group): first ${lagLine(bound.any)}; both ${lagLine(bound.all)}`,
    ...artefactLines,
    `    database files written (checkpoints seen at a 2 ms poll): primary ${checkpointTimes[0]?.length ?? 0}, secondaries ${checkpointTimes
      .slice(1)
      .map((t) => t.length)
      .join(
        ' + ',
      )}; of the slowest 2% of writes ${countWindowsHit(slowWrites, checkpointTimes[0] ?? [])}/${slowWrites.length} overlap a primary checkpoint, of the slowest 2% of lags ${countWindowsHit(slowLag, allCheckpoints)}/${slowLag.length} overlap a checkpoint on any of the three`,
    ...loopLines,
    `    ${mode === 'quiet' ? 'goal' : 'outside check (not the goal figure: the 2 ms poll loads the secondaries)'}: lag p99 ≤ 3× write latency p50 — measured ${appliedLags !== undefined ? "until applied (the secondaries' traces), by the answer's index" : isExact ? "by a poll, by the answer's index" : 'by the count bound'} ${ratioAny.toFixed(2)}× (first secondary), ${ratioAll.toFixed(2)}× (both) ${ratioAll <= 3 ? '(met)' : ratioAny <= 3 ? '(met for the first secondary only)' : '(MISSED)'}`,
  ];
  const polled = appliedLags === undefined || exactLags === undefined ? {} : { pollAny: exactLags.any, pollAll: exactLags.all };
  const persistedPart = persistedLags === undefined ? {} : { persistedAny: persistedLags.any, persistedAll: persistedLags.all };
  return { lines, latencies, lagAny, lagAll, ...polled, ...persistedPart, boundAny: bound.any, boundAll: bound.all, isExact };
}

/** POSTs one KV write and answers the WAL index its X-Vault-Index names (undefined when the build sends none). */
async function writeWithIndex(base: string, token: string, path: string, body: unknown): Promise<number | undefined> {
  const res = await new VaultClient({ address: base, token }).send('POST', path, { body });
  if (res.status < 200 || res.status > 299) throw new Error(`write ${path}: HTTP ${res.status} ${res.text}`);
  const header = res.headers['x-vault-index'];
  if (typeof header !== 'string') return undefined;
  const parsed = parseWalState(header, undefined);
  if (!parsed.ok) throw new Error(`write ${path}: unreadable X-Vault-Index (${parsed.reason})`);
  return parsed.state.replicatedIndex;
}

/** One line per build: its lag rounds' samples pooled. */
function describePooledLag(
  label: string,
  { latencies, lagAny, lagAll, pollAny, pollAll, persistedAny, persistedAll, boundAny, boundAll, isExact }: Omit<LagRun, 'lines'>,
): string {
  const p50 = percentile(latencies, 50);
  const ratio = (values: number[], p: number) => `${percentile(values, p).toFixed(2)}ms = ${(percentile(values, p) / p50).toFixed(2)}×`;
  const figures = (any: number[], all: number[]) =>
    `first secondary p50 ${ratio(any, 50)}, p99 ${ratio(any, 99)}; both p50 ${ratio(all, 50)}, p99 ${ratio(all, 99)} write p50`;
  return (
    `(b) pooled over ${LAG_ROUNDS} rounds (${latencies.length} writes) — ${label}: write p50 ${p50.toFixed(2)}ms, p99 ${percentile(latencies, 99).toFixed(2)}ms; ` +
    (isExact ? `lag by the answer's index (X-Vault-Index)${pollAny === undefined ? '' : ', until applied'}: ${figures(lagAny, lagAll)}; ` : '') +
    (persistedAny !== undefined && persistedAll !== undefined && persistedAny.length > 0 ? `until persisted: ${figures(persistedAny, persistedAll)}; ` : '') +
    (pollAny !== undefined && pollAll !== undefined && pollAny.length > 0 ? `until a ${POLL_MS} ms status poll saw it: ${figures(pollAny, pollAll)}; ` : '') +
    `lag by the count bound: ${figures(boundAny, boundAll)}`
  );
}

// ---- (c) bootstrap ----

function queryDb<T>(path: string, sql: string, params: unknown[] = []): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(path, sqlite3.OPEN_READONLY, (openErr) => {
      if (openErr) return reject(openErr);
      db.configure('busyTimeout', 5000);
      db.all(sql, params, (err, rows) => db.close(() => (err ? reject(err) : resolve(rows as T[]))));
    });
  });
}

function dbRun(db: sqlite3.Database, sql: string): Promise<void> {
  return new Promise((resolve, reject) => db.exec(sql, (err) => (err ? reject(err) : resolve())));
}

/** Rows/s of one transaction inserting `rows` through a prepared statement into a fresh file (same schema and pragmas as the server). */
async function rawSqliteInsert(rows: number, keyBytes: number, valueBytes: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-bench-raw-'));
  try {
    const db = await new Promise<sqlite3.Database>((resolve, reject) => {
      const d = new sqlite3.Database(join(dir, 'raw.db'), (err) => (err ? reject(err) : resolve(d)));
    });
    await dbRun(db, 'PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;');
    await dbRun(db, 'CREATE TABLE entries (key TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL) WITHOUT ROWID');
    const prefix = 'logical/' + randomBytes(18).toString('hex').slice(0, 36) + '/boot/';
    const data = Array.from({ length: rows }, () => [(prefix + randomBytes(keyBytes).toString('hex')).slice(0, keyBytes), randomBytes(valueBytes)] as const);
    const started = performance.now();
    await dbRun(db, 'BEGIN IMMEDIATE');
    const stmt = db.prepare('INSERT INTO entries (key, value) VALUES (?, ?)');
    await new Promise<void>((resolve, reject) => {
      let pending = data.length;
      for (const [k, v] of data) {
        stmt.run(k, v, (err: Error | null) => {
          if (err) reject(err);
          else if (--pending === 0) resolve();
        });
      }
    });
    await new Promise<void>((resolve, reject) => stmt.finalize((err) => (err ? reject(err) : resolve())));
    await dbRun(db, 'COMMIT');
    const seconds = (performance.now() - started) / 1000;
    await new Promise<void>((resolve) => db.close(() => resolve()));
    return rows / seconds;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measureBootstrap(primary: BenchServer): Promise<string[]> {
  const loadStarted = performance.now();
  await writeLoad(primary.addr, primary.rootToken, 'boot', { amount: BOOTSTRAP_KEYS, connections: 32 });
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  const [counts] = await queryDb<{ boot: number; replicated: number; keyBytes: number; valueBytes: number }>(
    primary.dbPath,
    `SELECT (SELECT count(*) FROM entries WHERE key LIKE 'logical/%/boot/%') AS boot,
            (SELECT count(*) FROM entries WHERE key NOT LIKE 'local/%') AS replicated,
            (SELECT avg(length(key)) FROM entries WHERE key LIKE 'logical/%/boot/%') AS keyBytes,
            (SELECT avg(length(value)) FROM entries WHERE key LIKE 'logical/%/boot/%') AS valueBytes`,
  );
  if (counts === undefined || counts.boot !== BOOTSTRAP_KEYS)
    throw new Error(`expected ${BOOTSTRAP_KEYS} bootstrap keys on the primary, found ${counts?.boot}`);
  await api(primary.addr, 'POST', 'sys/replication/primary/enable', primary.rootToken, {});
  const secondary = await BenchServer.start();
  const started = performance.now();
  await activateSecondary(primary, secondary, 'boot');
  const enableReturned = performance.now();
  await waitUntil(async () => (await secondary.replicationStatus()).state === 'stream-wals', 120_000, 'the bootstrapped secondary to stream WALs', 5);
  const seconds = (performance.now() - started) / 1000;
  const [onSecondary] = await queryDb<{ replicated: number }>(secondary.dbPath, `SELECT count(*) AS replicated FROM entries WHERE key NOT LIKE 'local/%'`);
  if (onSecondary?.replicated !== counts.replicated)
    throw new Error(`secondary holds ${onSecondary?.replicated} replicated entries, the primary ${counts.replicated}`);
  const bootstrapRate = counts.replicated / seconds;
  const keyBytes = Math.round(counts.keyBytes);
  const valueBytes = Math.round(counts.valueBytes);
  const rawRate = await rawSqliteInsert(BOOTSTRAP_KEYS, keyBytes, valueBytes);
  const ratio = bootstrapRate / rawRate;
  await secondary.dispose();
  return [
    `(c) secondary bootstrap of ${counts.replicated} replicated entries (${BOOTSTRAP_KEYS} KV keys, avg key ${keyBytes} B, stored value ${valueBytes} B; loaded at ${(BOOTSTRAP_KEYS / loadSeconds).toFixed(0)} writes/s)`,
    `    secondary/enable → stream-wals: ${seconds.toFixed(2)}s (enable answered after ${((enableReturned - started) / 1000).toFixed(2)}s) = ${bootstrapRate.toFixed(0)} keys/s`,
    `    raw sqlite3, one transaction, prepared INSERT, ${BOOTSTRAP_KEYS} rows of the same sizes, fresh file: ${rawRate.toFixed(0)} keys/s`,
    `    goal: bootstrap ÷ raw ≥ 0.3 — measured ${ratio.toFixed(2)} ${ratio >= 0.3 ? '(met)' : '(MISSED)'}`,
  ];
}

// ---- (d) Merkle resync ----

interface ResyncFigures {
  walWritten: number;
  changedKeys: number;
  changedBytes: number;
  fetchedKeys: number;
  fetchedBytes: number;
  fullEntries: number;
  fullBytes: number;
  convergeMs: number;
}

async function replicatedEntries(server: BenchServer): Promise<Map<string, Buffer>> {
  const rows = await queryDb<{ key: string; value: Buffer }>(server.dbPath, 'SELECT key, value FROM entries');
  return new Map(rows.filter((r) => performanceKeyset().includes(r.key)).map((r) => [r.key, r.value]));
}

async function inParallel<T>(items: readonly T[], concurrency: number, job: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await job(items[next++] as T);
    }),
  );
}

/**
 * The scenario of test/e2e/replication-merkle-resync.test.ts: KV v2, retention 50; the secondary
 * is stopped while the primary updates 80 keys, adds 80 and deletes 40; then it restarts.
 */
async function runResync(initialKeys: number): Promise<ResyncFigures> {
  const [primary, secondary] = await Promise.all([
    BenchServer.start({ extraConfig: 'replication {\n  logshipper_buffer_length = 50\n}' }),
    BenchServer.start(),
  ]);
  try {
    let seq = 0;
    const put = async (key: string) => {
      const v = `${key.padEnd(8, '.')}-${String(++seq).padStart(6, '0')}-${randomBytes(8).toString('hex')}`;
      await api(primary.addr, 'POST', `app/data/${key}`, primary.rootToken, { data: { v, owner: 'team-payments', note: 'rotated by the resync test' } });
    };
    await api(primary.addr, 'POST', 'sys/mounts/app', primary.rootToken, { type: 'kv', options: { version: '2' } });
    await inParallel(
      Array.from({ length: initialKeys }, (_, i) => `k${i}`),
      16,
      put,
    );
    await api(primary.addr, 'POST', 'sys/replication/primary/enable', primary.rootToken, {});
    await activateSecondary(primary, secondary, 'dc2');
    await waitCaughtUp(primary, [secondary], 60_000);
    await secondary.stop();
    const walBefore = (await primary.replicationStatus()).last_wal as number;
    const before = await replicatedEntries(primary);
    await inParallel(
      Array.from({ length: 80 }, (_, i) => `k${100 + i}`),
      16,
      put,
    );
    await inParallel(
      Array.from({ length: 80 }, (_, i) => `new${i}`),
      16,
      put,
    );
    await inParallel(
      Array.from({ length: 40 }, (_, i) => `k${200 + i}`),
      16,
      async (key) => {
        await api(primary.addr, 'DELETE', `app/metadata/${key}`, primary.rootToken);
      },
    );
    const walWritten = ((await primary.replicationStatus()).last_wal as number) - walBefore;
    const after = await replicatedEntries(primary);
    let changedKeys = 0;
    let changedBytes = 0;
    for (const [k, v] of after) {
      if (before.get(k)?.equals(v) !== true) {
        changedKeys++;
        changedBytes += Buffer.byteLength(k) + v.length;
      }
    }
    for (const k of before.keys()) {
      if (!after.has(k)) {
        changedKeys++;
        changedBytes += Buffer.byteLength(k);
      }
    }
    const fullBytes = [...after].reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + v.length, 0);
    const started = Date.now();
    await secondary.restart();
    const rootOnPrimary = (await primary.replicationStatus()).merkle_root as string;
    await waitUntil(
      async () => {
        const s = await secondary.replicationStatus();
        return s.state === 'stream-wals' && s.merkle_root === rootOnPrimary;
      },
      60_000,
      'the secondary to converge by Merkle sync',
    );
    const convergeMs = Date.now() - started;
    const last = (await secondary.replicationStatus()).merkle_sync_last as { keys: number; bytes: number } | undefined;
    if (last === undefined || last.keys === 0) throw new Error('the secondary did not go through a Merkle sync');
    return { walWritten, changedKeys, changedBytes, fetchedKeys: last.keys, fetchedBytes: last.bytes, fullEntries: after.size, fullBytes, convergeMs };
  } finally {
    await Promise.all([primary.dispose(), secondary.dispose()]);
  }
}

async function measureResync(): Promise<string[]> {
  const lines = ['(d) Merkle resync after the WAL retention (50) was exceeded: 80 keys updated, 80 added, 40 deleted (KV v2) while the secondary was down'];
  let testRatio = Number.NaN;
  for (const initialKeys of [300, 3000]) {
    const f = await runResync(initialKeys);
    const ratio = f.fetchedBytes / f.changedBytes;
    if (initialKeys === 300) testRatio = ratio;
    lines.push(
      `    ${String(initialKeys).padStart(5)} keys before${initialKeys === 300 ? ' (the e2e test)' : ' (10× keyspace)'}: ${f.walWritten} WAL entries; ${f.changedKeys} stored entries changed = ${f.changedBytes} B; ` +
        `fetched ${f.fetchedKeys} keys, ${f.fetchedBytes} B = ${ratio.toFixed(2)}× changed; full copy ${f.fullEntries} entries = ${f.fullBytes} B (resync = ${(f.fetchedBytes / f.fullBytes).toFixed(2)}× full copy); converged in ${f.convergeMs}ms`,
    );
  }
  lines.push(`    goal: resync bytes ÷ changed bytes ≤ 3 — measured ${testRatio.toFixed(2)} for the test scenario`);
  return lines;
}

const THIS_BUILD = 'this build';

/** A primary with 2 secondaries and a twin primary that never replicates, from one build. */
async function startStreamingCluster(label: string, bin: string | undefined, disk: DiskPlacement = 'disk', withWalOnly = false): Promise<StreamingCluster> {
  const options = bin === undefined ? {} : { bin };
  const onTmpfs = (i: number) => disk === 'all-tmpfs' || (disk === 'secondaries-tmpfs' && i >= 2);
  // The secondaries trace their stream, so the lag run knows when each applied a write (see measureLag).
  const [off, on, s1, s2] = await Promise.all(
    [0, 1, 2, 3].map((i) => BenchServer.start({ ...options, traceReplication: i >= 2, ...(onTmpfs(i) ? { dataRoot: TMPFS } : {}) })),
  );
  for (const p of [off, on] as BenchServer[]) await api(p.addr, 'POST', 'sys/mounts/kv', p.rootToken, { type: 'kv' });
  const cluster = { label, disk, off: off as BenchServer, on: on as BenchServer, secondaries: [s1 as BenchServer, s2 as BenchServer] };
  await api(cluster.on.addr, 'POST', 'sys/replication/primary/enable', cluster.on.rootToken, {});
  await activateSecondary(cluster.on, s1 as BenchServer, 'dc2');
  await activateSecondary(cluster.on, s2 as BenchServer, 'dc3');
  await waitCaughtUp(cluster.on, cluster.secondaries, 60_000);
  if (!withWalOnly) return cluster;
  const walOnly = await BenchServer.start(options);
  await api(walOnly.addr, 'POST', 'sys/mounts/kv', walOnly.rootToken, { type: 'kv' });
  await api(walOnly.addr, 'POST', 'sys/replication/primary/enable', walOnly.rootToken, {});
  return { ...cluster, walOnly };
}

/**
 * With `FERRY_BENCH_STRACE=1`, after (a)'s timed rounds: one more run a side with strace on the
 * primary (and the secondaries) counting flush calls (fsync/fdatasync) a write and their wall time — the
 * primary's group commit waits on its flush. strace slows what it traces: counts, not a timing.
 */
async function countFlushes({ label, off, on, secondaries }: StreamingCluster): Promise<string[]> {
  const lines = [`(a) flush calls a write under strace (not timed) — ${label}`];
  for (const [side, primary, traced] of [
    ['replication off', off, [off]],
    ['primary + 2 streaming secondaries', on, [on, ...secondaries]],
  ] as const) {
    let requests = 0;
    const calls = await traceFlushes(
      traced.map((s) => s.pid),
      async () => {
        requests = (await writeLoad(primary.addr, primary.rootToken, 'strace')).requests.total;
      },
    );
    const names = ['primary', 'secondary 1', 'secondary 2'];
    const parts = calls.map((c, i) =>
      c === undefined
        ? `${names[i]} (strace could not attach)`
        : `${names[i]} ${(c.calls / requests).toFixed(3)} (${c.calls} calls, ${c.calls === 0 ? '-' : ((c.totalMs / c.calls) * 1000).toFixed(0)} µs each)`,
    );
    lines.push(`    ${side}: ${requests} writes; flush calls a write: ${parts.join(', ')}`);
  }
  return lines;
}

/**
 * (a) and (b). `FERRY_BENCH_BASELINE_BIN=/path/to/other/bin/ferry.js` also measures that build's
 * cluster, in the same interleaved rounds for (a) and right after this build's run for (b).
 */
async function measureStreaming(lines: string[]): Promise<void> {
  const baselineBin = baselinePath('FERRY_BENCH_BASELINE_BIN');
  // This build's goal cluster also measures a primary with no secondary (the WAL's own share), in part (a) only.
  const clusters = [await startStreamingCluster(THIS_BUILD, undefined, 'disk', only('a'))];
  if (baselineBin !== undefined) clusters.push(await startStreamingCluster(`baseline (${baselineBin})`, baselineBin));
  const diskPlacements = (process.env.FERRY_BENCH_DISK_PLACEMENTS ?? '').split(',').filter((p) => p !== '') as DiskPlacement[];
  for (const disk of diskPlacements) {
    if (disk !== 'secondaries-tmpfs' && disk !== 'all-tmpfs') throw new Error(`FERRY_BENCH_DISK_PLACEMENTS: unknown placement ${disk}`);
    // Beside the goal's clusters, not instead of them; only part (a) runs on these.
    if (only('a'))
      clusters.push(
        await startStreamingCluster(`${THIS_BUILD}, ${disk === 'all-tmpfs' ? 'every process' : "the secondaries'"} SQLite files on ${TMPFS}`, undefined, disk),
      );
  }
  if (only('a')) lines.push(...(await measureThroughput(clusters)));
  if (only('a') && process.env.FERRY_BENCH_STRACE === '1') for (const c of clusters) lines.push(...(await countFlushes(c)));
  if (only('b')) {
    // The lag is measured on the goal's placement only.
    const lagClusters = clusters.filter((c) => c.disk === 'disk');
    const pooled = lagClusters.map(() => ({
      latencies: [] as number[],
      lagAny: [] as number[],
      lagAll: [] as number[],
      pollAny: [] as number[],
      pollAll: [] as number[],
      persistedAny: [] as number[],
      persistedAll: [] as number[],
      boundAny: [] as number[],
      boundAll: [] as number[],
      isExact: true,
    }));
    // The goal's runs are quiet where the secondaries trace their stream (see measureLag): one write
    // streamed (a secondary traces streamed entries, not its bootstrap), then one flush of the trace
    // (every 500 ms), before looking.
    for (const c of lagClusters) {
      await writeWithIndex(c.on.addr, c.on.rootToken, 'kv/lag/warm-up', { value: 'warm-up' });
      await waitCaughtUp(c.on, c.secondaries, 60_000);
    }
    await sleep(TRACE_FLUSH_WAIT_MS);
    const modes = lagClusters.map((c) => (c.secondaries.every((s) => s.publishedWal() !== undefined) ? 'quiet' : 'polled') as 'quiet' | 'polled');
    for (let round = 0; round < LAG_ROUNDS; round++) {
      for (const [i, cluster] of lagClusters.entries()) {
        const run = await measureLag(cluster, lagClusters.length > 1, modes[i] as 'quiet' | 'polled');
        lines.push(...run.lines);
        pooled[i]?.latencies.push(...run.latencies);
        pooled[i]?.lagAny.push(...run.lagAny);
        pooled[i]?.lagAll.push(...run.lagAll);
        pooled[i]?.pollAny.push(...(run.pollAny ?? []));
        pooled[i]?.pollAll.push(...(run.pollAll ?? []));
        pooled[i]?.persistedAny.push(...(run.persistedAny ?? []));
        pooled[i]?.persistedAll.push(...(run.persistedAll ?? []));
        pooled[i]?.boundAny.push(...run.boundAny);
        pooled[i]?.boundAll.push(...run.boundAll);
        if (pooled[i] !== undefined && !run.isExact) (pooled[i] as { isExact: boolean }).isExact = false;
      }
    }
    if (LAG_ROUNDS > 1) lines.push(...lagClusters.map((c, i) => describePooledLag(c.label, pooled[i] as Omit<LagRun, 'lines'>)));
    // The outside check of the traces: one run with a 2 ms status poll, after the goal's runs.
    for (const [i, cluster] of lagClusters.entries())
      if (modes[i] === 'quiet') lines.push(...(await measureLag(cluster, lagClusters.length > 1, 'polled')).lines);
  }
  await Promise.all(clusters.flatMap((c) => [c.off, c.on, ...(c.walOnly === undefined ? [] : [c.walOnly]), ...c.secondaries]).map((s) => s.dispose()));
}

/** Runs (a)–(d) and returns the report lines. */
export async function runReplicationBench(): Promise<string[]> {
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  const lines = [`Ferry replication benchmark — SQLite servers on loopback, autocannon, one run; ${cpus().length} CPUs, load average at start ${load()}`];
  try {
    if (only('a') || only('b')) await measureStreaming(lines);
    if (only('c')) {
      const source = await BenchServer.start();
      await api(source.addr, 'POST', 'sys/mounts/kv', source.rootToken, { type: 'kv' });
      lines.push(...(await measureBootstrap(source)));
      await source.dispose();
    }
    if (only('d')) lines.push(...(await measureResync()));
  } finally {
    await stopAllBenchServers();
  }
  // Other processes on the host skew every absolute figure; the ratios less so.
  lines.push(`load average at end ${load()}`);
  return lines;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runReplicationBench()
    .then((lines) => process.stdout.write(lines.join('\n') + '\n'))
    .catch(async (err) => {
      process.stderr.write(`replication bench failed: ${(err as Error).stack ?? String(err)}\n`);
      await stopAllBenchServers();
      process.exitCode = 1;
    });
}
