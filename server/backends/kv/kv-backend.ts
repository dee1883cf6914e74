import type { BackendFactory } from '../../core/core.js';
import { StorageView } from '../../core/barrier.js';
import type { LogicalBackend } from '../../core/logical-backend.js';
import type { LogicalRequest } from '../../core/logical.js';
import { PathTable } from '../../core/path-table.js';
import { VaultError } from '../../core/vault-error.js';
import { KvV2Store } from './kv-v2-store.js';
import { kvV2Paths } from './kv-v2-paths.js';
import { PassthroughBackend } from './passthrough-backend.js';
import { upgradeV1ToV2 } from './kv-upgrade.js';

/**
 * The KV secrets engine (mount type `kv`). `options.version` selects the API: '1' (unversioned,
 * the body is the secret) or '2' (versioned: data/, metadata/, delete/, undelete/, destroy/,
 * config, subkeys/). The version is read from the live mount table on every request, so a tune
 * from 1 to 2 takes effect at once; the first version-2 request then moves v1 entries into
 * version 1 of each key.
 *
 * All data goes through the mount's storage view, which is encrypted by the barrier and under
 * `local/` for local mounts. Values are never logged.
 */
export const kvBackend: BackendFactory = ({ core, mount, storage, logger }) => {
  const v1Storage = new StorageView(storage, 'v1/');
  const v1 = new PassthroughBackend(() => v1Storage);
  const v2Store = new KvV2Store(storage);
  const v2 = new PathTable(kvV2Paths(v2Store));
  let upgrade: Promise<void> | undefined;

  const versionOf = (): string => {
    const live = core.mounts.all().find((e) => e.uuid === mount.uuid) ?? mount;
    return live.options?.version ?? '1';
  };
  const pick = async (): Promise<LogicalBackend> => {
    if (versionOf() !== '2') return v1;
    upgrade ??= upgradeV1ToV2(v1Storage, v2Store).then(
      (moved) => {
        if (moved > 0) logger.info({ keys: moved }, 'kv upgraded to version 2');
      },
      (err: unknown) => {
        upgrade = undefined;
        // A replication secondary cannot write; the primary performs the upgrade and it arrives here.
        if (err instanceof VaultError && err.code === 'read_only') return;
        throw err;
      },
    );
    await upgrade;
    return v2;
  };

  return {
    handleRequest: async (req: LogicalRequest, relativePath: string) => (await pick()).handleRequest(req, relativePath),
    existenceCheck: async (req: LogicalRequest, relativePath: string) => (await pick()).existenceCheck?.(req, relativePath),
    unauthenticatedPaths: [],
    sudoPaths: [],
  };
};
