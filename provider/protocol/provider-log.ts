/**
 * The logging the provider's RPC handlers do: the part of pino's Logger they call. A pino Logger is one; the
 * plugin hands them a deferred one (provider/plugin/deferred-log.ts) that loads pino only when a line is due.
 */
export interface ProviderLog {
  child(bindings: Record<string, unknown>): ProviderLog;
  trace(fields: object, message: string): void;
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}
