import type { LogicalStorage } from '../../core/barrier.js';
import type { PathContext } from '../../core/path-table.js';
import { invalidRequest } from '../../core/vault-error.js';
import { roleIdKey, type AppRoleRole } from './approle-role.js';

const ROLE_PREFIX = 'role/';

/** Reads and writes the roles and the role-ID index of one AppRole mount (in the mount's storage). */
export interface RoleStore {
  read(name: string): Promise<AppRoleRole | undefined>;
  /** Role names, sorted. */
  names(): Promise<string[]>;
  /** Writes the role and moves its role-ID index entry; a role ID held by another role is a 400. */
  write(name: string, role: AppRoleRole, previous: AppRoleRole | undefined): Promise<void>;
  /** Deletes the role and its role-ID index entry. */
  remove(name: string, role: AppRoleRole): Promise<void>;
  /** The role named by the request's `role_name`; a missing role is a 400, as in Vault. */
  require(ctx: PathContext): Promise<{ name: string; role: AppRoleRole }>;
  /** The role a role ID belongs to. */
  byRoleId(roleId: string): Promise<{ name: string; role: AppRoleRole } | undefined>;
}

export const roleNameOf = (ctx: PathContext): string => (ctx.captures.role_name ?? '').toLowerCase();

export function createRoleStore(storage: LogicalStorage): RoleStore {
  const store: RoleStore = {
    read: async (name) => {
      const raw = await storage.get(ROLE_PREFIX + name);
      return raw === undefined ? undefined : (JSON.parse(raw.toString('utf8')) as AppRoleRole);
    },
    names: async () => (await storage.list(ROLE_PREFIX)).filter((k) => !k.endsWith('/')).sort(),
    write: async (name, role, previous) => {
      const holder = await storage.get(roleIdKey(role.role_id));
      if (holder !== undefined && holder.toString('utf8') !== name) throw invalidRequest('role_id already in use');
      await storage.transaction([
        { op: 'put', key: ROLE_PREFIX + name, value: Buffer.from(JSON.stringify(role)) },
        { op: 'put', key: roleIdKey(role.role_id), value: Buffer.from(name) },
        ...(previous !== undefined && previous.role_id !== role.role_id ? [{ op: 'delete' as const, key: roleIdKey(previous.role_id) }] : []),
      ]);
    },
    remove: async (name, role) => {
      await storage.transaction([
        { op: 'delete', key: ROLE_PREFIX + name },
        { op: 'delete', key: roleIdKey(role.role_id) },
      ]);
    },
    require: async (ctx) => {
      const name = roleNameOf(ctx);
      const role = await store.read(name);
      if (role === undefined) throw invalidRequest(`role "${name}" does not exist`);
      return { name, role };
    },
    byRoleId: async (roleId) => {
      const raw = await storage.get(roleIdKey(roleId));
      if (raw === undefined) return undefined;
      const name = raw.toString('utf8');
      const role = await store.read(name);
      return role === undefined || role.role_id !== roleId ? undefined : { name, role };
    },
  };
  return store;
}
