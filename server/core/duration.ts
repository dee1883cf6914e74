import { invalidRequest } from './vault-error.js';

const UNIT_SECONDS: Readonly<Record<string, number>> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600, d: 86400 };

/** The longest duration Go's time.Duration (int64 nanoseconds) holds, about 292 years; Vault refuses longer. */
export const MAX_DURATION_SECONDS = 9_223_372_036;

function bounded(seconds: number, field: string): number {
  if (seconds > MAX_DURATION_SECONDS) throw invalidRequest(`invalid duration for "${field}": too large`);
  return seconds;
}

/**
 * Parses a Vault duration: a number of seconds (number or numeric string) or a Go-style
 * duration string such as "30m", "1h30m", "90s". Returns whole seconds.
 */
export function parseDurationSeconds(value: unknown, field: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw invalidRequest(`invalid duration for "${field}"`);
    return bounded(Math.floor(value), field);
  }
  if (typeof value !== 'string') throw invalidRequest(`invalid duration for "${field}": expected a string or a number`);
  const text = value.trim();
  if (text === '') return 0;
  if (/^\d+$/.test(text)) return bounded(Number(text), field);
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)/gy;
  let total = 0;
  let consumed = 0;
  for (let match = re.exec(text); match !== null; match = re.exec(text)) {
    total += Number(match[1]) * (UNIT_SECONDS[match[2] as string] as number);
    consumed = re.lastIndex;
  }
  if (consumed !== text.length || consumed === 0) throw invalidRequest(`invalid duration for "${field}"`);
  return bounded(Math.floor(total), field);
}
