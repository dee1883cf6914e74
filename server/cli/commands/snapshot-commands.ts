import { flag } from '../args.js';
import { parseVaultErrors } from '../../api-client/api-error.js';
import { VaultClient } from '../../api-client/vault-client.js';
import type { JsonObject } from '../../api-client/vault-envelope.js';
import { callApi, CommandError, EXIT_LOCAL_ERROR, EXIT_OK, EXIT_REMOTE_ERROR, type Command, type CommandContext } from '../command.js';

/** Snapshots can be far larger than an API answer and take long to stream. */
const SNAPSHOT_MAX_BYTES = 8 * 1024 * 1024 * 1024;
const SNAPSHOT_TIMEOUT_MS = 60 * 60 * 1000;

/** node:fs/promises, loaded by the snapshot commands only (every other command starts without it). */
const fs = () => process.getBuiltinModule('node:fs/promises');

function snapshotClient({ client, config }: CommandContext): VaultClient {
  return new VaultClient({ address: client.address, token: config.token, maxResponseBytes: SNAPSHOT_MAX_BYTES, timeoutMs: SNAPSHOT_TIMEOUT_MS });
}

/** `ferry operator snapshot save FILE`: GET sys/storage/raft/snapshot into FILE (written whole, then renamed into place). */
export const snapshotSaveCommand: Command = {
  path: ['operator', 'snapshot', 'save'],
  usage: 'operator snapshot save FILE',
  synopsis: 'Saves a snapshot of the server to a file',
  flags: {},
  async run(ctx) {
    const [file] = ctx.args.expectPositional(1) as [string];
    const answer = await callApi('Error saving snapshot', () => snapshotClient(ctx).send('GET', 'sys/storage/raft/snapshot'));
    if (answer.status !== 200) {
      const errors = parseVaultErrors(answer.text) ?? [`status ${answer.status}`];
      throw new CommandError(`Error saving snapshot: ${errors.join('; ')}`, EXIT_REMOTE_ERROR);
    }
    const partial = `${file}.partial`;
    await fs().writeFile(partial, answer.text, { mode: 0o600 });
    // A cut stream has no checksum line: check the file before it takes the final name.
    // The snapshot reader (node:crypto, node:readline) loads only for the snapshot commands.
    const [{ readSnapshotFile }, { isVaultError }] = await Promise.all([import('../../core/snapshot/snapshot-reader.js'), import('../../core/vault-error.js')]);
    try {
      await readSnapshotFile(partial);
    } catch (err) {
      throw new CommandError(`Error saving snapshot: ${isVaultError(err) ? err.message : String(err)}`, EXIT_REMOTE_ERROR);
    }
    await fs().rename(partial, file);
    ctx.printer.out(`Snapshot saved to ${file}`);
    return EXIT_OK;
  },
};

/** `ferry operator snapshot restore [-force] FILE`: POST sys/storage/raft/snapshot (or snapshot-force). */
export const snapshotRestoreCommand: Command = {
  path: ['operator', 'snapshot', 'restore'],
  usage: 'operator snapshot restore [-force] FILE',
  synopsis: 'Restores a snapshot file onto the server',
  flags: { force: flag('boolean', "Restore a snapshot of another cluster (replacing this cluster's identity and keys with the snapshot's).", 'false') },
  async run(ctx) {
    const [file] = ctx.args.expectPositional(1) as [string];
    const body = await fs().readFile(file);
    const path = ctx.args.bool('force') === true ? 'sys/storage/raft/snapshot-force' : 'sys/storage/raft/snapshot';
    const response = await callApi('Error restoring snapshot', () =>
      snapshotClient(ctx).request('POST', path, { body, headers: { 'content-type': 'application/octet-stream' } }),
    );
    if (ctx.printer.isStructured) {
      ctx.printer.structured(response ?? {});
      return EXIT_OK;
    }
    const data = (response?.data ?? {}) as JsonObject;
    ctx.printer.out(
      data.sealed === true ? 'Snapshot restored; the server is sealed: unseal it with the keys valid when the snapshot was taken' : 'Snapshot restored',
    );
    if (response !== null) ctx.printer.warnings(response);
    return EXIT_OK;
  },
};

/** `ferry operator snapshot inspect FILE`: offline; verifies the file and prints its header and counts. */
export const snapshotInspectCommand: Command = {
  path: ['operator', 'snapshot', 'inspect'],
  usage: 'operator snapshot inspect FILE',
  synopsis: 'Verifies a snapshot file and prints what it holds',
  flags: {},
  async run({ args, printer }) {
    const [file] = args.expectPositional(1) as [string];
    const { readSnapshotFile } = await import('../../core/snapshot/snapshot-reader.js');
    let snapshot;
    try {
      snapshot = await readSnapshotFile(file);
    } catch (err) {
      throw new CommandError(`Error inspecting snapshot: ${err instanceof Error ? err.message : String(err)}`, EXIT_LOCAL_ERROR);
    }
    const { header } = snapshot;
    const prefixes = new Map<string, number>();
    for (const entry of snapshot.entries) {
      const top = entry.key.startsWith('local/') ? `local/${entry.key.slice(6).split('/')[0] ?? ''}` : (entry.key.split('/')[0] ?? '');
      prefixes.set(top, (prefixes.get(top) ?? 0) + 1);
    }
    const counts = Object.fromEntries([...prefixes.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
    if (printer.isStructured) {
      printer.structured({ ...header, sha256: snapshot.sha256, bytes: snapshot.bytes, keys_by_prefix: counts });
      return EXIT_OK;
    }
    printer.table(
      [
        ['Format Version', String(header.ferry_snapshot)],
        ['Cluster ID', header.cluster_id],
        ['Created', header.created_at],
        ['Replication Role', header.replication.role],
        ['Replication Epoch', String(header.replication.epoch)],
        ['Last WAL', String(header.replication.last_wal)],
        ['Storage', header.storage],
        ['Keys', String(header.key_count)],
        ['Bytes', String(snapshot.bytes)],
        ['SHA-256', snapshot.sha256],
      ],
      ['Key', 'Value'],
    );
    printer.out('');
    printer.table(
      Object.entries(counts).map(([prefix, n]) => [prefix, String(n)]),
      ['Prefix', 'Keys'],
    );
    return EXIT_OK;
  },
};
