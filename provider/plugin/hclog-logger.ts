import { writeSync } from 'node:fs';
import type { RpcLog } from '../protocol/rpc-log.js';

/** Levels hclog understands; Terraform re-logs provider stderr lines at these levels. */
export type HclogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

const levelByName: Record<string, HclogLevel | 'silent'> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  error: 'error',
  off: 'silent',
};

const severity: Record<HclogLevel | 'silent', number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, silent: Infinity };

/**
 * Picks the provider's verbosity from the Terraform log settings it inherits (TF_LOG_PROVIDER wins over
 * TF_LOG, as in Terraform itself). Without either, Terraform discards provider logs, so log only warnings.
 */
export function providerLogLevel(env: NodeJS.ProcessEnv): HclogLevel | 'silent' {
  const raw = (env['TF_LOG_PROVIDER'] ?? env['TF_LOG'] ?? '').trim().toLowerCase();
  if (raw === '') return 'warn';
  if (raw === 'json') return 'trace';
  return levelByName[raw] ?? 'info';
}

/** hclog wants exactly six fractional digits; anything else turns the line into an unparsed DEBUG line. */
export function hclogTimestamp(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Field names whose values never reach a log line, at the top level or one object down (`headers`, ...). */
const secretFields = new Set(['token', 'password', 'x-vault-token']);
const redacted = '[redacted]';

function redact(fields: Record<string, unknown>, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (secretFields.has(key.toLowerCase())) out[key] = redacted;
    else if (depth === 0 && value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Error))
      out[key] = redact(value as Record<string, unknown>, 1);
    else if (value instanceof Error) out[key] = { type: value.name, message: value.message, stack: value.stack };
    else out[key] = value;
  }
  return out;
}

/**
 * The provider's logger: hclog JSON lines (`@level`, `@message`, `@module`, `@timestamp`, then the fields)
 * written synchronously to stderr — stdout belongs to the handshake. Fields named `token`, `password` or
 * `x-vault-token` (also one object down, e.g. in `headers`) are redacted. A few dozen lines instead of
 * pino: pino's set-up (its redaction compiler, stream and transport modules) cost the provider's start-up
 * more than all of its logging.
 */
export class HclogLogger implements RpcLog {
  readonly #threshold: number;
  readonly #bindings: Record<string, unknown>;
  readonly #write: (line: string) => void;

  constructor(level: HclogLevel | 'silent', bindings: Record<string, unknown> = {}, write: (line: string) => void = (line) => writeSync(2, line)) {
    this.#threshold = severity[level];
    this.#bindings = bindings;
    this.#write = write;
  }

  /** A logger adding `bindings` (e.g. `@module`) to every line; the level stays. */
  child(bindings: Record<string, unknown>): HclogLogger {
    const level = (Object.keys(severity) as Array<HclogLevel | 'silent'>).find((l) => severity[l] === this.#threshold) ?? 'silent';
    return new HclogLogger(level, { ...this.#bindings, ...bindings }, this.#write);
  }

  debug(fieldsOrMessage: object | string, message = ''): void {
    this.#log('debug', fieldsOrMessage, message);
  }
  warn(fieldsOrMessage: object | string, message = ''): void {
    this.#log('warn', fieldsOrMessage, message);
  }
  error(fieldsOrMessage: object | string, message = ''): void {
    this.#log('error', fieldsOrMessage, message);
  }

  #log(level: HclogLevel, fieldsOrMessage: object | string, message: string): void {
    if (severity[level] < this.#threshold) return;
    const fields = typeof fieldsOrMessage === 'string' ? {} : fieldsOrMessage;
    const line = {
      '@level': level,
      '@timestamp': hclogTimestamp(new Date()),
      '@module': 'provider.terraform-provider-ferry',
      ...redact({ ...this.#bindings, ...(fields as Record<string, unknown>) }),
      '@message': typeof fieldsOrMessage === 'string' ? fieldsOrMessage : message,
    };
    try {
      this.#write(`${JSON.stringify(line)}\n`);
    } catch {
      // stderr gone (Terraform exited): logging must never take the provider down
    }
  }
}
