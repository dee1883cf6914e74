import { existsSync, readFileSync } from 'node:fs';

/** One increase of a secondary's `last_remote_wal`, seen at time `t` (performance.now()). */
export interface Observation {
  readonly t: number;
  readonly wal: number;
}

/** The nearest-rank percentile of `values` (NaN when empty). */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

/**
 * Polls a secondary's last applied WAL index (`readWal`) every `pollMs` until `isDone`, recording
 * each increase in `out`; returns how many polls it made.
 */
export async function pollWal(readWal: () => Promise<number>, isDone: () => boolean, out: Observation[], pollMs = 2): Promise<number> {
  let last = -1;
  let polls = 0;
  while (!isDone()) {
    const started = performance.now();
    const wal = await readWal();
    polls++;
    if (wal > last) {
      last = wal;
      out.push({ t: performance.now(), wal });
    }
    const wait = pollMs - (performance.now() - started);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  return polls;
}

/** Time of the first observation with wal ≥ index (observations are in time and wal order). */
export function firstVisible(obs: readonly Observation[], index: number): number | undefined {
  let lo = 0;
  let hi = obs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((obs[mid] as Observation).wal >= index) hi = mid;
    else lo = mid + 1;
  }
  return obs[lo]?.t;
}

/**
 * The moves of a secondary's `last_remote_wal` that its replication trace recorded (`published`
 * lines of `FERRY_REPLICATION_TRACE`, see server/replication/replication-trace.ts), as observations
 * on this process's `performance.now()` clock (the trace's times are `timeOrigin + now()` of the
 * server, comparable on one host). Undefined when the file does not exist. With `mark` 'persisted':
 * when what it served was committed to its storage (a build that serves before it persists).
 */
export function readPublishedTrace(file: string, mark: 'published' | 'persisted' = 'published'): Observation[] | undefined {
  if (!existsSync(file)) return undefined;
  const out: Observation[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line === '') continue;
    const [epochMs, stage, , to] = JSON.parse(line) as [number, string, number, number];
    if (stage !== mark) continue;
    const last = out[out.length - 1];
    if (last === undefined || to > last.wal) out.push({ t: epochMs - performance.timeOrigin, wal: to });
  }
  return out;
}
