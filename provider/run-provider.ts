import { appProtocolVersion, readPluginEnv, runByHandMessage } from './plugin/handshake.js';
import { providerLogLevel } from './plugin/hclog-logger.js';
import { serveProvider } from './plugin/serve.js';

/**
 * Runs terraform-provider-ferry: checks how it was launched and serves the plugin. Loaded by main.ts only
 * after console output has been sent to stderr (stdout carries the handshake line alone). Never rejects:
 * a failure to start is reported on stderr and ends the process.
 */
export async function runProvider(argv: string[]): Promise<void> {
  try {
    await serve(argv);
  } catch (err: unknown) {
    process.stderr.write(`[ERROR] terraform-provider-ferry failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  }
}

async function serve(argv: string[]): Promise<void> {
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
