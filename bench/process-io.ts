import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Disk traffic of benchmark processes (Linux): what a process sent to the storage layer
 * (`/proc/<pid>/io`), the block devices' writes and flushes (`/proc/diskstats`), and, with strace,
 * each process's flush calls and how long they took (wall time).
 */

/** `/proc/<pid>/io`: bytes the process caused to be written to storage, and its write calls. */
interface ProcessIo {
  readonly writeBytes: number;
  readonly writeCalls: number;
}

export function processIo(pid: number | undefined): ProcessIo {
  const file = `/proc/${pid}/io`;
  if (pid === undefined || !existsSync(file)) return { writeBytes: Number.NaN, writeCalls: Number.NaN };
  const text = readFileSync(file, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { writeBytes: field('write_bytes'), writeCalls: field('syscw') };
}

/** Block-device counters summed over the real disks (`vd*`, `sd*`, `nvme*`), from `/proc/diskstats`. */
interface DiskStats {
  readonly writes: number;
  readonly bytesWritten: number;
  readonly flushes: number;
  readonly flushMs: number;
}

export function diskStats(): DiskStats {
  const sum = { writes: 0, bytesWritten: 0, flushes: 0, flushMs: 0 };
  if (!existsSync('/proc/diskstats')) return { writes: Number.NaN, bytesWritten: Number.NaN, flushes: Number.NaN, flushMs: Number.NaN };
  for (const line of readFileSync('/proc/diskstats', 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/);
    // Whole disks only (a partition's counts are in its disk's already).
    if (f.length < 14 || !/^(vd[a-z]+|sd[a-z]+|nvme\d+n\d+|xvd[a-z]+)$/.test(f[2] as string)) continue;
    const n = f.slice(3).map(Number);
    sum.writes += n[4] ?? 0;
    sum.bytesWritten += (n[6] ?? 0) * 512;
    sum.flushes += n[15] ?? 0;
    sum.flushMs += n[16] ?? 0;
  }
  return sum;
}

export function diskDelta(before: DiskStats, after: DiskStats): DiskStats {
  return {
    writes: after.writes - before.writes,
    bytesWritten: after.bytesWritten - before.bytesWritten,
    flushes: after.flushes - before.flushes,
    flushMs: after.flushMs - before.flushMs,
  };
}

/** One process's flush calls (fsync + fdatasync) while strace was attached, and their wall time. */
interface FlushCalls {
  readonly calls: number;
  readonly totalMs: number;
}

/**
 * Attaches strace (`-f -w -c`, every thread) to each process while `run` runs and returns each one's
 * flush calls; undefined where strace is missing or could not attach. strace slows every traced
 * system call: a run under it counts calls, it is not a timing.
 */
export async function traceFlushes(pids: readonly (number | undefined)[], run: () => Promise<void>): Promise<(FlushCalls | undefined)[]> {
  const tracers = pids.map((pid, i) => {
    if (pid === undefined) return undefined;
    const out = join(tmpdir(), `ferry-bench-strace-${process.pid}-${i}.txt`);
    const child = spawn('strace', ['-f', '-w', '-c', '-o', out, '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
    const attached = new Promise<boolean>((resolve) => {
      child.stderr.on('data', (d: Buffer) => d.toString().includes('attached') && resolve(true));
      child.once('error', () => resolve(false));
      child.once('exit', () => resolve(false));
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    return { child, out, attached, exited };
  });
  const ok = await Promise.all(tracers.map((t) => t?.attached ?? Promise.resolve(false)));
  // Attaching to every thread of a process takes a moment after the first one reports.
  await new Promise((r) => setTimeout(r, 300));
  try {
    await run();
  } finally {
    for (const t of tracers) t?.child.kill('SIGINT');
    await Promise.all(tracers.map((t) => t?.exited ?? Promise.resolve()));
  }
  return tracers.map((t, i) => {
    if (t === undefined || ok[i] !== true || !existsSync(t.out)) return undefined;
    const text = readFileSync(t.out, 'utf8');
    rmSync(t.out, { force: true });
    let calls = 0;
    let totalMs = 0;
    for (const line of text.split('\n')) {
      // % time, seconds, usecs/call, calls, [errors], syscall
      const f = line.trim().split(/\s+/);
      const name = f[f.length - 1];
      if (name !== 'fsync' && name !== 'fdatasync') continue;
      totalMs += Number(f[1]) * 1000;
      calls += Number(f[3]);
    }
    return { calls, totalMs };
  });
}

/** The whole machine's CPU time from `/proc/stat` (clock ticks): busy (everything but idle and iowait) and total. */
export interface MachineCpu {
  readonly busy: number;
  readonly total: number;
}

export function machineCpu(): MachineCpu {
  if (!existsSync('/proc/stat')) return { busy: Number.NaN, total: Number.NaN };
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const n = line.trim().split(/\s+/).slice(1).map(Number);
  const total = n.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (n[3] ?? 0) + (n[4] ?? 0);
  return { busy: total - idle, total };
}
