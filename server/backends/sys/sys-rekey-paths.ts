import type { Core } from '../../core/core.js';
import type { PathDefinition } from '../../core/path-table.js';
import type { Rekey } from '../../core/rekey.js';
import { flatResponse } from './sys-seal-paths.js';

/**
 * `sys/rekey/init` (GET status, PUT start, DELETE cancel), `sys/rekey/update`, `sys/rekey/verify`
 * (GET, PUT, DELETE) — unauthenticated and flat, as Vault serves them — and `sys/rekey/backup`
 * (GET, DELETE; sudo, in the usual envelope).
 */
export function rekeyPaths(core: Core, rekey: Rekey): PathDefinition[] {
  const keyFields = { key: { type: 'string' }, nonce: { type: 'string' } } as const;
  return [
    {
      pattern: 'rekey/init',
      fields: {
        secret_shares: { type: 'int' },
        secret_threshold: { type: 'int' },
        pgp_keys: { type: 'string-list' },
        backup: { type: 'bool' },
        require_verification: { type: 'bool' },
        stored_shares: { type: 'int' },
        nonce: { type: 'string' },
      },
      operations: {
        read: async () => flatResponse({ ...(await rekey.status()) }),
        update: async ({ fields }) =>
          flatResponse({
            ...(await rekey.start({
              secretShares: fields.int('secret_shares'),
              secretThreshold: fields.int('secret_threshold'),
              pgpKeys: fields.list('pgp_keys'),
              backup: fields.bool('backup'),
              requireVerification: fields.bool('require_verification'),
            })),
          }),
        delete: async ({ fields, req }) => {
          // The path is unauthenticated; a valid token, when sent, has been resolved into req.auth.
          const isOperator = req.auth !== undefined && (req.auth.isRoot || (await core.aclFor(req.auth.policies)).check('sys/rekey/init', 'delete').sudo);
          rekey.cancel(fields.string('nonce'), { isOperator });
          return {};
        },
      },
    },
    {
      pattern: 'rekey/update',
      fields: keyFields,
      operations: { update: async ({ fields }) => flatResponse({ ...(await rekey.update(fields.string('key'), fields.string('nonce'))) }) },
    },
    {
      pattern: 'rekey/verify',
      fields: keyFields,
      operations: {
        read: async () => flatResponse(await rekey.verifyStatus()),
        update: async ({ fields }) => flatResponse(await rekey.verify(fields.string('key'), fields.string('nonce'))),
        delete: async () => flatResponse(await rekey.cancelVerify()),
      },
    },
    {
      pattern: 'rekey/backup',
      operations: {
        read: async () => ({ data: { ...(await rekey.readBackup()) }, injectDataAtTopLevel: true }),
        delete: async () => (await rekey.deleteBackup(), {}),
      },
    },
  ];
}
