import type { PathDefinition } from '../core/path-table.js';
import { notFound } from '../core/vault-error.js';
import { parsePathsFilter } from './paths-filter.js';
import type { ReplicationManager } from './replication-manager.js';

/**
 * `sys/replication/performance/primary/paths-filter/:id` (sudo, as in Vault): which mounts' data a
 * performance secondary receives. `:id` is the id the secondary's token was issued with.
 */
export function pathsFilterPaths(manager: ReplicationManager): PathDefinition[] {
  return [
    {
      pattern: 'replication/performance/primary/paths-filter/(?<id>[^/]+)',
      fields: { mode: { type: 'string', default: 'allow' }, paths: { type: 'string-list' } },
      operations: {
        update: async ({ captures, fields }) => {
          const filter = parsePathsFilter(fields.string('mode'), fields.list('paths'));
          await manager.setPathsFilter(captures.id as string, filter);
          return {};
        },
        read: async ({ captures }) => {
          const filter = manager.pathsFilter(captures.id as string);
          if (filter === undefined) throw notFound();
          return { data: { mode: filter.mode, paths: [...filter.paths] } };
        },
        delete: async ({ captures }) => {
          await manager.setPathsFilter(captures.id as string, undefined);
          return {};
        },
      },
    },
  ];
}
