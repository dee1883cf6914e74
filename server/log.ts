import pino, { type DestinationStream, type Logger } from 'pino';
import { formatStandardLogLine } from './standard-log-line.js';

/** `log_format`: Vault's hclog-like text lines ("standard", the default) or one JSON object per line. */
export type LogFormat = 'standard' | 'json';

export interface RootLoggerOptions {
  readonly format?: LogFormat;
  /** Where finished lines go; stderr unless given (the server command passes a gate, see LogGate). */
  readonly destination?: DestinationStream;
}

const stderrDestination: DestinationStream = { write: (line: string) => void process.stderr.write(line) };

/**
 * The one root logger. Modules take a child (`logger.child({ module })`); a child of a child keeps
 * one `module` key (the innermost), never two. Paths that could carry a token or a secret are
 * redacted wherever they appear.
 */
export function createRootLogger(level: string, options: RootLoggerOptions = {}): Logger {
  const target = options.destination ?? stderrDestination;
  const destination: DestinationStream = options.format === 'json' ? target : { write: (line: string) => target.write(formatStandardLogLine(line)) };
  return pino(
    {
      name: 'ferry',
      level,
      base: { pid: process.pid },
      onChild: dedupeBindings,
      redact: {
        paths: [
          'token',
          'client_token',
          'req.headers["x-vault-token"]',
          'req.headers.authorization',
          'headers["x-vault-token"]',
          'headers.authorization',
          'password',
          'key',
          'keys',
          'root_token',
          'unseal_key',
          '*.token',
          '*.client_token',
          '*.password',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

/**
 * pino appends a child's bindings to its parent's as serialized JSON, so `core` → `rekey` would
 * print `"module":"core","module":"rekey"`. Re-serialize them with the innermost value of each key.
 */
function dedupeBindings(child: Logger): void {
  const holder = child as unknown as Record<symbol, unknown>;
  const serialized = holder[pino.symbols.chindingsSym];
  if (typeof serialized !== 'string' || serialized === '') return;
  const merged = JSON.parse(`{${serialized.slice(1)}}`) as Record<string, unknown>;
  holder[pino.symbols.chindingsSym] = Object.entries(merged)
    .map(([name, value]) => `,${JSON.stringify(name)}:${JSON.stringify(value)}`)
    .join('');
}
