import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { encryptWithStoredKeyring, KEYRING_PATH } from '../core/barrier.js';
import type { Core } from '../core/core.js';
import type { SnapshotHeader } from '../core/snapshot/snapshot-header.js';
import type { VerifiedSnapshot } from '../core/snapshot/snapshot-reader.js';
import { writeSnapshot, type SnapshotSummary } from '../core/snapshot/snapshot-writer.js';
import { SNAPSHOT_FORMAT_VERSION } from '../core/snapshot/snapshot-header.js';
import { invalidRequest, VaultError } from '../core/vault-error.js';
import type { StorageOp } from '../storage/backend.js';
import { STATE_KEY, type ReplicationState } from './replication-state.js';
import { WAL_PREFIX, type WalStorage } from './wal-storage.js';

export interface SnapshotManagerOptions {
  readonly core: Core;
  readonly wal: WalStorage;
  readonly logger: Logger;
  /** This cluster's replication role as it is now. */
  readonly state: () => ReplicationState;
  /** Runs `job` in turn with replication role changes (none starts while a restore runs). */
  readonly exclusive: <T>(job: () => Promise<T>) => Promise<T>;
}

export interface RestoreOutcome {
  readonly keyCount: number;
  /** False when the snapshot's keyring does not open with the current unseal keys: unseal with the snapshot's. */
  readonly isUnsealed: boolean;
  readonly warnings: string[];
}

/**
 * Snapshots of a running cluster (`sys/storage/raft/snapshot`): saving streams one consistent read
 * of the whole storage; restoring replaces the whole storage in one transaction, keeps the
 * replication role of a primary (its secondaries see a WAL gap and resync by Merkle sync), and
 * re-opens the barrier with the current root key when the snapshot's keyring accepts it.
 */
export class SnapshotManager {
  private readonly log: Logger;

  constructor(private readonly options: SnapshotManagerOptions) {
    this.log = options.logger.child({ module: 'snapshot' });
  }

  /** Streams a snapshot to `write`. Needs an unsealed core (the header names the cluster). */
  async save(write: (chunk: string) => Promise<void>): Promise<SnapshotSummary> {
    const { core, wal } = this.options;
    if (core.isSealed) throw new VaultError('sealed', 'Vault is sealed');
    const clusterId = await core.clusterId();
    const state = this.options.state();
    const read = await core.physical.consistentRead();
    try {
      const header: Omit<SnapshotHeader, 'key_count'> = {
        ferry_snapshot: SNAPSHOT_FORMAT_VERSION,
        cluster_id: clusterId,
        replication: { role: state.role, epoch: state.role === 'disabled' ? 0 : state.epoch, last_wal: wal.lastWal },
        created_at: new Date().toISOString(),
        storage: core.physical.kind,
      };
      const summary = await writeSnapshot(read, header, write);
      this.log.info({ keys: summary.keyCount, bytes: summary.bytes }, 'snapshot saved');
      return summary;
    } finally {
      await read.release();
    }
  }

  /** Saves a snapshot into `dir` (created if missing) under a new file name; returns its path. */
  async saveToDir(dir: string, label: string): Promise<string> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const name = `ferry-${label}-${new Date().toISOString().replace(/[:.]/g, '-')}.snap`;
    const path = join(dir, name);
    const partial = `${path}.partial`;
    const out = createWriteStream(partial, { mode: 0o600 });
    try {
      await this.save((chunk) => writeChunk(out, chunk));
      await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    } catch (err) {
      out.destroy();
      throw err;
    }
    await rename(partial, path);
    return path;
  }

  /**
   * Restores a verified snapshot. Refused on a secondary, and for a snapshot of another cluster
   * unless `force`. Everything commits in one transaction or nothing does.
   */
  restore(snapshot: VerifiedSnapshot, force: boolean): Promise<RestoreOutcome> {
    return this.options.exclusive(async () => {
      const { core, wal } = this.options;
      if (core.isSealed) throw new VaultError('sealed', 'Vault is sealed');
      const state = this.options.state();
      if (state.role === 'secondary') {
        throw invalidRequest('cannot restore a snapshot on a replication secondary: disable replication on it first (sys/replication/secondary/disable)');
      }
      const clusterId = await core.clusterId();
      if (snapshot.header.cluster_id !== clusterId && !force) {
        throw invalidRequest(
          `the snapshot was taken on another cluster (${snapshot.header.cluster_id}, this is ${clusterId}); ` +
            "restoring it with force (snapshot-force / -force) replaces all of this cluster's data, tokens and keyring with that cluster's, " +
            'and the server then needs the unseal keys that were valid when the snapshot was taken',
        );
      }
      const rootKey = Buffer.from(core.seal.currentRootKey());
      try {
        const warnings: string[] = [];
        // The snapshot's WAL and replication role are its cluster's past; they never come back.
        const entries = snapshot.entries.filter((e) => !e.key.startsWith(WAL_PREFIX) && e.key !== STATE_KEY);
        const ops: StorageOp[] = [{ op: 'delete-prefix', prefix: '' }, ...entries.map((e): StorageOp => ({ op: 'put', key: e.key, value: e.value }))];
        const keyring = entries.find((e) => e.key === KEYRING_PATH);
        if (keyring === undefined) throw invalidRequest('snapshot is not valid: it holds no keyring; nothing was changed');
        const opensWithCurrentKeys = canOpen(keyring.value, rootKey);
        if (state.role === 'primary') {
          if (opensWithCurrentKeys) {
            ops.push({ op: 'put', key: STATE_KEY, value: encryptWithStoredKeyring(keyring.value, rootKey, STATE_KEY, Buffer.from(JSON.stringify(state))) });
            warnings.push('this cluster stays a replication primary; its secondaries resynchronize by Merkle sync');
          } else {
            warnings.push('replication is disabled after this restore: the snapshot is sealed by other unseal keys, so the primary role could not be kept');
          }
        } else if (snapshot.header.replication.role !== 'disabled') {
          warnings.push(`the snapshot was taken on a replication ${snapshot.header.replication.role}; replication stays disabled after the restore`);
        }
        await core.sealCore();
        await wal.replaceAll(ops);
        let isUnsealed = false;
        if (opensWithCurrentKeys) {
          await core.seal.unsealWithRootKey(rootKey);
          await core.postUnseal();
          isUnsealed = true;
        } else {
          warnings.push('the snapshot is sealed by the unseal keys that were valid when it was taken: the server is sealed; unseal it with those keys');
        }
        this.log.info({ keys: entries.length, unsealed: isUnsealed }, 'snapshot restored');
        return { keyCount: entries.length, isUnsealed, warnings };
      } finally {
        rootKey.fill(0);
      }
    });
  }
}

function canOpen(storedKeyring: Buffer, rootKey: Buffer): boolean {
  try {
    encryptWithStoredKeyring(storedKeyring, rootKey, STATE_KEY, Buffer.alloc(0));
    return true;
  } catch {
    return false;
  }
}

function writeChunk(out: WriteStream, chunk: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (out.write(chunk, (err) => err && reject(err))) resolve();
    else out.once('drain', resolve);
  });
}
