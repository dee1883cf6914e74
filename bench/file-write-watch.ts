import { statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/**
 * Watches files for writes by polling their modification time and size every `intervalMs`; for a
 * SQLite database file in WAL mode, a write is a checkpoint copying frames into it. `stop` returns,
 * per file, the times (performance.now()) a change was first seen.
 */
export function watchFileWrites(paths: readonly string[], intervalMs = 2): { stop(): number[][] } {
  const stamp = (path: string): string => {
    try {
      const s = statSync(path, { bigint: true });
      return `${s.mtimeNs}/${s.size}`;
    } catch {
      return 'absent';
    }
  };
  const last = paths.map(stamp);
  const seen = paths.map(() => [] as number[]);
  const timer = setInterval(() => {
    const now = performance.now();
    paths.forEach((path, i) => {
      const current = stamp(path);
      if (current !== last[i]) {
        last[i] = current;
        seen[i]?.push(now);
      }
    });
  }, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      return seen;
    },
  };
}

/** How many of the `[from, to]` windows contain one of `times` (both sorted or not). */
export function countWindowsHit(windows: readonly (readonly [number, number])[], times: readonly number[]): number {
  return windows.filter(([from, to]) => times.some((t) => t >= from && t <= to)).length;
}
