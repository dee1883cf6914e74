import type { PathDefinition } from '../../core/path-table.js';
import { notFound } from '../../core/vault-error.js';
import { roleFromRequest, roleView, TOKEN_ROLE_FIELDS, type TokenRoleStore } from './token-role.js';

/** Vault's role name rule (`framework.GenericNameRegex`): word characters, `-` and `.` inside. */
const ROLE_NAME = '\\w(?:[\\w.-]*\\w)?';

/** `auth/token/roles` (LIST) and `auth/token/roles/:role_name` (create, update, read, delete). */
export function tokenRolePaths(roles: TokenRoleStore): PathDefinition[] {
  return [
    {
      pattern: 'roles/?',
      operations: {
        list: async () => {
          const keys = await roles.list();
          if (keys.length === 0) throw notFound();
          return { data: { keys } };
        },
      },
    },
    {
      pattern: `roles/(?<role_name>${ROLE_NAME})`,
      fields: TOKEN_ROLE_FIELDS,
      exists: async ({ fields }) => (await roles.get(fields.string('role_name'))) !== undefined,
      operations: {
        read: async ({ fields }) => {
          const role = await roles.get(fields.string('role_name'));
          if (role === undefined) throw notFound();
          return { data: roleView(role) };
        },
        update: async ({ fields }) => {
          const name = fields.string('role_name').toLowerCase();
          const role = roleFromRequest(name, fields, await roles.get(name));
          await roles.put(role);
          return {};
        },
        delete: async ({ fields }) => (await roles.delete(fields.string('role_name')), {}),
      },
    },
  ];
}
