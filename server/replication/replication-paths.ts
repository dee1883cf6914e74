import type { Core } from '../core/core.js';
import type { LogicalResponse } from '../core/logical.js';
import type { PathDefinition } from '../core/path-table.js';
import { invalidRequest } from '../core/vault-error.js';
import { drReplicationPaths } from './dr-replication-paths.js';
import { ok, secondaryEnablePath, secondaryUpdatePrimaryPath } from './replication-path-parts.js';
import { pathsFilterPaths } from './paths-filter-paths.js';
import type { ReplicationManager } from './replication-manager.js';

/**
 * `sys/replication/*`: the 2017 generic paths and their `performance/` aliases, and the DR
 * paths (`dr-replication-paths.ts`).
 */
export function replicationPaths(manager: ReplicationManager): (core: Core) => PathDefinition[] {
  const statusResponse = (combined: boolean): LogicalResponse => {
    const performance = manager.status('performance');
    const data: Record<string, unknown> = combined ? { ...performance, performance, dr: manager.status('dr') } : performance;
    return { data, injectDataAtTopLevel: true };
  };
  const both = (suffix: string): string => `(?:performance/)?${suffix}`;
  return (): PathDefinition[] => [
    { pattern: 'replication/status', operations: { read: async () => statusResponse(true) } },
    { pattern: 'replication/performance/status', operations: { read: async () => statusResponse(false) } },
    ...drReplicationPaths(manager),
    {
      pattern: `replication/${both('primary/enable')}`,
      fields: { primary_cluster_addr: { type: 'string' } },
      operations: { update: async ({ fields }) => ok(await manager.enablePrimary(fields.string('primary_cluster_addr'))) },
    },
    {
      pattern: `replication/${both('primary/secondary-token')}`,
      fields: { id: { type: 'string', required: true }, ttl: { type: 'string', default: '30m' }, secondary_public_key: { type: 'string' } },
      operations: {
        update: async ({ fields }) => {
          if (fields.string('secondary_public_key') !== '')
            throw invalidRequest('public-key activation (secondary_public_key) is not supported; omit it to receive a wrapped activation token');
          return { wrapInfo: await manager.secondaryToken(fields.string('id'), fields.string('ttl')), data: null };
        },
      },
    },
    {
      pattern: `replication/${both('primary/revoke-secondary')}`,
      fields: { id: { type: 'string', required: true } },
      operations: { update: async ({ fields }) => (await manager.revokeSecondary(fields.string('id')), {}) },
    },
    { pattern: `replication/${both('primary/disable')}`, operations: { update: async () => ok(await manager.disablePrimary()) } },
    secondaryEnablePath(`replication/${both('secondary/enable')}`, manager, 'performance'),
    { pattern: `replication/${both('secondary/disable')}`, operations: { update: async () => ok(await manager.disableSecondary()) } },
    { pattern: `replication/${both('primary/demote')}`, operations: { update: async () => ok(await manager.demotePrimary()) } },
    {
      pattern: `replication/${both('secondary/promote')}`,
      fields: { primary_cluster_addr: { type: 'string' }, force: { type: 'bool' } },
      operations: { update: async ({ fields }) => ok(await manager.promoteSecondary(fields.string('primary_cluster_addr'), fields.bool('force'))) },
    },
    secondaryUpdatePrimaryPath(`replication/${both('secondary/update-primary')}`, manager, 'performance'),
    {
      pattern: `replication/${both('reindex')}`,
      fields: { diff: { type: 'bool' }, force: { type: 'bool' }, skip_flush: { type: 'bool' } },
      operations: { update: async () => ok(await manager.reindex()) },
    },
    { pattern: 'replication/recover', operations: { update: async () => ok(await manager.recover()) } },
    ...pathsFilterPaths(manager),
    {
      pattern: 'metrics',
      fields: { format: { type: 'string' } },
      operations: {
        read: async ({ fields }) => {
          const text = manager.metrics();
          if (fields.string('format') === 'prometheus') return { raw: { contentType: 'text/plain; version=0.0.4', body: text } };
          return { data: { gauges: parsePrometheus(text) }, injectDataAtTopLevel: true };
        },
      },
    },
  ];
}

/** The metrics as `{name, value}` pairs, for `sys/metrics` without `format=prometheus`. */
function parsePrometheus(text: string): { name: string; value: number }[] {
  return text
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const i = l.lastIndexOf(' ');
      return { name: l.slice(0, i), value: Number(l.slice(i + 1)) };
    });
}
