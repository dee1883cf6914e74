// Entry point of terraform-provider-ferry. Terraform reads exactly one stdout line from this process (the
// go-plugin handshake), so nothing else may ever write there: console output is sent to stderr first.
console.log = console.error;
console.info = console.error;
console.debug = console.error;

import { appProtocolVersion, readPluginEnv, runByHandMessage } from './plugin/handshake.js';
import { providerLogLevel } from './plugin/hclog-logger.js';
import { serveProvider } from './plugin/serve.js';

async function main(argv: string[]): Promise<void> {
  const env = readPluginEnv(process.env);
  const debug = argv.includes('-debug') || argv.includes('--debug');
  if (!debug) {
    if (!env.hasMagicCookie) {
      process.stderr.write(runByHandMessage);
      process.exit(1);
    }
    if (!env.offeredProtocolVersions.has(appProtocolVersion)) {
      process.stderr.write(
        `terraform-provider-ferry speaks plugin protocol ${appProtocolVersion}; Terraform offered ` +
          `${[...env.offeredProtocolVersions].join(',') || 'none'} (Terraform 1.0 or newer is required)\n`,
      );
      process.exit(1);
    }
    // Ctrl-C reaches the whole process group; Terraform cancels through StopProvider and Shutdown instead.
    process.on('SIGINT', () => {});
  }
  await serveProvider({
    env,
    debug,
    traceStartup: process.env['FERRY_PROVIDER_TRACE_STARTUP'] === '1',
    logLevel: providerLogLevel(process.env),
    loadEngine: async () =>
      (await import('./ferry-provider.js')).createFerryEngine({
        FERRY_ADDR: process.env['FERRY_ADDR'],
        VAULT_ADDR: process.env['VAULT_ADDR'],
        FERRY_TOKEN: process.env['FERRY_TOKEN'],
        VAULT_TOKEN: process.env['VAULT_TOKEN'],
      }),
  });
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`[ERROR] terraform-provider-ferry failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
