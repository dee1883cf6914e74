import type { BackendFactory } from '../../core/core.js';
import { StorageView } from '../../core/barrier.js';
import { PathTable } from '../../core/path-table.js';
import { layout } from '../../core/storage-layout.js';
import { invalidRequest, notFound } from '../../core/vault-error.js';
import { appRoleLogin } from './approle-login.js';
import { applyRoleFields, newRole, ROLE_NAME, roleFields, roleView, type AppRoleRole } from './approle-role.js';
import { roleFieldPaths } from './role-field-paths.js';
import { createRoleStore, roleNameOf } from './role-store.js';
import { secretIdPaths } from './secret-id-paths.js';
import { SecretIdStore } from './secret-id-store.js';

const TIDY_WARNING = "Tidy operation successfully started. Any information from the operation will be printed to Vault's server logs.";

/**
 * The AppRole auth method (mount type `approle`): roles with a role ID and secret IDs, and
 * `login`, which issues a service token on this cluster only. Roles and role IDs live in the
 * mount's storage and replicate with a non-local mount; secret IDs too, unless the role has
 * `local_secret_ids`. Tokens never replicate.
 */
export const approleBackend: BackendFactory = ({ core, mount, storage }) => {
  const secretIds = new SecretIdStore(storage, new StorageView(core.barrier, layout.authData(mount.uuid, true)));
  const roles = createRoleStore(storage);

  return new PathTable(
    [
      {
        pattern: 'role/?',
        operations: {
          list: async () => {
            const keys = await roles.names();
            if (keys.length === 0) throw notFound();
            return { data: { keys } };
          },
        },
      },
      {
        pattern: `role/${ROLE_NAME}`,
        fields: roleFields,
        exists: async (ctx) => (await roles.read(roleNameOf(ctx))) !== undefined,
        operations: {
          read: async (ctx) => {
            const role = await roles.read(roleNameOf(ctx));
            if (role === undefined) throw notFound();
            return { data: roleView(role) };
          },
          update: async (ctx) => {
            const name = roleNameOf(ctx);
            const previous = await roles.read(name);
            const role: AppRoleRole = previous === undefined ? newRole() : { ...previous };
            applyRoleFields(role, ctx.fields, previous === undefined);
            await roles.write(name, role, previous);
            return undefined;
          },
          delete: async (ctx) => {
            const name = roleNameOf(ctx);
            const role = await roles.read(name);
            if (role === undefined) return undefined;
            await secretIds.removeAll(role, name);
            await roles.remove(name, role);
            return undefined;
          },
        },
      },
      {
        pattern: `role/${ROLE_NAME}/role-id`,
        fields: { role_id: { type: 'string' } },
        operations: {
          read: async (ctx) => {
            const role = await roles.read(roleNameOf(ctx));
            if (role === undefined) throw notFound();
            return { data: { role_id: role.role_id } };
          },
          update: async (ctx) => {
            const { name, role } = await roles.require(ctx);
            const roleId = ctx.fields.string('role_id').trim();
            if (roleId === '') throw invalidRequest('missing role_id');
            await roles.write(name, { ...role, role_id: roleId }, role);
            return undefined;
          },
        },
      },
      ...roleFieldPaths(roles),
      ...secretIdPaths(roles, secretIds),
      {
        pattern: 'login',
        fields: { role_id: { type: 'string' }, secret_id: { type: 'string' } },
        operations: { update: (ctx) => appRoleLogin({ core, mount, secretIds, roleByRoleId: roles.byRoleId }, ctx) },
      },
      {
        pattern: 'tidy/secret-id',
        operations: {
          update: async () => {
            await secretIds.tidy();
            return { httpStatus: 202, warnings: [TIDY_WARNING] };
          },
        },
      },
    ],
    ['login'],
  );
};
