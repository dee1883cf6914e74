import { resolveLogSettings } from './log-settings.js';
import { DEFAULT_LEASE_TTL_SECONDS, DEFAULT_WAL_RETENTION_ENTRIES, type ServerConfig } from './server-config.js';

/**
 * The configuration of `ferry server -dev`: in-memory storage, plain HTTP on `listenAddress`, and
 * the log settings from `VAULT_LOG_LEVEL` / `VAULT_LOG_FORMAT` (flags are applied by the caller).
 */
export function devServerConfig(listenAddress: string, env: Readonly<Record<string, string | undefined>>): Readonly<ServerConfig> {
  return Object.freeze({
    storage: Object.freeze({ type: 'inmem' as const }),
    listener: Object.freeze({ address: listenAddress, tlsDisable: true }),
    ...resolveLogSettings({}, env),
    replication: Object.freeze({ walRetentionEntries: DEFAULT_WAL_RETENTION_ENTRIES }),
    uiEnabled: false,
    defaultLeaseTtlSeconds: DEFAULT_LEASE_TTL_SECONDS,
    maxLeaseTtlSeconds: DEFAULT_LEASE_TTL_SECONDS,
  });
}
