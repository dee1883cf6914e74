import type { Core } from '../../core/core.js';
import type { LogicalResponse } from '../../core/logical.js';
import type { MountEntry } from '../../core/mount-table.js';
import type { PathContext } from '../../core/path-table.js';
import { invalidRequest } from '../../core/vault-error.js';
import { authResponse } from '../token/token-auth-response.js';
import { loginPolicies, loginTokenType, loginTtls } from '../token/token-settings.js';
import { isAddressAllowed } from '../../core/bound-cidrs.js';
import { entityForLogin } from '../../core/login-entity.js';
import type { AppRoleRole } from './approle-role.js';
import type { SecretIdStore } from './secret-id-store.js';

const INVALID = 'invalid role or secret ID';

export interface LoginDeps {
  readonly core: Core;
  readonly mount: MountEntry;
  readonly secretIds: SecretIdStore;
  readonly roleByRoleId: (roleId: string) => Promise<{ name: string; role: AppRoleRole } | undefined>;
}

/**
 * `auth/<mount>/login`: role ID (always) and secret ID (when the role binds one) → a token on
 * this cluster (service or batch, as the role's `token_type` says), with the role's token
 * settings, bound to its token CIDR blocks, and the entity of alias `role_id`.
 * Unknown role, wrong, expired or used-up secret ID all answer the same 400.
 */
export async function appRoleLogin(deps: LoginDeps, ctx: PathContext): Promise<LogicalResponse> {
  const { core, mount } = deps;
  const roleId = ctx.fields.string('role_id').trim();
  if (roleId === '') throw invalidRequest('missing role_id');
  const found = await deps.roleByRoleId(roleId);
  if (found === undefined) throw invalidRequest(INVALID);
  const { name, role } = found;
  const address = ctx.req.remoteAddress;
  if (!isAddressAllowed(role.secret_id_bound_cidrs, address)) {
    throw invalidRequest(`source address "${plainAddress(address)}" unauthorized by CIDR restrictions on the role`);
  }
  let tokenCidrs = role.token_bound_cidrs;
  const metadata: Record<string, string> = { role_name: name };
  if (role.bind_secret_id) {
    const secretId = ctx.fields.string('secret_id').trim();
    if (secretId === '') throw invalidRequest('missing secret_id');
    // The CIDR checks come first so a secret ID bound elsewhere keeps its uses.
    const entry = await deps.secretIds.lookup(role, name, secretId);
    if (entry === undefined) throw invalidRequest(INVALID);
    if (!isAddressAllowed(entry.cidr_list, address)) {
      throw invalidRequest(`source address "${plainAddress(address)}" unauthorized by CIDR restrictions on the secret ID`);
    }
    const used = await deps.secretIds.use(role, name, secretId);
    if (!used.ok) throw invalidRequest(INVALID);
    if (used.entry.token_bound_cidrs.length > 0) tokenCidrs = used.entry.token_bound_cidrs;
    Object.assign(metadata, used.entry.metadata);
    metadata.role_name = name;
  }
  if (!isAddressAllowed(tokenCidrs, address)) throw invalidRequest(`source address "${plainAddress(address)}" unauthorized by CIDR restrictions on the token`);
  const live = core.auths.all().find((e) => e.uuid === mount.uuid) ?? mount;
  const { ttl, ceiling } = loginTtls(role, live.config);
  const entity = await entityForLogin(core, live, roleId, { role_name: name });
  const { id, entry } = await core.tokens.create({
    policies: loginPolicies(role),
    path: `auth/${mount.path}login`,
    meta: metadata,
    displayName: 'approle',
    numUses: role.token_num_uses,
    ttlSeconds: ttl,
    explicitMaxTtlSeconds: ceiling,
    periodSeconds: role.token_period,
    renewable: true,
    boundCidrs: tokenCidrs,
    type: loginTokenType(role),
    ...(entity === undefined ? {} : { entityId: entity.id }),
  });
  return { auth: authResponse(id, entry) };
}

function plainAddress(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
