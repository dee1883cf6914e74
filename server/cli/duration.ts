import { UsageError } from './usage-error.js';

const UNIT_SECONDS: Readonly<Record<string, number>> = { ms: 1e-3, s: 1, m: 60, h: 3600, d: 86400 };

/**
 * Parses a duration the way the `vault` CLI accepts it: plain seconds ("90"), or Go-style units
 * ("90s", "30m", "1h30m", "1.5h", "2d"). Returns whole seconds; throws UsageError otherwise.
 */
export function parseDurationSeconds(text: string, flagName: string): number {
  const value = text.trim();
  if (/^\d+$/.test(value)) return Number(value);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let totalSeconds = 0;
  let consumed = 0;
  for (let match = re.exec(value); match !== null; match = re.exec(value)) {
    totalSeconds += Number(match[1]) * (UNIT_SECONDS[match[2] as string] as number);
    consumed = re.lastIndex;
  }
  if (consumed === 0 || consumed !== value.length) {
    throw new UsageError(`invalid duration for -${flagName}: "${value}" (use e.g. 90s, 30m, 1h or plain seconds)`);
  }
  return Math.floor(totalSeconds);
}

/**
 * Formats seconds like Vault's `humanDuration`: Go's duration string with trailing zero units
 * dropped (3600 → "1h", 90 → "1m30s", 2764800 → "768h", 0 → "0s").
 */
export function formatDurationSeconds(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return '0s';
  const whole = Math.floor(seconds);
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const secs = whole % 60;
  let text = '';
  if (hours > 0) text += `${hours}h`;
  if (minutes > 0) text += `${minutes}m`;
  if (secs > 0) text += `${secs}s`;
  return text;
}
