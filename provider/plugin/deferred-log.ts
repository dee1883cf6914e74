import type { Logger } from 'pino';
import type { ProviderLog } from '../protocol/provider-log.js';
import type { HclogLevel } from './hclog-logger.js';

type LineLevel = Exclude<keyof ProviderLog, 'child'>;

const levelValues: Record<LineLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50 };

/**
 * A ProviderLog that sets pino up only when the first line at `level` or above is logged. Terraform discards
 * provider logs unless TF_LOG asks for them, and the provider then logs only warnings, so most launches
 * never load pino nor build its redaction and stderr stream. Lines logged while pino is loading (a microtask
 * in the provider bundle) are written, in order, once it is there; formatting and redaction are pino's.
 */
export function createDeferredLog(level: HclogLevel | 'silent', loadLogger: () => Promise<Logger>): ProviderLog {
  const threshold = level === 'silent' ? Infinity : levelValues[level];
  let logger: Logger | undefined;
  let loading: Promise<void> | undefined;
  const waiting: Array<() => void> = [];

  const node = (parent: (() => Logger) | undefined, bindings: Record<string, unknown> | undefined): ProviderLog => {
    let own: Logger | undefined;
    const real = (): Logger => {
      if (own !== undefined) return own;
      if (logger === undefined) throw new Error('the logger is not loaded yet');
      own = parent === undefined || bindings === undefined ? logger : parent().child(bindings);
      return own;
    };
    const line =
      (lineLevel: LineLevel) =>
      (fields: object, message: string): void => {
        if (levelValues[lineLevel] < threshold) return;
        if (logger !== undefined) {
          real()[lineLevel](fields, message);
          return;
        }
        waiting.push(() => real()[lineLevel](fields, message));
        loading ??= loadLogger().then(
          (loaded) => {
            logger = loaded;
            for (const write of waiting.splice(0)) write();
          },
          (err: unknown) => {
            process.stderr.write(`[ERROR] terraform-provider-ferry: setting up logging failed: ${err instanceof Error ? err.message : String(err)}\n`);
          },
        );
      };
    return {
      child: (childBindings) => node(real, childBindings),
      trace: line('trace'),
      debug: line('debug'),
      info: line('info'),
      warn: line('warn'),
      error: line('error'),
    };
  };
  return node(undefined, undefined);
}
