import { DEFAULT_WAL_RETENTION_ENTRIES, loadServerConfig, type ServerConfig } from '../config/server-config.js';
import { startServer } from '../main.js';

interface ServerFlags {
  dev: boolean;
  devRootTokenId?: string;
  devListenAddress: string;
  configPath?: string;
  logLevel?: string;
}

function parseFlags(args: string[]): ServerFlags {
  const flags: ServerFlags = { dev: false, devListenAddress: '127.0.0.1:8200' };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const match = /^--?([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (match === null) throw new Error(`unexpected argument "${arg}"`);
    const name = match[1] as string;
    const takeValue = (): string => {
      if (match[2] !== undefined) return match[2];
      const next = args[++i];
      if (next === undefined) throw new Error(`flag -${name} needs a value`);
      return next;
    };
    switch (name) {
      case 'dev':
        flags.dev = match[2] === undefined || match[2] === 'true';
        break;
      case 'dev-root-token-id':
        flags.devRootTokenId = takeValue();
        break;
      case 'dev-listen-address':
        flags.devListenAddress = takeValue();
        break;
      case 'config':
        flags.configPath = takeValue();
        break;
      case 'log-level':
        flags.logLevel = takeValue();
        break;
      default:
        throw new Error(`unknown flag -${name} for "ferry server"`);
    }
  }
  if (!flags.dev && flags.configPath === undefined) throw new Error('ferry server needs -config=FILE, or -dev for a development server');
  return flags;
}

function devConfig(flags: ServerFlags): ServerConfig {
  return {
    storage: { type: 'inmem' },
    listener: { address: flags.devListenAddress, tlsDisable: true },
    logLevel: (flags.logLevel ?? 'info') as ServerConfig['logLevel'],
    replication: { walRetentionEntries: DEFAULT_WAL_RETENTION_ENTRIES },
    uiEnabled: false,
    defaultLeaseTtlSeconds: 768 * 3600,
    maxLeaseTtlSeconds: 768 * 3600,
  } as ServerConfig;
}

/** `ferry server -dev [...]` or `ferry server -config=FILE`: runs until SIGINT/SIGTERM. */
export async function runServerCommand(args: string[]): Promise<void> {
  let flags: ServerFlags;
  try {
    flags = parseFlags(args);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  let config: ServerConfig;
  try {
    config = flags.dev ? devConfig(flags) : await loadServerConfig(flags.configPath as string);
    if (flags.logLevel !== undefined && !flags.dev) config = { ...config, logLevel: flags.logLevel as ServerConfig['logLevel'] };
  } catch (err) {
    process.stderr.write(`Error loading configuration: ${(err as Error).message}\n`);
    process.exitCode = 1;
    return;
  }
  const server = await startServer(config, flags.dev ? (flags.devRootTokenId === undefined ? {} : { rootTokenId: flags.devRootTokenId }) : undefined);
  const lines = [
    '==> Ferry server configuration:',
    '',
    `             Api Address: ${server.apiAddr}`,
    `         Cluster Address: ${server.clusterAddr}`,
    `                 Storage: ${server.core.physical.kind}`,
    '',
  ];
  if (server.dev) {
    lines.push(
      'WARNING! dev mode is enabled! In this mode, Ferry runs entirely in-memory',
      'and starts unsealed with a single unseal key. The root token is already',
      'authenticated to the CLI, so you can immediately begin using Ferry.',
      '',
      `    $ export VAULT_ADDR='${server.apiAddr}'`,
      '',
      'The unseal key and root token are displayed below in case you want to',
      'seal/unseal the Vault or re-authenticate.',
      '',
      `Unseal Key: ${server.dev.unsealKey}`,
      `Root Token: ${server.dev.rootToken}`,
      '',
      'Development mode should NOT be used in production installations!',
      '',
    );
  }
  lines.push('==> Ferry server started! Log data will stream in below:', '');
  process.stdout.write(lines.join('\n') + '\n');
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
}
