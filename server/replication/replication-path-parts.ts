import type { FieldData, FieldSchemas } from '../core/field-data.js';
import type { LogicalResponse } from '../core/logical.js';
import type { PathDefinition } from '../core/path-table.js';
import { invalidRequest } from '../core/vault-error.js';
import type { TrustOptions } from './activation-client.js';
import type { ReplicationManager } from './replication-manager.js';
import type { ReplicationKind } from './replication-state.js';

/** A role change's answer: its warnings at the top level, as Vault's replication endpoints give them. */
export const ok = (warnings: string[]): LogicalResponse => (warnings.length === 0 ? {} : { data: {}, warnings, injectDataAtTopLevel: true });

/** How to trust the primary's API address: `ca_file` / `ca_path` of an activation call. */
function caOf(fields: FieldData): TrustOptions {
  return { caFile: fields.string('ca_file'), caPath: fields.string('ca_path') };
}

/** `secondary/enable` of either replication type: the token is checked and unwrapped, then this cluster is wiped and installed. */
export function secondaryEnablePath(pattern: string, manager: ReplicationManager, kind: ReplicationKind): PathDefinition {
  return {
    pattern,
    fields: {
      token: { type: 'string', required: true },
      primary_api_addr: { type: 'string' },
      ca_file: { type: 'string' },
      ca_path: { type: 'string' },
      pre_wipe_snapshot: { type: 'bool' },
    },
    operations: {
      update: async ({ fields }) =>
        ok(
          await manager.enableSecondary(
            fields.string('token'),
            fields.string('primary_api_addr'),
            caOf(fields),
            fields.has('pre_wipe_snapshot') ? fields.bool('pre_wipe_snapshot') : undefined,
            kind,
          ),
        ),
    },
  };
}

/** What a replication path checks before it acts: extra body fields and the check on them. */
export interface PathGuard {
  readonly fields: FieldSchemas;
  readonly check: (fields: FieldData) => Promise<void>;
}

/**
 * `secondary/update-primary` of either replication type: a new activation token points the
 * secondary at a (new) primary without a wipe. A DR secondary's `guard` checks its operation token.
 */
export function secondaryUpdatePrimaryPath(pattern: string, manager: ReplicationManager, kind: ReplicationKind, guard?: PathGuard): PathDefinition {
  return {
    pattern,
    fields: {
      ...guard?.fields,
      token: { type: 'string' },
      primary_api_addr: { type: 'string' },
      ca_file: { type: 'string' },
      ca_path: { type: 'string' },
      update_primary_addrs: { type: 'string-list' },
    },
    operations: {
      update: async ({ fields }) => {
        await guard?.check(fields);
        if (fields.list('update_primary_addrs').length > 0) throw invalidRequest('update_primary_addrs is not supported; pass a new secondary token');
        return ok(await manager.updatePrimary(fields.string('token'), fields.string('primary_api_addr'), caOf(fields), kind));
      },
    },
  };
}
