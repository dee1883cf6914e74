import { createHash } from 'node:crypto';
import type { LogicalStorage } from '../../core/barrier.js';
import type { StorageOp } from '../../storage/backend.js';
import { defaultConfig, type KvV2Config, type KvV2KeyMetadata } from './kv-v2-metadata.js';

/**
 * Where KV version 2 keeps things inside the mount's storage view:
 * - `v2/config` — the mount-wide settings;
 * - `v2/metadata/<path>` — one key's metadata (LIST of `metadata/` reads this tree);
 * - `v2/versions/<sha256(path)>/<n>` — the data of version n. Hashing keeps `a` and `a/b` apart,
 *   so removing every version of `a` is one prefix delete that cannot touch `a/b`.
 */
const CONFIG_KEY = 'v2/config';
const METADATA_PREFIX = 'v2/metadata/';
const VERSIONS_PREFIX = 'v2/versions/';

const pathHash = (path: string): string => createHash('sha256').update(path, 'utf8').digest('hex');
const versionKey = (path: string, version: number): string => `${VERSIONS_PREFIX}${pathHash(path)}/${version}`;

/** Reads and writes KV version 2 state in a mount's storage view; multi-key changes commit in one transaction. */
export class KvV2Store {
  constructor(private readonly storage: LogicalStorage) {}

  async readConfig(): Promise<KvV2Config> {
    const raw = await this.storage.get(CONFIG_KEY);
    return raw === undefined ? defaultConfig() : { ...defaultConfig(), ...(JSON.parse(raw.toString('utf8')) as Partial<KvV2Config>) };
  }

  async writeConfig(config: KvV2Config): Promise<void> {
    await this.storage.put(CONFIG_KEY, Buffer.from(JSON.stringify(config)));
  }

  async readMetadata(path: string): Promise<KvV2KeyMetadata | undefined> {
    const raw = await this.storage.get(METADATA_PREFIX + path);
    return raw === undefined ? undefined : (JSON.parse(raw.toString('utf8')) as KvV2KeyMetadata);
  }

  async readVersion(path: string, version: number): Promise<Record<string, unknown> | undefined> {
    const raw = await this.storage.get(versionKey(path, version));
    return raw === undefined ? undefined : (JSON.parse(raw.toString('utf8')) as Record<string, unknown>);
  }

  /** Immediate children of a metadata folder ('' = the mount root). */
  list(prefix: string): Promise<string[]> {
    return this.storage.list(METADATA_PREFIX + prefix);
  }

  /** Writes metadata, optionally one version's data, and removes dropped versions, in one transaction. */
  async commit(
    path: string,
    meta: KvV2KeyMetadata,
    change: { put?: { version: number; data: Record<string, unknown> }; remove?: readonly number[] } = {},
  ): Promise<void> {
    const ops: StorageOp[] = [{ op: 'put', key: METADATA_PREFIX + path, value: Buffer.from(JSON.stringify(meta)) }];
    if (change.put) ops.push({ op: 'put', key: versionKey(path, change.put.version), value: Buffer.from(JSON.stringify(change.put.data)) });
    for (const n of change.remove ?? []) ops.push({ op: 'delete', key: versionKey(path, n) });
    await this.storage.transaction(ops);
  }

  /** Removes a key's metadata and every version. */
  async removeAll(path: string): Promise<void> {
    await this.storage.transaction([
      { op: 'delete', key: METADATA_PREFIX + path },
      { op: 'delete-prefix', prefix: `${VERSIONS_PREFIX}${pathHash(path)}/` },
    ]);
  }
}
