import { readFile } from 'node:fs/promises';
import { HclError, parseHcl, type HclObject } from '../core/hcl.js';
import { ConfigError, readStorageBlock, type StorageConfig } from './server-config.js';

/** What `ferry operator migrate -config=FILE` reads: Vault's `storage_source` and `storage_destination` blocks. */
export interface MigrationConfig {
  readonly source: StorageConfig;
  readonly destination: StorageConfig;
}

const KNOWN: ReadonlySet<string> = new Set(['storage_source', 'storage_destination', 'cluster_addr']);

/**
 * Parses a migration config. Connection URLs come from the blocks only (`VAULT_PG_CONNECTION_URL`
 * would name the same database for both ends). Both ends must be durable: an inmem end exists
 * only inside one process, so it is refused here (tests migrate inmem backends in-process).
 */
export function parseMigrationConfig(text: string, sourceName: string): MigrationConfig {
  let document: HclObject;
  try {
    document = parseHcl(text);
  } catch (err) {
    if (err instanceof HclError) throw new ConfigError(`${sourceName}: ${err.message}`);
    throw err;
  }
  try {
    for (const key of Object.keys(document)) if (!KNOWN.has(key)) throw new ConfigError(`unknown setting ${JSON.stringify(key)}`);
    const source = readStorageBlock(document, {}, ['storage_source']);
    const destination = readStorageBlock(document, {}, ['storage_destination']);
    for (const [name, storage] of [
      ['storage_source', source],
      ['storage_destination', destination],
    ] as const) {
      if (storage.type === 'inmem') throw new ConfigError(`${name} "inmem": an in-memory storage cannot be migrated from or to another process`);
    }
    if (JSON.stringify(source) === JSON.stringify(destination)) throw new ConfigError('storage_source and storage_destination are the same storage');
    return { source, destination };
  } catch (err) {
    if (err instanceof HclError || err instanceof ConfigError) throw new ConfigError(`${sourceName}: ${err.message}`);
    throw err;
  }
}

/** Reads and parses the migration config file at `path`. */
export async function loadMigrationConfig(path: string): Promise<MigrationConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${path}: cannot read config file (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return parseMigrationConfig(text, path);
}
