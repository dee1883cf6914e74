import type { LogFormat } from '../log.js';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/** `log_level` and `log_format` after the config file, the environment and the flags are applied. */
interface LogSettings {
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
}

/** Environment variables that override the config file (flags override both), as in Vault. */
const LOG_LEVEL_ENV = 'VAULT_LOG_LEVEL';
const LOG_FORMAT_ENV = 'VAULT_LOG_FORMAT';

const LOG_LEVELS: Readonly<Record<string, LogLevel>> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  err: 'error',
};

/** A log setting that does not validate; the message names its source (setting, variable or flag). */
export class LogSettingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LogSettingError';
  }
}

/**
 * Resolves the log settings: each of `flags`, then the environment, then the config file's value
 * wins when set; the defaults are `info` and `standard`. Values are case-insensitive.
 */
export function resolveLogSettings(
  file: { readonly level?: string; readonly format?: string },
  env: Readonly<Record<string, string | undefined>>,
  flags: { readonly level?: string; readonly format?: string } = {},
): LogSettings {
  const level = pick([flags.level, '-log-level'], [env[LOG_LEVEL_ENV], LOG_LEVEL_ENV], [file.level, 'log_level']);
  const format = pick([flags.format, '-log-format'], [env[LOG_FORMAT_ENV], LOG_FORMAT_ENV], [file.format, 'log_format']);
  return {
    logLevel: level === undefined ? 'info' : parseLogLevel(level.value, level.source),
    logFormat: format === undefined ? 'standard' : parseLogFormat(format.value, format.source),
  };
}

function pick(...candidates: ReadonlyArray<readonly [string | undefined, string]>): { value: string; source: string } | undefined {
  for (const [value, source] of candidates) {
    if (value !== undefined && value.trim() !== '') return { value, source };
  }
  return undefined;
}

function parseLogLevel(text: string, source: string): LogLevel {
  const level = LOG_LEVELS[text.trim().toLowerCase()];
  if (level === undefined) throw new LogSettingError(`${source} must be one of trace, debug, info, warn, error`);
  return level;
}

function parseLogFormat(text: string, source: string): LogFormat {
  const format = text.trim().toLowerCase();
  if (format !== 'standard' && format !== 'json') throw new LogSettingError(`${source} must be "standard" or "json"`);
  return format;
}

/** The config with `-log-level` / `-log-format` applied on top (flags beat the file and the environment). */
export function applyLogFlags<T extends LogSettings>(config: T, flags: { readonly level?: string; readonly format?: string }): T {
  return { ...config, ...resolveLogSettings({ level: config.logLevel, format: config.logFormat }, {}, flags) };
}
