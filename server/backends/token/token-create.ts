import type { Core } from '../../core/core.js';
import type { FieldSchemas } from '../../core/field-data.js';
import type { LogicalResponse } from '../../core/logical.js';
import { entityForLogin } from '../../core/login-entity.js';
import type { PathContext } from '../../core/path-table.js';
import type { TokenEntry } from '../../core/token-store.js';
import { invalidRequest, VaultError } from '../../core/vault-error.js';
import { authResponse } from './token-auth-response.js';
import { matchesGlob, sanitizePolicies, type TokenRole } from './token-role.js';

/** The body of `auth/token/create`, `create-orphan` and `create/:role_name`. */
export const CREATE_FIELDS: FieldSchemas = {
  id: { type: 'string' },
  policies: { type: 'comma-list' },
  meta: { type: 'map' },
  no_parent: { type: 'bool' },
  no_default_policy: { type: 'bool' },
  renewable: { type: 'bool' },
  ttl: { type: 'duration' },
  type: { type: 'string' },
  explicit_max_ttl: { type: 'duration' },
  display_name: { type: 'string' },
  num_uses: { type: 'int' },
  period: { type: 'duration' },
  entity_alias: { type: 'string' },
  lease: { type: 'duration' },
};

/** The caller's own token, even when this request holds its last use (it is revoked afterwards). */
export async function callerToken(core: Core, ctx: Pick<PathContext, 'req'>): Promise<TokenEntry> {
  const entry = await core.resolveToken(ctx.req.clientToken, { includeRevocationPending: true });
  if (entry === undefined) throw new VaultError('permission_denied', 'permission denied');
  return entry;
}

/** Go's `%q` of a string list, as Vault's messages print them: `["a" "b"]`. */
const quotedList = (list: readonly string[]): string => `[${list.map((p) => JSON.stringify(p)).join(' ')}]`;

/** The smaller of two limits where 0 means "none". */
const smallerLimit = (a: number, b: number): number => (a === 0 ? b : b === 0 ? a : Math.min(a, b));

/**
 * The policies of a new token: the request's (or, when none, the role's allowed policies or the
 * parent's), checked against the role's allowed and disallowed lists or else the parent's policies;
 * `default` is added unless the request, the role or its disallowed list says otherwise.
 */
function tokenPolicies(parent: TokenEntry, requested: string[], role: TokenRole | undefined, noDefaultPolicy: boolean): string[] {
  const parentIsRoot = parent.policies.includes('root');
  let policies = sanitizePolicies(requested);
  const roleAllows = role !== undefined && (role.allowed_policies.length > 0 || role.allowed_policies_glob.length > 0);
  if (role !== undefined && roleAllows) {
    if (policies.length === 0) policies = [...role.allowed_policies];
    const allowed = (p: string) => p === 'default' || role.allowed_policies.includes(p) || role.allowed_policies_glob.some((g) => matchesGlob(g, p));
    if (!policies.every(allowed)) {
      throw invalidRequest(
        `token policies (${quotedList(policies)}) must be subset of the role's allowed policies (${quotedList([...role.allowed_policies, ...role.allowed_policies_glob])})`,
      );
    }
  } else {
    if (policies.length === 0) policies = parent.policies.filter((p) => !(role !== undefined && p === 'root'));
    if (!parentIsRoot) {
      const extra = policies.filter((p) => p !== 'default' && !parent.policies.includes(p));
      if (extra.length > 0) throw new VaultError('permission_denied', 'child policies must be subset of parent');
    }
  }
  if (policies.includes('root') && !parentIsRoot) throw new VaultError('permission_denied', 'root token cannot be created by a non-root token');
  let withDefault = !noDefaultPolicy && !(role?.token_no_default_policy ?? false);
  if (role !== undefined) {
    const isDisallowed = (p: string) => role.disallowed_policies.includes(p) || role.disallowed_policies_glob.some((g) => matchesGlob(g, p));
    const refused = policies.find(isDisallowed);
    if (refused !== undefined) throw invalidRequest(`token policy ${JSON.stringify(refused)} is disallowed by this role`);
    if (isDisallowed('default')) withDefault = false;
  }
  if (withDefault && !policies.includes('root') && !policies.includes('default')) policies.push('default');
  return policies;
}

/**
 * The type of a new token: the request's `type` (`service`, `batch`, or `default`), unless the
 * role fixes it (`service`, `batch`) or only sets the default (`default-service`, `default-batch`).
 */
function tokenTypeOf(requested: string, role: TokenRole | undefined): 'service' | 'batch' {
  if (!['', 'default', 'service', 'batch'].includes(requested)) throw invalidRequest(`invalid 'type' value "${requested}"`);
  const roleType = role?.token_type ?? 'default-service';
  if (roleType === 'service' || roleType === 'batch') return roleType;
  if (requested === 'service' || requested === 'batch') return requested;
  return roleType === 'default-batch' ? 'batch' : 'service';
}

/**
 * The entity of a new token: as in Vault, the parent's, unless `entity_alias` names an alias of the
 * token auth method that the role allows (exactly or by glob, case-insensitively): then the entity
 * of that alias, created on first use (on a secondary, by the primary).
 */
async function tokenEntityId(core: Core, parent: TokenEntry, role: TokenRole | undefined, entityAlias: string): Promise<string> {
  if (entityAlias === '') return parent.entityId;
  if (role === undefined) throw invalidRequest("'entity_alias' is only allowed in combination with token role");
  const wanted = entityAlias.toLowerCase();
  const allowed = role.allowed_entity_aliases.map((a) => a.toLowerCase());
  if (!allowed.includes(wanted) && !allowed.some((g) => matchesGlob(g, wanted))) throw invalidRequest("invalid 'entity_alias' value");
  const mount = core.auths.get('token/');
  if (mount === undefined) throw new VaultError('internal', 'token auth method missing from the auth table');
  const entity = await entityForLogin(core, mount, entityAlias, {});
  if (entity?.disabled === true) throw new VaultError('permission_denied', 'entity from alias is disabled');
  return entity?.id ?? '';
}

/**
 * Creates a token for `auth/token/create`, `create-orphan` or `create/:role_name`. A role's settings
 * win over the request's (orphan without sudo, renewable only if the role allows, the smaller of two
 * periods, explicit max TTLs and use limits); periodic tokens need a role, root or sudo.
 */
export async function createToken(core: Core, ctx: PathContext, options: { orphan: boolean; role?: TokenRole }): Promise<LogicalResponse> {
  const { fields } = ctx;
  const { role } = options;
  const parent = await callerToken(core, ctx);
  // As in Vault, choosing the id, or an orphan or periodic token without a role, needs root or sudo on this path.
  const parentHasSudo = (await core.aclFor(parent.policies)).check(ctx.req.path, 'update').sudo;
  if (parent.type === 'batch') throw invalidRequest('batch tokens cannot create more tokens');
  const type = tokenTypeOf(fields.string('type'), role);
  let numUses = fields.int('num_uses');
  if (numUses < 0) throw invalidRequest('number of uses cannot be negative');
  const requestedId = fields.string('id');
  if (requestedId !== '' && !parentHasSudo) throw invalidRequest('root or sudo privileges required to specify token id');
  const policies = tokenPolicies(parent, fields.list('policies'), role, fields.bool('no_default_policy'));

  let noParent = options.orphan;
  if (role?.orphan) noParent = true;
  else if (fields.bool('no_parent') && !options.orphan) {
    if (!parentHasSudo) throw invalidRequest('root or sudo privileges required to create orphan token');
    noParent = true;
  }
  let renewable = fields.has('renewable') ? fields.bool('renewable') : true;
  if ((role !== undefined && !role.renewable) || type === 'batch') renewable = false;

  const warnings: string[] = [];
  let period = role?.token_period ?? 0;
  const requestedPeriod = fields.seconds('period');
  if (requestedPeriod > 0) {
    if (period === 0 && !parentHasSudo) throw invalidRequest('root or sudo privileges required to create periodic token');
    if (period > 0 && requestedPeriod < period) warnings.push('period of the token is set to the smaller of the request and the role');
    period = smallerLimit(period, requestedPeriod);
  }
  const explicitMaxTtl = smallerLimit(fields.seconds('explicit_max_ttl'), role?.token_explicit_max_ttl ?? 0);
  if (role !== undefined && role.token_num_uses > 0) numUses = smallerLimit(numUses, role.token_num_uses);

  const entityId = await tokenEntityId(core, parent, role, fields.string('entity_alias'));

  const meta = fields.map('meta');
  for (const v of Object.values(meta)) if (typeof v !== 'string') throw invalidRequest('metadata values must be strings');
  const path =
    role !== undefined
      ? `auth/token/create/${role.name}${role.path_suffix === '' ? '' : `/${role.path_suffix}`}`
      : options.orphan
        ? 'auth/token/create-orphan'
        : 'auth/token/create';
  const { id, entry } = await core.tokens.create({
    ...(requestedId === '' ? {} : { id: requestedId }),
    parent,
    policies,
    path,
    meta: Object.keys(meta).length > 0 ? (meta as Record<string, string>) : null,
    displayName: fields.string('display_name') === '' ? 'token' : `token-${fields.string('display_name')}`,
    numUses,
    ttlSeconds: fields.seconds('ttl') || fields.seconds('lease'),
    explicitMaxTtlSeconds: explicitMaxTtl,
    periodSeconds: period,
    renewable,
    noParent,
    ...(entityId === '' ? {} : { entityId }),
    ...(role === undefined ? {} : { role: role.name, boundCidrs: role.token_bound_cidrs }),
    type,
  });
  return warnings.length > 0 ? { auth: authResponse(id, entry), warnings } : { auth: authResponse(id, entry) };
}
