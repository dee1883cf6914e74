import { flag } from '../args.js';
import type { StorageConfig } from '../../config/server-config.js';
import type { StorageBackend } from '../../storage/backend.js';
import { CommandError, EXIT_LOCAL_ERROR, EXIT_OK, type Command } from '../command.js';
import { UsageError } from '../usage-error.js';

/** Opens one end of a migration (storage code is loaded only when this command runs). */
async function openEnd(storage: StorageConfig): Promise<StorageBackend> {
  switch (storage.type) {
    case 'sqlite': {
      const { SqliteBackend } = await import('../../storage/sqlite-backend.js');
      return SqliteBackend.open({ path: storage.path });
    }
    case 'postgresql': {
      const { PostgresqlBackend } = await import('../../storage/postgresql-backend.js');
      return PostgresqlBackend.open({ connectionUrl: storage.connectionUrl, table: storage.table, maxParallel: storage.maxParallel });
    }
    case 'inmem':
      throw new CommandError('Error migrating: an in-memory storage cannot be migrated', EXIT_LOCAL_ERROR);
  }
}

/**
 * `ferry operator migrate -config=FILE [-reset] [-start=KEY]`: offline copy of every key from
 * `storage_source` to `storage_destination` (Vault's command and blocks). Both servers must be
 * stopped. Resumable: rerunning after a crash continues after the last committed batch.
 */
export const operatorMigrateCommand: Command = {
  path: ['operator', 'migrate'],
  usage: 'operator migrate -config=FILE [-reset] [-start=KEY]',
  synopsis: 'Copies all storage from one backend to another (offline)',
  flags: {
    config: flag('string', 'Path to the migration configuration (HCL with storage_source and storage_destination blocks). Required.'),
    reset: flag('boolean', 'Empty a non-empty destination first (and forget a previous run’s progress).', 'false'),
    start: flag('string', 'Copy only keys from this one on (in key order).'),
  },
  async run({ args, printer }) {
    args.expectPositional(0);
    const configPath = args.string('config');
    if (configPath === undefined) throw new UsageError('-config is required');
    const { loadMigrationConfig } = await import('../../config/migration-config.js');
    const { migrateStorage } = await import('../../storage/storage-migration.js');
    let config;
    try {
      config = await loadMigrationConfig(configPath);
    } catch (err) {
      throw new CommandError(`Error migrating: ${(err as Error).message}`, EXIT_LOCAL_ERROR);
    }
    const source = await openEnd(config.source);
    let destination: StorageBackend | undefined;
    try {
      destination = await openEnd(config.destination);
      const started = Date.now();
      const result = await migrateStorage(source, destination, {
        reset: args.bool('reset') === true,
        ...(args.string('start') === undefined ? {} : { start: args.string('start') as string }),
        onProgress: ({ copied, total }) => printer.err(`copied ${copied}/${total} keys`),
      });
      if (result.resumedAfter !== undefined) printer.err(`resumed an unfinished migration after key ${JSON.stringify(result.resumedAfter)}`);
      printer.out(
        `Success! Migrated ${result.total} keys from ${config.source.type} to ${config.destination.type} in ${((Date.now() - started) / 1000).toFixed(1)}s`,
      );
      return EXIT_OK;
    } catch (err) {
      if (err instanceof CommandError) throw err;
      throw new CommandError(`Error migrating: ${(err as Error).message}`, EXIT_LOCAL_ERROR);
    } finally {
      await destination?.close().catch(() => undefined);
      await source.close().catch(() => undefined);
    }
  },
};
