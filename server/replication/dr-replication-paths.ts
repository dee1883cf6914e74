import type { FieldData } from '../core/field-data.js';
import type { PathDefinition } from '../core/path-table.js';
import { invalidRequest } from '../core/vault-error.js';
import type { DrOperation } from './dr-operation-tokens.js';
import type { ReplicationManager } from './replication-manager.js';
import { ok, secondaryEnablePath, secondaryUpdatePrimaryPath } from './replication-path-parts.js';

/**
 * `sys/replication/dr/*`: Vault's DR replication API. The primary side authenticates as any
 * `sys/` path; the secondary side is unauthenticated and takes a DR operation token in the body
 * (a DR secondary serves no token, see `core/dr-secondary-paths.ts`).
 */
export function drReplicationPaths(manager: ReplicationManager): PathDefinition[] {
  const requireDrSecondary = (): void => {
    if (manager.drMode() !== 'secondary') throw invalidRequest('this cluster is not a DR replication secondary');
  };
  /** Checks this is a DR secondary and that the body's `dr_operation_token` may run `operation`. */
  const authorize = async (fields: FieldData, operation: DrOperation): Promise<void> => {
    requireDrSecondary();
    await manager.drTokens.authorize(fields.string('dr_operation_token'), operation);
  };
  const opToken = { dr_operation_token: { type: 'string' } } as const;
  const generator = manager.drTokens.generator;
  return [
    { pattern: 'replication/dr/status', operations: { read: async () => ({ data: manager.status('dr'), injectDataAtTopLevel: true }) } },
    // ---- primary ----
    {
      pattern: 'replication/dr/primary/enable',
      fields: { primary_cluster_addr: { type: 'string' } },
      operations: { update: async ({ fields }) => ok(await manager.enablePrimary(fields.string('primary_cluster_addr'), 'dr')) },
    },
    { pattern: 'replication/dr/primary/demote', operations: { update: async () => ok(await manager.demotePrimary('dr')) } },
    { pattern: 'replication/dr/primary/disable', operations: { update: async () => ok(await manager.disablePrimary('dr')) } },
    {
      pattern: 'replication/dr/primary/secondary-token',
      fields: { id: { type: 'string', required: true }, ttl: { type: 'string', default: '30m' }, secondary_public_key: { type: 'string' } },
      operations: {
        update: async ({ fields }) => {
          if (fields.string('secondary_public_key') !== '')
            throw invalidRequest('public-key activation (secondary_public_key) is not supported; omit it to receive a wrapped activation token');
          return { wrapInfo: await manager.secondaryToken(fields.string('id'), fields.string('ttl'), 'dr'), data: null };
        },
      },
    },
    {
      pattern: 'replication/dr/primary/revoke-secondary',
      fields: { id: { type: 'string', required: true } },
      operations: { update: async ({ fields }) => (await manager.revokeSecondary(fields.string('id'), 'dr'), {}) },
    },
    // ---- secondary ----
    secondaryEnablePath('replication/dr/secondary/enable', manager, 'dr'),
    {
      pattern: 'replication/dr/secondary/promote',
      fields: { ...opToken, primary_cluster_addr: { type: 'string' }, force: { type: 'bool' } },
      operations: {
        update: async ({ fields }) => {
          await authorize(fields, 'promote');
          return ok(await manager.promoteSecondary(fields.string('primary_cluster_addr'), fields.bool('force'), 'dr'));
        },
      },
    },
    {
      pattern: 'replication/dr/secondary/disable',
      fields: opToken,
      operations: {
        update: async ({ fields }) => {
          await authorize(fields, 'disable');
          return ok(await manager.disableSecondary('dr'));
        },
      },
    },
    secondaryUpdatePrimaryPath('replication/dr/secondary/update-primary', manager, 'dr', {
      fields: opToken,
      check: (fields) => authorize(fields, 'update-primary'),
    }),
    {
      // Unauthenticated in Vault: restarting the stream changes no data.
      pattern: 'replication/dr/secondary/recover',
      operations: {
        update: async () => {
          requireDrSecondary();
          return ok(await manager.recover());
        },
      },
    },
    {
      pattern: 'replication/dr/secondary/reindex',
      fields: { ...opToken, diff: { type: 'bool' }, force: { type: 'bool' }, skip_flush: { type: 'bool' } },
      operations: {
        update: async ({ fields }) => {
          await authorize(fields, 'reindex');
          return ok(await manager.reindex());
        },
      },
    },
    {
      pattern: 'replication/dr/secondary/operation-token/delete',
      fields: opToken,
      operations: {
        update: async ({ fields }) => {
          requireDrSecondary();
          await manager.drTokens.revoke(fields.string('dr_operation_token'));
          return {};
        },
      },
    },
    {
      pattern: 'replication/dr/secondary/generate-operation-token/attempt',
      fields: { otp: { type: 'string' }, pgp_key: { type: 'string' } },
      operations: {
        read: async () => ({ data: { ...(await generator.status()) }, injectDataAtTopLevel: true }),
        update: async ({ fields }) => {
          requireDrSecondary();
          return { data: { ...(await generator.start({ otp: fields.string('otp'), pgpKey: fields.string('pgp_key') })) }, injectDataAtTopLevel: true };
        },
        delete: async () => (generator.cancel(), {}),
      },
    },
    {
      pattern: 'replication/dr/secondary/generate-operation-token/update',
      fields: { key: { type: 'string' }, nonce: { type: 'string' } },
      operations: {
        update: async ({ fields }) => {
          requireDrSecondary();
          return { data: { ...(await generator.update(fields.string('key'), fields.string('nonce'))) }, injectDataAtTopLevel: true };
        },
      },
    },
  ];
}
