import { parseDuration } from '../core/duration.js';
import { UsageError } from './usage-error.js';

/** A duration flag's value in whole seconds; anything else is a usage error naming the flag. */
export function parseDurationFlag(text: string, flagName: string): number {
  const parsed = parseDuration(text);
  if (!parsed.ok) {
    throw new UsageError(
      parsed.reason === 'too_large'
        ? `invalid duration for -${flagName}: "${text.trim()}" is too large`
        : `invalid duration for -${flagName}: "${text.trim()}" (use e.g. 90s, 30m, 1h or plain seconds)`,
    );
  }
  return parsed.seconds;
}
