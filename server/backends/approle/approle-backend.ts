import type { BackendFactory } from '../../core/core.js';
import { StorageView } from '../../core/barrier.js';
import { PathTable, type PathContext } from '../../core/path-table.js';
import { layout } from '../../core/storage-layout.js';
import { invalidRequest, notFound } from '../../core/vault-error.js';
import { appRoleLogin } from './approle-login.js';
import { applyRoleFields, newRole, ROLE_NAME, roleFields, roleIdKey, roleView, type AppRoleRole } from './approle-role.js';
import { roleFieldPaths } from './role-field-paths.js';
import { secretIdPaths } from './secret-id-paths.js';
import { SecretIdStore } from './secret-id-store.js';

const ROLE_PREFIX = 'role/';

/** Reads and writes roles and the role-ID index of one AppRole mount. */
export interface RoleStore {
  read(name: string): Promise<AppRoleRole | undefined>;
  /** Writes the role and moves its role-ID index entry; a role ID held by another role is a 400. */
  write(name: string, role: AppRoleRole, previous: AppRoleRole | undefined): Promise<void>;
  require(ctx: PathContext): Promise<{ name: string; role: AppRoleRole }>;
}

/**
 * The AppRole auth method (mount type `approle`): roles with a role ID and secret IDs, and
 * `login`, which issues a service token on this cluster only. Roles and role IDs live in the
 * mount's storage and replicate with a non-local mount; secret IDs too, unless the role has
 * `local_secret_ids`. Tokens never replicate.
 */
export const approleBackend: BackendFactory = ({ core, mount, storage }) => {
  const local = new StorageView(core.barrier, layout.authData(mount.uuid, true));
  const secretIds = new SecretIdStore(storage, local);
  const nameOf = (ctx: PathContext) => (ctx.captures.role_name ?? '').toLowerCase();
  const roles: RoleStore = {
    read: async (name) => {
      const raw = await storage.get(ROLE_PREFIX + name);
      return raw === undefined ? undefined : (JSON.parse(raw.toString('utf8')) as AppRoleRole);
    },
    write: async (name, role, previous) => {
      const holder = await storage.get(roleIdKey(role.role_id));
      if (holder !== undefined && holder.toString('utf8') !== name) throw invalidRequest('role_id already in use');
      await storage.transaction([
        { op: 'put', key: ROLE_PREFIX + name, value: Buffer.from(JSON.stringify(role)) },
        { op: 'put', key: roleIdKey(role.role_id), value: Buffer.from(name) },
        ...(previous !== undefined && previous.role_id !== role.role_id ? [{ op: 'delete' as const, key: roleIdKey(previous.role_id) }] : []),
      ]);
    },
    require: async (ctx) => {
      const name = nameOf(ctx);
      const role = await roles.read(name);
      if (role === undefined) throw invalidRequest(`role "${name}" does not exist`);
      return { name, role };
    },
  };
  const roleByRoleId = async (roleId: string) => {
    const raw = await storage.get(roleIdKey(roleId));
    if (raw === undefined) return undefined;
    const name = raw.toString('utf8');
    const role = await roles.read(name);
    return role === undefined || role.role_id !== roleId ? undefined : { name, role };
  };

  return new PathTable(
    [
      {
        pattern: 'role/?',
        operations: {
          list: async () => {
            const keys = (await storage.list(ROLE_PREFIX)).filter((k) => !k.endsWith('/'));
            if (keys.length === 0) throw notFound();
            return { data: { keys: keys.sort() } };
          },
        },
      },
      {
        pattern: `role/${ROLE_NAME}`,
        fields: roleFields,
        exists: async (ctx) => (await roles.read(nameOf(ctx))) !== undefined,
        operations: {
          read: async (ctx) => {
            const role = await roles.read(nameOf(ctx));
            if (role === undefined) throw notFound();
            return { data: roleView(role) };
          },
          update: async (ctx) => {
            const name = nameOf(ctx);
            const previous = await roles.read(name);
            const role: AppRoleRole = previous === undefined ? newRole() : { ...previous };
            applyRoleFields(role, ctx.fields, previous === undefined);
            await roles.write(name, role, previous);
            return undefined;
          },
          delete: async (ctx) => {
            const name = nameOf(ctx);
            const role = await roles.read(name);
            if (role === undefined) return undefined;
            await secretIds.removeAll(role, name);
            await storage.transaction([
              { op: 'delete', key: ROLE_PREFIX + name },
              { op: 'delete', key: roleIdKey(role.role_id) },
            ]);
            return undefined;
          },
        },
      },
      {
        pattern: `role/${ROLE_NAME}/role-id`,
        fields: { role_id: { type: 'string' } },
        operations: {
          read: async (ctx) => {
            const role = await roles.read(nameOf(ctx));
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
        operations: { update: (ctx) => appRoleLogin({ core, mount, secretIds, roleByRoleId }, ctx) },
      },
      {
        pattern: 'tidy/secret-id',
        operations: {
          update: async () => {
            await secretIds.tidy();
            return {
              httpStatus: 202,
              warnings: ["Tidy operation successfully started. Any information from the operation will be printed to Vault's server logs."],
            };
          },
        },
      },
    ],
    ['login'],
  );
};
