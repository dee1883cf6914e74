import { invalidRequest } from './vault-error.js';

/**
 * Durations as Vault reads and prints them: one module for the API, the configuration and the CLI.
 * Input is whole seconds or Go's duration syntax (`90s`, `1h30m`, `1.5h`, plus Vault's `d`);
 * output is Go's `time.Duration` string or the CLI's shorter `humanDuration`.
 */

const UNIT_SECONDS: Readonly<Record<string, number>> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600, d: 86400 };

/** The longest duration Go's time.Duration (int64 nanoseconds) holds, about 292 years; Vault refuses longer. */
export const MAX_DURATION_SECONDS = 9_223_372_036;

/** Why a text is not a duration, or its whole seconds. */
export type DurationParse = { ok: true; seconds: number } | { ok: false; reason: 'syntax' | 'too_large' };

/** Parses `90`, `90s`, `1h30m`, `1.5h`, `2d` (and Go's `ms`/`us`/`ns`) into whole seconds. */
export function parseDuration(text: string): DurationParse {
  const value = text.trim();
  let total: number;
  if (/^\d+$/.test(value)) {
    total = Number(value);
  } else {
    const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)/gy;
    total = 0;
    let consumed = 0;
    for (let match = re.exec(value); match !== null; match = re.exec(value)) {
      total += Number(match[1]) * (UNIT_SECONDS[match[2] as string] as number);
      consumed = re.lastIndex;
    }
    if (consumed === 0 || consumed !== value.length) return { ok: false, reason: 'syntax' };
  }
  if (total > MAX_DURATION_SECONDS) return { ok: false, reason: 'too_large' };
  return { ok: true, seconds: Math.floor(total) };
}

/**
 * A duration field of an API request: a number of seconds (number or numeric string) or a Go-style
 * duration string. An empty string is 0. Anything else is a 400 naming the field.
 */
export function parseDurationSeconds(value: unknown, field: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw invalidRequest(`invalid duration for "${field}"`);
    if (value > MAX_DURATION_SECONDS) throw invalidRequest(`invalid duration for "${field}": too large`);
    return Math.floor(value);
  }
  if (typeof value !== 'string') throw invalidRequest(`invalid duration for "${field}": expected a string or a number`);
  if (value.trim() === '') return 0;
  const parsed = parseDuration(value);
  if (!parsed.ok) throw invalidRequest(parsed.reason === 'too_large' ? `invalid duration for "${field}": too large` : `invalid duration for "${field}"`);
  return parsed.seconds;
}

/** Whole seconds as Go's time.Duration prints them ("0s", "1m30s", "3h0m0s"), as Vault's API returns them. */
export function formatGoDuration(totalSeconds: number): string {
  if (!Number.isFinite(totalSeconds) || totalSeconds <= 0) return '0s';
  const whole = Math.floor(totalSeconds);
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const seconds = whole % 60;
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}

/**
 * Whole seconds like the Vault CLI's `humanDuration`: Go's string with zero units dropped
 * (3600 → "1h", 90 → "1m30s", 2764800 → "768h", 0 → "0s").
 */
export function formatHumanDuration(totalSeconds: number): string {
  if (!Number.isFinite(totalSeconds) || totalSeconds <= 0) return '0s';
  const whole = Math.floor(totalSeconds);
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const seconds = whole % 60;
  return `${hours > 0 ? `${hours}h` : ''}${minutes > 0 ? `${minutes}m` : ''}${seconds > 0 ? `${seconds}s` : ''}`;
}
