import type { Logger } from 'pino';
import type { LogVendor } from './vendor.js';

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

/**
 * Creates the root logger writing hclog JSON lines (`@level`, `@message`, `@module`, `@timestamp`) to
 * stderr; stdout belongs to the handshake.
 */
export function createHclogLogger(vendor: LogVendor, level: HclogLevel | 'silent'): Logger {
  const { pino } = vendor;
  return pino(
    {
      level,
      messageKey: '@message',
      base: { '@module': 'provider.terraform-provider-ferry' },
      timestamp: () => `,"@timestamp":"${hclogTimestamp(new Date())}"`,
      formatters: { level: (label) => ({ '@level': label === 'fatal' ? 'error' : label }) },
      redact: { paths: ['token', 'password', '*.token', '*.password', 'headers["x-vault-token"]'], censor: '[redacted]' },
    },
    pino.destination({ fd: 2, sync: true }),
  );
}
