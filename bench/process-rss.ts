import { existsSync, readFileSync } from 'node:fs';

/** Resident set size of a process (VmRSS from /proc, Linux); NaN when unknown. */
export function rssBytes(pid: number | undefined): number {
  const status = `/proc/${pid}/status`;
  if (pid === undefined || !existsSync(status)) return Number.NaN;
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(status, 'utf8'));
  return match === null ? Number.NaN : Number(match[1]) * 1024;
}
