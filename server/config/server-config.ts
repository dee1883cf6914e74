/**
 * The server config file: Vault's HCL (or JSON) layout, parsed and validated once at startup,
 * then frozen and passed down. An unknown or invalid setting stops startup with a `ConfigError`
 * that names the file and the setting.
 *
 * ```hcl
 * storage "sqlite" { path = "/var/lib/ferry/ferry.db" }   # or storage "inmem" {}; `backend` is an alias
 * # or storage "postgresql" { connection_url = "postgres://…" }: see PostgresqlStorageConfig
 * listener "tcp" {
 *   address       = "127.0.0.1:8200"
 *   tls_cert_file = "/etc/ferry/tls.crt"
 *   tls_key_file  = "/etc/ferry/tls.key"                  # or tls_disable = true
 * }
 * api_addr     = "https://127.0.0.1:8200"
 * cluster_addr = "https://127.0.0.1:8201"
 * cluster_name = "east"
 * log_level    = "info"                                  # or VAULT_LOG_LEVEL, or -log-level
 * log_format   = "standard"                              # or "json"; VAULT_LOG_FORMAT, -log-format
 * ui           = false
 * disable_mlock = true                                    # accepted and ignored
 * default_lease_ttl = "768h"
 * max_lease_ttl     = "768h"
 * replication { logshipper_buffer_length = 16384 }
 * provider_release_dir = "/srv/ferry/dist/release"        # optional: serve provider releases (read-only)
 * ```
 */
import { parseDurationSeconds } from '../core/duration.js';
import { HclError, isHclBlockValue, parseHcl, readBlocks, type HclObject, type HclValue } from '../core/hcl.js';
import type { LogFormat } from '../log.js';
import { DEFAULT_POSTGRESQL_MAX_PARALLEL } from '../storage/postgresql-backend.js';
import { isPostgresUrl } from '../storage/postgresql-connection-url.js';
import { checkTableName, DEFAULT_HA_TABLE, DEFAULT_KV_TABLE } from '../storage/postgresql-schema.js';
import { LogSettingError, resolveLogSettings, type LogLevel } from './log-settings.js';

export type StorageConfig = { readonly type: 'sqlite'; readonly path: string } | { readonly type: 'inmem' } | PostgresqlStorageConfig;

/**
 * `storage "postgresql"`, with Vault's keys. `VAULT_PG_CONNECTION_URL`, when set and non-empty,
 * replaces `connection_url` (as in Vault). Unlike Vault, missing tables are created.
 */
export interface PostgresqlStorageConfig {
  readonly type: 'postgresql';
  /** `connection_url`: a postgres:// URL; may hold a password, so it is never logged or echoed. */
  readonly connectionUrl: string;
  /** `table`, default `vault_kv_store`. */
  readonly table: string;
  /** `max_parallel`: the connection pool's size, default 128. */
  readonly maxParallel: number;
  /** `max_idle_connections`: idle connections kept open; unset, idle ones close after a while. */
  readonly maxIdleConnections?: number;
  /** `ha_enabled`: nodes on one database form an active/standby cluster through the lock in `ha_table`. */
  readonly haEnabled: boolean;
  /** `ha_table`, default `vault_ha_locks`. */
  readonly haTable: string;
}

/** The environment variable that overrides `connection_url`, as in Vault. */
export const PG_CONNECTION_URL_ENV = 'VAULT_PG_CONNECTION_URL';

export interface ListenerConfig {
  /** host:port to listen on. */
  readonly address: string;
  readonly tlsDisable: boolean;
  /** Present unless `tlsDisable`. */
  readonly tlsCertFile?: string;
  readonly tlsKeyFile?: string;
}

export interface ReplicationConfig {
  /** How many WAL entries the primary keeps for secondaries to catch up from (`logshipper_buffer_length`). */
  readonly walRetentionEntries: number;
  /** Where `secondary/enable` saves a snapshot of this cluster before wiping it (`pre_wipe_snapshot_dir`, absolute). */
  readonly preWipeSnapshotDir?: string;
  /**
   * `dr_synchronous = true`: a client write is answered only once a DR secondary acknowledged it
   * committed, or with a 503 after `dr_synchronous_timeout` (see DrSynchronousConfig).
   */
  readonly drSynchronous?: DrSynchronousConfig;
}

export interface DrSynchronousConfig {
  /** `dr_synchronous_timeout`: how long a write waits for an acknowledgement before the 503. */
  readonly timeoutSeconds: number;
}

/** The validated, deeply frozen server configuration. */
export interface ServerConfig {
  readonly storage: StorageConfig;
  readonly listener: ListenerConfig;
  /** The URL clients should use to reach this node (`api_addr`). */
  readonly apiAddr?: string;
  /** The URL other clusters use to reach this node for replication (`cluster_addr`). */
  readonly clusterAddr?: string;
  readonly clusterName?: string;
  readonly logLevel: LogLevel;
  /** `log_format`: "standard" (hclog-like text, the default) or "json". */
  readonly logFormat: LogFormat;
  readonly replication: ReplicationConfig;
  readonly uiEnabled: boolean;
  readonly defaultLeaseTtlSeconds: number;
  readonly maxLeaseTtlSeconds: number;
  /** A folder of provider releases (`npm run provider:package` output) to serve under /terraform/providers/. */
  readonly providerReleaseDir?: string;
}

/** A config file that cannot be read or does not validate. The message names the file and the setting. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export const DEFAULT_LISTENER_ADDRESS = '127.0.0.1:8200';
export const DEFAULT_WAL_RETENTION_ENTRIES = 16384;
export const DEFAULT_DR_SYNCHRONOUS_TIMEOUT_SECONDS = 5;
/** Vault's system default for both lease TTLs: 768 hours (32 days). */
export const DEFAULT_LEASE_TTL_SECONDS = 768 * 3600;

const TOP_LEVEL_KEYS: ReadonlySet<string> = new Set([
  'storage',
  'backend',
  'listener',
  'api_addr',
  'cluster_addr',
  'cluster_name',
  'log_level',
  'log_format',
  'replication',
  'ui',
  'disable_mlock',
  'default_lease_ttl',
  'max_lease_ttl',
  'provider_release_dir',
]);
const LISTENER_KEYS: ReadonlySet<string> = new Set(['address', 'tls_disable', 'tls_cert_file', 'tls_key_file']);
const REPLICATION_KEYS: ReadonlySet<string> = new Set(['logshipper_buffer_length', 'pre_wipe_snapshot_dir', 'dr_synchronous', 'dr_synchronous_timeout']);
const STORAGE_KEYS: Readonly<Record<StorageConfig['type'], ReadonlySet<string>>> = {
  sqlite: new Set(['path']),
  inmem: new Set(),
  postgresql: new Set(['connection_url', 'table', 'max_parallel', 'max_idle_connections', 'ha_enabled', 'ha_table']),
};

/**
 * Parses and validates a config document, HCL or JSON (a document starting with `{` is JSON).
 * `sourceName` (usually the file path) prefixes every error message. `env` is the only place
 * settings come from besides the document (`VAULT_PG_CONNECTION_URL`).
 */
export async function parseServerConfig(text: string, sourceName: string, env: NodeJS.ProcessEnv = process.env): Promise<Readonly<ServerConfig>> {
  let document: HclObject;
  try {
    document = parseHcl(text);
  } catch (err) {
    if (err instanceof HclError) throw new ConfigError(`${sourceName}: ${err.message}`);
    throw err;
  }
  return configFromDocument(document, sourceName, env);
}

/** Validates an already parsed document (see `loadServerConfig`); errors start with `sourceName`. */
export function configFromDocument(document: HclObject, sourceName: string, env: NodeJS.ProcessEnv): Readonly<ServerConfig> {
  try {
    return deepFreeze(readConfig(document, env));
  } catch (err) {
    if (err instanceof HclError || err instanceof ConfigError) throw new ConfigError(`${sourceName}: ${err.message}`);
    throw err;
  }
}

function readConfig(document: HclObject, env: NodeJS.ProcessEnv): ServerConfig {
  for (const key of Object.keys(document)) {
    if (!TOP_LEVEL_KEYS.has(key)) throw new ConfigError(`unknown setting ${JSON.stringify(key)}`);
  }
  const defaultLeaseTtlSeconds = readDuration(document, 'default_lease_ttl', '') ?? DEFAULT_LEASE_TTL_SECONDS;
  const maxLeaseTtlSeconds = readDuration(document, 'max_lease_ttl', '') ?? DEFAULT_LEASE_TTL_SECONDS;
  if (defaultLeaseTtlSeconds > maxLeaseTtlSeconds) {
    throw new ConfigError('default_lease_ttl must not be greater than max_lease_ttl');
  }
  readBool(document, 'disable_mlock', ''); // accepted for Vault compatibility; Node cannot mlock
  const config: ServerConfig = {
    storage: readStorage(document, env),
    listener: readListener(document),
    ...readLogSettings(document, env),
    replication: readReplication(document),
    uiEnabled: readBool(document, 'ui', '') ?? false,
    defaultLeaseTtlSeconds,
    maxLeaseTtlSeconds,
  };
  const apiAddr = readUrl(document, 'api_addr');
  const clusterAddr = readUrl(document, 'cluster_addr');
  const clusterName = readString(document, 'cluster_name', '');
  const providerReleaseDir = readString(document, 'provider_release_dir', '');
  if (providerReleaseDir !== undefined && !providerReleaseDir.startsWith('/')) {
    throw new ConfigError('provider_release_dir must be an absolute path');
  }
  return {
    ...config,
    ...(apiAddr === undefined ? {} : { apiAddr }),
    ...(clusterAddr === undefined ? {} : { clusterAddr }),
    ...(clusterName === undefined ? {} : { clusterName }),
    ...(providerReleaseDir === undefined ? {} : { providerReleaseDir }),
  };
}

function readStorage(document: HclObject, env: NodeJS.ProcessEnv): StorageConfig {
  return readStorageBlock(document, env, ['storage', 'backend']);
}

/** One storage block (the first name is the canonical one, the others aliases), as `storage` is read. */
export function readStorageBlock(document: HclObject, env: NodeJS.ProcessEnv, names: readonly [string, ...string[]]): StorageConfig {
  const name = names[0];
  const blocks = names.flatMap((n) => readBlocks(document, n, 1));
  if (blocks.length === 0) throw new ConfigError(`a ${name} block is required (${name} "sqlite" { path = "…" } or ${name} "inmem" {})`);
  if (blocks.length > 1) throw new ConfigError(`only one ${name} block is permitted`);
  const { labels, body } = blocks[0] as (typeof blocks)[number];
  const type = labels[0] as string;
  if (type !== 'sqlite' && type !== 'inmem' && type !== 'postgresql') {
    throw new ConfigError(`${name} ${JSON.stringify(type)}: unsupported storage type (supported: "sqlite", "postgresql", "inmem")`);
  }
  const where = `${name} ${JSON.stringify(type)}: `;
  rejectUnknown(body, STORAGE_KEYS[type], where);
  if (type === 'inmem') return { type };
  if (type === 'postgresql') return readPostgresqlStorage(body, env, where);
  const path = readString(body, 'path', where);
  if (path === undefined) throw new ConfigError(`${where}path is required`);
  return { type, path };
}

function readPostgresqlStorage(body: HclObject, env: NodeJS.ProcessEnv, where: string): PostgresqlStorageConfig {
  const fromEnv = env[PG_CONNECTION_URL_ENV];
  const connectionUrl = fromEnv !== undefined && fromEnv !== '' ? fromEnv : readString(body, 'connection_url', where);
  const source = fromEnv !== undefined && fromEnv !== '' ? PG_CONNECTION_URL_ENV : `${where}connection_url`;
  if (connectionUrl === undefined) throw new ConfigError(`${where}connection_url is required (or set ${PG_CONNECTION_URL_ENV})`);
  // The URL may carry a password: say what is wrong without repeating it.
  if (!isPostgresUrl(connectionUrl)) throw new ConfigError(`${source} must be a postgres:// or postgresql:// URL`);
  const table = readTableName(body, 'table', where) ?? DEFAULT_KV_TABLE;
  const haTable = readTableName(body, 'ha_table', where) ?? DEFAULT_HA_TABLE;
  const haEnabled = readBool(body, 'ha_enabled', where) ?? false;
  if (haTable === table) throw new ConfigError(`${where}ha_table must differ from table`);
  const maxParallel = readPositiveInteger(body, 'max_parallel', where) ?? DEFAULT_POSTGRESQL_MAX_PARALLEL;
  const maxIdleConnections = readNonNegativeInteger(body, 'max_idle_connections', where);
  return {
    type: 'postgresql',
    connectionUrl,
    table,
    maxParallel,
    ...(maxIdleConnections === undefined ? {} : { maxIdleConnections }),
    haEnabled,
    haTable,
  };
}

function readTableName(body: HclObject, key: string, where: string): string | undefined {
  const name = readString(body, key, where);
  if (name === undefined) return undefined;
  const problem = checkTableName(name);
  if (problem !== undefined) throw new ConfigError(`${where}${key} ${problem}`);
  return name;
}

function readListener(document: HclObject): ListenerConfig {
  const blocks = readBlocks(document, 'listener', 1);
  if (blocks.length === 0) throw new ConfigError('a listener "tcp" block is required');
  if (blocks.length > 1) throw new ConfigError('only one listener block is supported');
  const { labels, body } = blocks[0] as (typeof blocks)[number];
  const type = labels[0] as string;
  if (type !== 'tcp') throw new ConfigError(`listener ${JSON.stringify(type)}: unsupported listener type (supported: "tcp")`);
  const where = 'listener "tcp": ';
  rejectUnknown(body, LISTENER_KEYS, where);

  const address = readString(body, 'address', where) ?? DEFAULT_LISTENER_ADDRESS;
  if (!isHostPort(address)) throw new ConfigError(`${where}address must be host:port, e.g. ${DEFAULT_LISTENER_ADDRESS}`);
  const tlsDisable = readBool(body, 'tls_disable', where) ?? false;
  const tlsCertFile = readString(body, 'tls_cert_file', where);
  const tlsKeyFile = readString(body, 'tls_key_file', where);
  if (!tlsDisable) {
    if (tlsCertFile === undefined) throw new ConfigError(`${where}tls_cert_file is required unless tls_disable = true`);
    if (tlsKeyFile === undefined) throw new ConfigError(`${where}tls_key_file is required unless tls_disable = true`);
  }
  return {
    address,
    tlsDisable,
    ...(tlsCertFile === undefined ? {} : { tlsCertFile }),
    ...(tlsKeyFile === undefined ? {} : { tlsKeyFile }),
  };
}

function readReplication(document: HclObject): ReplicationConfig {
  const blocks = readBlocks(document, 'replication', 0);
  if (blocks.length > 1) throw new ConfigError('only one replication block is permitted');
  const body = blocks[0]?.body ?? {};
  const where = 'replication: ';
  rejectUnknown(body, REPLICATION_KEYS, where);
  const walRetentionEntries = readPositiveInteger(body, 'logshipper_buffer_length', where) ?? DEFAULT_WAL_RETENTION_ENTRIES;
  const preWipeSnapshotDir = readString(body, 'pre_wipe_snapshot_dir', where);
  if (preWipeSnapshotDir !== undefined && !preWipeSnapshotDir.startsWith('/')) throw new ConfigError(`${where}pre_wipe_snapshot_dir must be an absolute path`);
  const drSynchronous = readDrSynchronous(body, where);
  return {
    walRetentionEntries,
    ...(preWipeSnapshotDir === undefined ? {} : { preWipeSnapshotDir }),
    ...(drSynchronous === undefined ? {} : { drSynchronous }),
  };
}

function readDrSynchronous(body: HclObject, where: string): DrSynchronousConfig | undefined {
  const isOn = readBool(body, 'dr_synchronous', where) ?? false;
  const timeoutSeconds = readDuration(body, 'dr_synchronous_timeout', where);
  if (!isOn) {
    if (timeoutSeconds !== undefined) throw new ConfigError(`${where}dr_synchronous_timeout needs dr_synchronous = true`);
    return undefined;
  }
  if (timeoutSeconds !== undefined && timeoutSeconds < 1) throw new ConfigError(`${where}dr_synchronous_timeout must be at least 1s`);
  return { timeoutSeconds: timeoutSeconds ?? DEFAULT_DR_SYNCHRONOUS_TIMEOUT_SECONDS };
}

/** `log_level` and `log_format`; `VAULT_LOG_LEVEL` / `VAULT_LOG_FORMAT` override the file. */
function readLogSettings(document: HclObject, env: NodeJS.ProcessEnv): Pick<ServerConfig, 'logLevel' | 'logFormat'> {
  const level = readString(document, 'log_level', '');
  const format = readString(document, 'log_format', '');
  try {
    return resolveLogSettings({ ...(level === undefined ? {} : { level }), ...(format === undefined ? {} : { format }) }, env);
  } catch (err) {
    if (err instanceof LogSettingError) throw new ConfigError(err.message);
    throw err;
  }
}

function rejectUnknown(body: HclObject, known: ReadonlySet<string>, where: string): void {
  for (const key of Object.keys(body)) {
    if (!known.has(key)) throw new ConfigError(`${where}unknown setting ${JSON.stringify(key)}`);
  }
}

/** An attribute's value, or undefined when absent. A block where a value belongs is an error. */
function readValue(body: HclObject, key: string, where: string): HclValue | undefined {
  if (!Object.hasOwn(body, key)) return undefined;
  const value = body[key] as HclValue;
  if (isHclBlockValue(value)) throw new ConfigError(`${where}${key} must be a value, not a block`);
  return value;
}

function readString(body: HclObject, key: string, where: string): string | undefined {
  const value = readValue(body, key, where);
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(`${where}${key} must be a non-empty string`);
  return value;
}

/** Vault-style booleans: true/false, or the strings and numbers "true"/"false"/"1"/"0". */
function readBool(body: HclObject, key: string, where: string): boolean | undefined {
  const value = readValue(body, key, where);
  if (value === undefined) return undefined;
  if (typeof value === 'boolean') return value;
  const text = typeof value === 'string' ? value.trim().toLowerCase() : typeof value === 'number' ? String(value) : undefined;
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  throw new ConfigError(`${where}${key} must be true or false`);
}

function readPositiveInteger(body: HclObject, key: string, where: string): number | undefined {
  const value = readValue(body, key, where);
  if (value === undefined) return undefined;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw new ConfigError(`${where}${key} must be a positive integer`);
  return n;
}

function readNonNegativeInteger(body: HclObject, key: string, where: string): number | undefined {
  const value = readValue(body, key, where);
  if (value === undefined) return undefined;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw new ConfigError(`${where}${key} must be a non-negative integer`);
  return n;
}

function readDuration(body: HclObject, key: string, where: string): number | undefined {
  const value = readValue(body, key, where);
  if (value === undefined) return undefined;
  try {
    return parseDurationSeconds(value, key);
  } catch {
    throw new ConfigError(`${where}${key} must be a duration such as "768h" or a number of seconds`);
  }
}

function readUrl(body: HclObject, key: string): string | undefined {
  const value = readString(body, key, '');
  if (value === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.host === '') {
    throw new ConfigError(`${key} must be an http(s) URL such as https://127.0.0.1:8200`);
  }
  return value;
}

function isHostPort(address: string): boolean {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(address);
  return match !== null && Number(match[2]) <= 65535;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
