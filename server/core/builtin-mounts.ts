import type { MountEntry } from './mount-table.js';

function builtin(path: string, type: string, description: string, local: boolean, accessor: string): MountEntry {
  return {
    path,
    type,
    description,
    accessor,
    uuid: `builtin-${type}`,
    local,
    seal_wrap: false,
    external_entropy_access: false,
    config: { default_lease_ttl: 0, max_lease_ttl: 0 },
    options: null,
    builtin: true,
  };
}

/** The built-in secret mounts every cluster has: sys/, cubbyhole/ (local) and identity/. */
export function builtinMounts(): MountEntry[] {
  return [
    builtin('sys/', 'system', 'system endpoints used for control, policy and debugging', false, 'system_0000sys0'),
    builtin('cubbyhole/', 'cubbyhole', 'per-token private secret storage', true, 'cubbyhole_00cubby'),
    builtin('identity/', 'identity', 'identity store', false, 'identity_00ident'),
  ];
}

/** The built-in auth mount: token/. */
export function builtinAuths(): MountEntry[] {
  return [builtin('token/', 'token', 'token based credentials', false, 'auth_token_00tok')];
}
