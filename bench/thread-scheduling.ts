import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/**
 * Where a process's threads spent their time, from the scheduler's own accounting (Linux,
 * `/proc/<pid>/task/<tid>/schedstat`): seconds on a CPU, and seconds runnable but waiting for one
 * (woken or preempted while every CPU ran something else). On a machine whose CPUs the processes
 * share, the waits are the part of a write's time that no profile of the process shows.
 */
export interface SchedTimes {
  /** Seconds on a CPU. */
  readonly cpu: number;
  /** Seconds runnable, waiting for a CPU. */
  readonly wait: number;
}

/** One reading of a process: each thread's times so far, by thread id. */
export type ThreadsReading = ReadonlyMap<number, SchedTimes>;

/** A process's threads' times so far; empty when the kernel does not publish them. */
export function readThreads(pid: number | undefined): ThreadsReading {
  const threads = new Map<number, SchedTimes>();
  const dir = `/proc/${pid}/task`;
  if (pid === undefined || !existsSync(dir)) return threads;
  for (const tid of readdirSync(dir)) {
    let text: string;
    try {
      text = readFileSync(`${dir}/${tid}/schedstat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    const [cpuNs, waitNs] = text.trim().split(' ').map(Number);
    if (cpuNs !== undefined && waitNs !== undefined) threads.set(Number(tid), { cpu: cpuNs / 1e9, wait: waitNs / 1e9 });
  }
  return threads;
}

/** A process's main thread (its event loop) and its other threads (SQLite's and libuv's pool, V8's helpers). */
export interface ProcessSched {
  readonly main: SchedTimes;
  readonly others: SchedTimes;
}

export const NO_TIME: SchedTimes = { cpu: 0, wait: 0 };

/**
 * What the process's threads did between two readings. A thread that started meanwhile counts from
 * zero; one that ended meanwhile is not counted (its last figures are gone with it).
 */
export function schedBetween(pid: number | undefined, before: ThreadsReading, after: ThreadsReading): ProcessSched {
  let main = NO_TIME;
  let others = NO_TIME;
  for (const [tid, now] of after) {
    const then = before.get(tid) ?? NO_TIME;
    const delta = { cpu: now.cpu - then.cpu, wait: now.wait - then.wait };
    if (tid === pid) main = delta;
    else others = addTimes(others, delta);
  }
  return { main, others };
}

export function addTimes(a: SchedTimes, b: SchedTimes): SchedTimes {
  return { cpu: a.cpu + b.cpu, wait: a.wait + b.wait };
}

export function addSched(a: ProcessSched, b: ProcessSched): ProcessSched {
  return { main: addTimes(a.main, b.main), others: addTimes(a.others, b.others) };
}

export const NO_SCHED: ProcessSched = { main: NO_TIME, others: NO_TIME };

/**
 * Puts every thread of the processes in SCHED_IDLE (`idle`: they get a CPU only when nothing else
 * wants one) or back in the normal policy, with util-linux's `chrt`. False when that is not possible
 * (no `chrt`, not Linux, or not allowed), in which case nothing is left changed on purpose.
 */
export function setIdlePolicy(pids: readonly (number | undefined)[], idle: boolean): boolean {
  for (const pid of pids) {
    if (pid === undefined || !existsSync(`/proc/${pid}/task`)) return false;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const r = spawnSync('chrt', [idle ? '--idle' : '--other', '-p', '0', tid], { stdio: 'ignore' });
      // A thread that ended meanwhile is not a failure.
      if (r.status !== 0 && existsSync(`/proc/${pid}/task/${tid}`)) return false;
    }
  }
  return true;
}
