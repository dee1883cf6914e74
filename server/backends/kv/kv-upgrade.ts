import type { LogicalStorage } from '../../core/barrier.js';
import { newKeyMetadata, recordNewVersion } from './kv-v2-metadata.js';
import type { KvV2Store } from './kv-v2-store.js';

/**
 * Moves every unversioned (v1) entry into version 1 of the same key in the versioned layout and
 * removes the v1 copy, as Vault does when a mount is tuned from version 1 to 2. Keys that already
 * have version-2 metadata are left as they are. Returns how many keys moved.
 */
export async function upgradeV1ToV2(v1: LogicalStorage, v2: KvV2Store): Promise<number> {
  const entries = await v1.scan('');
  if (entries.length === 0) return 0;
  const config = await v2.readConfig();
  let moved = 0;
  for (const { key, value } of entries) {
    if ((await v2.readMetadata(key)) === undefined) {
      const now = new Date();
      const meta = newKeyMetadata(now);
      const { version } = recordNewVersion(meta, now, config);
      await v2.commit(key, meta, { put: { version, data: JSON.parse(value.toString('utf8')) as Record<string, unknown> } });
      moved += 1;
    }
    await v1.delete(key);
  }
  return moved;
}
