import os from 'node:os';
import { devServerConfig } from '../config/dev-server-config.js';
import { loadServerConfig } from '../config/load-server-config.js';
import { applyLogFlags } from '../config/log-settings.js';
import type { ServerConfig } from '../config/server-config.js';
import { LogGate } from '../log-gate.js';
import { startServer, type RunningServer } from '../main.js';
import { parseServerFlags, serverHelp, type ServerFlags } from './server-flags.js';
import { tokenFilePath, writeTokenFile } from './token-file.js';
import { UsageError } from './usage-error.js';

/**
 * `ferry server -dev [...]` or `ferry server -config=PATH [...]`: runs until SIGINT/SIGTERM.
 * The banner goes to stdout; log lines go to stderr and are held back until the banner is printed
 * whole (as Vault's server command does), so the two never interleave.
 */
export async function runServerCommand(args: string[]): Promise<void> {
  let flags: ServerFlags;
  try {
    flags = parseServerFlags(args);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n\nRun "ferry server -h" for the list of flags.\n`);
    process.exitCode = 2;
    return;
  }
  if (flags.help) {
    process.stdout.write(serverHelp());
    return;
  }
  let config: ServerConfig;
  try {
    const base = flags.dev ? devServerConfig(flags.devListenAddress, process.env) : await loadServerConfig(flags.configPaths, process.env);
    config = applyLogFlags(base, {
      ...(flags.logLevel === undefined ? {} : { level: flags.logLevel }),
      ...(flags.logFormat === undefined ? {} : { format: flags.logFormat }),
    });
  } catch (err) {
    process.stderr.write(`Error loading configuration: ${(err as Error).message}\n`);
    process.exitCode = 1;
    return;
  }
  const gate = new LogGate((line) => void process.stderr.write(line));
  let server: RunningServer;
  try {
    server = await startServer(config, flags.dev ? (flags.devRootTokenId === undefined ? {} : { rootTokenId: flags.devRootTokenId }) : undefined, {
      logDestination: gate,
    });
  } catch (err) {
    gate.open();
    process.stderr.write(`Error starting the server: ${(err as Error).message}\n`);
    process.exitCode = 1;
    return;
  }
  const tokenNote = flags.dev && !flags.devNoStoreToken ? await storeDevRootToken(server) : undefined;
  process.stdout.write(banner(server, config, tokenNote));
  gate.open();
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.logger.info({ signal }, 'shutting down');
    server
      .stop()
      .catch((err: unknown) => server.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'shutdown failed'))
      .finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  // As Vault: SIGHUP reopens the audit files, so a rotated log is let go and recreated.
  process.on('SIGHUP', () => {
    server.core.audit
      .reopen()
      .catch((err: unknown) => server.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'reopening audit devices failed'));
  });
}

/**
 * Writes the dev root token to Vault's token file, as `vault server -dev` does, so the CLI is
 * already authenticated. Returns the line the banner prints about it.
 */
async function storeDevRootToken(server: RunningServer): Promise<string> {
  const file = tokenFilePath(process.env, os.homedir());
  try {
    await writeTokenFile(file, server.dev?.rootToken ?? '');
    return `The root token is stored in ${file}, so the CLI is already authenticated.`;
  } catch (err) {
    return `WARNING: the root token could not be stored in ${file} (${(err as NodeJS.ErrnoException).code ?? 'write failed'}); set VAULT_TOKEN.`;
  }
}

function banner(server: RunningServer, config: ServerConfig, tokenNote: string | undefined): string {
  const lines = [
    '==> Ferry server configuration:',
    '',
    `             Api Address: ${server.apiAddr}`,
    `         Cluster Address: ${server.clusterAddr}`,
    `               Log Level: ${config.logLevel}`,
    `              Log Format: ${config.logFormat}`,
    `                 Storage: ${server.core.physical.kind}`,
    '',
  ];
  if (server.dev) {
    lines.push(
      'WARNING! dev mode is enabled! In this mode, Ferry runs entirely in-memory',
      'and starts unsealed with a single unseal key.',
      ...(tokenNote === undefined ? ['The root token is not stored (-dev-no-store-token).'] : [tokenNote]),
      '',
      'You may need to set the following environment variable:',
      '',
      `    $ export VAULT_ADDR='${server.apiAddr}'`,
      '',
      'The unseal key and root token are displayed below in case you want to',
      'seal/unseal the server or re-authenticate.',
      '',
      `Unseal Key: ${server.dev.unsealKey}`,
      `Root Token: ${server.dev.rootToken}`,
      '',
      'Development mode should NOT be used in production installations!',
      '',
    );
  }
  lines.push('==> Ferry server started! Log data will stream in below:', '');
  return `${lines.join('\n')}\n`;
}
