import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { baselinePath } from './baseline-build.js';

/**
 * Suite `wal`: what keeping the WAL costs a primary's storage layer, without HTTP, load generator or
 * secondaries — the part of replication's cost that one process can measure steadily on a shared box.
 * `WalStorage` over a real SQLite file (synchronous=FULL, as a server opens it) takes the same puts
 * in waves of 10 concurrent writes (the throughput suite's 10 connections), as role `off` and as role
 * `primary`, in interleaved rounds. Printed: the main thread's busy time a write (event-loop
 * utilisation: what a group's commit cycle waits on, see the README) and the whole process's CPU a
 * write (sqlite3's threads too). `FERRY_BENCH_BASELINE_BIN` also measures that checkout's build, in
 * the same rounds.
 */
const ROUNDS = Number(process.env.FERRY_BENCH_ROUNDS ?? '3');
const WRITES = Number(process.env.FERRY_BENCH_WAL_WRITES ?? '30000');
const WAVE = 10;
/** About a KV write's stored value in the throughput suite (the encrypted JSON of 60 bytes). */
const VALUE_BYTES = 130;

type Role = 'off' | 'primary';
interface Modules {
  readonly WalStorage: typeof import('../server/replication/wal-storage.js').WalStorage;
  readonly SqliteBackend: typeof import('../server/storage/sqlite-backend.js').SqliteBackend;
}
interface Build {
  readonly label: string;
  readonly modules: Modules;
  readonly samples: Record<Role, { main: number[]; cpu: number[] }>;
}

async function loadBuild(label: string, distServer: string): Promise<Build> {
  const at = (path: string) => pathToFileURL(join(distServer, path)).href;
  const { WalStorage } = (await import(at('replication/wal-storage.js'))) as typeof import('../server/replication/wal-storage.js');
  const { SqliteBackend } = (await import(at('storage/sqlite-backend.js'))) as typeof import('../server/storage/sqlite-backend.js');
  return { label, modules: { WalStorage, SqliteBackend }, samples: { off: { main: [], cpu: [] }, primary: { main: [], cpu: [] } } };
}

/** One side: a fresh store, WRITES puts to new keys in waves; µs a write on the main thread and in the whole process. */
async function measure({ WalStorage, SqliteBackend }: Modules, role: Role): Promise<{ main: number; cpu: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-wal-bench-'));
  const sqlite = await SqliteBackend.open({ path: join(dir, 'ferry.db') });
  try {
    const wal = new WalStorage(sqlite, 16384);
    await wal.open();
    wal.setRole(role, 1);
    const prefix = `logical/0a1b2c3d-0000-4000-8000-${randomBytes(6).toString('hex')}/bench/`;
    const values = Array.from({ length: 64 }, () => randomBytes(VALUE_BYTES));
    const elu = performance.eventLoopUtilization();
    const cpu = process.cpuUsage();
    for (let i = 0; i < WRITES; i += WAVE) {
      await Promise.all(Array.from({ length: WAVE }, (_, j) => wal.put(`${prefix}${i + j}`, values[(i + j) % values.length] as Buffer)));
    }
    const busy = performance.eventLoopUtilization(elu);
    const used = process.cpuUsage(cpu);
    return { main: (busy.active * 1000) / WRITES, cpu: (used.user + used.system) / WRITES };
  } finally {
    await sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

export async function runWalBench(): Promise<void> {
  const builds = [await loadBuild('this build', join(import.meta.dirname, '..', 'server'))];
  const baselineBin = baselinePath('FERRY_BENCH_BASELINE_BIN');
  if (baselineBin !== undefined) builds.push(await loadBuild(`baseline (${baselineBin})`, join(dirname(dirname(baselineBin)), 'dist', 'server')));
  for (let round = 0; round < ROUNDS; round++) {
    // Builds and roles take turns going first, so drift in the box's load falls on every side.
    const order = round % 2 === 0 ? builds : [...builds].reverse();
    for (const build of order) {
      for (const role of (round % 2 === 0 ? ['off', 'primary'] : ['primary', 'off']) as Role[]) {
        const { main, cpu } = await measure(build.modules, role);
        build.samples[role].main.push(main);
        build.samples[role].cpu.push(cpu);
      }
    }
  }
  const lines = [
    '',
    `WAL storage (suite wal): ${WRITES} puts of ${VALUE_BYTES} B to new keys in waves of ${WAVE}, WalStorage on SQLite (synchronous=FULL), ${ROUNDS} interleaved rounds, medians; µs a write`,
  ];
  for (const { label, samples } of builds) {
    const [offMain, onMain, offCpu, onCpu] = [median(samples.off.main), median(samples.primary.main), median(samples.off.cpu), median(samples.primary.cpu)];
    lines.push(
      `  ${label}: main thread ${offMain.toFixed(1)} off, ${onMain.toFixed(1)} primary (+${(onMain - offMain).toFixed(1)}, ${(onMain / offMain).toFixed(2)}×); ` +
        `process ${offCpu.toFixed(1)} off, ${onCpu.toFixed(1)} primary (+${(onCpu - offCpu).toFixed(1)})`,
    );
  }
  process.stdout.write(lines.join('\n') + '\n');
}
