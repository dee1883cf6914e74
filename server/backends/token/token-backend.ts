import type { BackendFactory, Core } from '../../core/core.js';
import type { AuthResponse, LogicalResponse } from '../../core/logical.js';
import { PathTable, type PathContext } from '../../core/path-table.js';
import { nowSeconds, type TokenEntry } from '../../core/token-store.js';
import { invalidRequest, VaultError } from '../../core/vault-error.js';

/** The lookup view of a token (Vault's field names); the id itself is only known to its holder. */
export function tokenLookupData(entry: TokenEntry, id?: string): Record<string, unknown> {
  const now = nowSeconds();
  return {
    accessor: entry.accessor,
    creation_time: entry.creationTime,
    creation_ttl: entry.ttlSeconds,
    display_name: entry.displayName,
    entity_id: entry.entityId,
    expire_time: entry.expireTime > 0 ? new Date(entry.expireTime * 1000).toISOString() : null,
    explicit_max_ttl: entry.explicitMaxTtlSeconds,
    id: id ?? '',
    issue_time: new Date(entry.creationTime * 1000).toISOString(),
    meta: entry.meta,
    num_uses: entry.numUses,
    orphan: entry.orphan,
    path: entry.path,
    policies: entry.policies,
    renewable: entry.renewable,
    ttl: entry.expireTime > 0 ? Math.max(0, entry.expireTime - now) : 0,
    type: entry.type,
    ...(entry.periodSeconds > 0 ? { period: entry.periodSeconds } : {}),
  };
}

export function authResponse(id: string, entry: TokenEntry): AuthResponse {
  return {
    clientToken: id,
    accessor: entry.accessor,
    policies: entry.policies,
    tokenPolicies: entry.policies,
    metadata: entry.meta,
    leaseDurationSeconds: entry.expireTime > 0 ? Math.max(0, entry.expireTime - nowSeconds()) : 0,
    renewable: entry.renewable,
    entityId: entry.entityId,
    tokenType: 'service',
    orphan: entry.orphan,
    numUses: entry.numUses,
  };
}

/**
 * Token-store paths that need `sudo`: Vault's `PathsSpecial.Root` (`revoke-orphan/*`,
 * `accessors*`) plus `revoke-orphan` itself, whose handler Vault guards with a sudo check.
 * `accessors*` is a prefix, so a LIST of `accessors` (checked as `accessors/`) needs sudo too.
 */
export const TOKEN_SUDO = ['revoke-orphan', 'revoke-orphan/*', 'accessors*'];

const createFields = {
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
} as const;

/** The caller's own token, even when this request holds its last use (it is revoked afterwards). */
async function caller(core: Core, ctx: Pick<PathContext, 'req'>): Promise<TokenEntry> {
  const entry = await core.resolveToken(ctx.req.clientToken, { includeRevocationPending: true });
  if (entry === undefined) throw new VaultError('permission_denied', 'permission denied');
  return entry;
}

async function createToken(core: Core, ctx: PathContext, orphan: boolean): Promise<LogicalResponse> {
  const { fields } = ctx;
  const parent = await caller(core, ctx);
  const parentIsRoot = parent.policies.includes('root');
  // As in Vault, choosing the id or creating an orphan through `create` needs root or sudo on this path.
  const parentHasSudo = (await core.aclFor(parent.policies)).check(ctx.req.path, 'update').sudo;
  const type = fields.string('type');
  if (type !== '' && type !== 'service' && type !== 'default') throw invalidRequest('batch tokens are not supported');
  const numUses = fields.int('num_uses');
  if (numUses < 0) throw invalidRequest('number of uses cannot be negative');
  const requestedId = fields.string('id');
  if (requestedId !== '' && !parentHasSudo) throw invalidRequest('root or sudo privileges required to specify token id');
  let policies = fields.list('policies').map((p) => p.toLowerCase());
  if (policies.length === 0) policies = [...parent.policies];
  if (!parentIsRoot) {
    const allowed = new Set(parent.policies);
    const extra = policies.filter((p) => p !== 'default' && !allowed.has(p));
    if (extra.length > 0) throw new VaultError('permission_denied', 'child policies must be subset of parent');
    if (policies.includes('root')) throw new VaultError('permission_denied', 'root token cannot be created by a non-root token');
  }
  if (!fields.bool('no_default_policy') && !policies.includes('root') && !policies.includes('default')) policies.push('default');
  const noParent = orphan || fields.bool('no_parent');
  if (fields.bool('no_parent') && !orphan && !parentHasSudo) throw invalidRequest('root or sudo privileges required to create orphan token');
  const renewable = fields.has('renewable') ? fields.bool('renewable') : true;
  const meta = fields.map('meta');
  for (const v of Object.values(meta)) if (typeof v !== 'string') throw invalidRequest('metadata values must be strings');
  const ttl = fields.seconds('ttl') || fields.seconds('lease');
  const { id, entry } = await core.tokens.create({
    ...(requestedId === '' ? {} : { id: requestedId }),
    parent,
    policies,
    path: orphan ? 'auth/token/create-orphan' : 'auth/token/create',
    meta: Object.keys(meta).length > 0 ? (meta as Record<string, string>) : null,
    displayName: fields.string('display_name') === '' ? 'token' : `token-${fields.string('display_name')}`,
    numUses,
    ttlSeconds: ttl,
    explicitMaxTtlSeconds: fields.seconds('explicit_max_ttl'),
    periodSeconds: fields.seconds('period'),
    renewable,
    noParent,
  });
  return { auth: authResponse(id, entry) };
}

/** The token auth method mounted at `auth/token/`. */
export const tokenBackend: BackendFactory = ({ core }) => {
  const lookup = async (id: string) => {
    if (id === '') throw invalidRequest('missing token');
    const entry = await core.tokens.lookupById(id);
    if (entry === undefined) throw new VaultError('permission_denied', 'bad token');
    return { data: tokenLookupData(entry, id) };
  };
  const byAccessor = async (accessor: string) => {
    if (accessor === '') throw invalidRequest('missing accessor');
    // A token whose last use a running request holds can still be looked up and revoked.
    const entry = await core.tokens.lookupByAccessor(accessor, { includeRevocationPending: true });
    if (entry === undefined) throw invalidRequest('invalid accessor');
    return entry;
  };
  const renew = async (entry: TokenEntry, id: string, increment: number): Promise<LogicalResponse> => {
    const updated = await core.tokens.renew(entry, increment);
    return { auth: authResponse(id, updated) };
  };
  const tokenField = { token: { type: 'string' }, increment: { type: 'duration' }, accessor: { type: 'string' } } as const;
  return new PathTable(
    [
      {
        pattern: 'accessors/?',
        operations: {
          list: async () => ({ data: { keys: (await core.tokens.allEntries()).map((e) => e.accessor).sort() } }),
        },
      },
      { pattern: 'create', fields: createFields, operations: { update: (ctx) => createToken(core, ctx, false) } },
      { pattern: 'create-orphan', fields: createFields, operations: { update: (ctx) => createToken(core, ctx, true) } },
      {
        pattern: 'lookup',
        fields: tokenField,
        operations: { update: async ({ fields }) => lookup(fields.string('token')), read: async ({ fields }) => lookup(fields.string('token')) },
      },
      {
        pattern: 'lookup-self',
        operations: {
          read: async (ctx) => ({ data: tokenLookupData(await caller(core, ctx), ctx.req.clientToken) }),
          update: async (ctx) => ({ data: tokenLookupData(await caller(core, ctx), ctx.req.clientToken) }),
        },
      },
      {
        pattern: 'lookup-accessor',
        fields: tokenField,
        operations: { update: async ({ fields }) => ({ data: tokenLookupData(await byAccessor(fields.string('accessor'))) }) },
      },
      {
        pattern: 'renew',
        fields: tokenField,
        operations: {
          update: async ({ fields }) => {
            const id = fields.string('token');
            const entry = await core.tokens.lookupById(id);
            if (entry === undefined) throw invalidRequest('invalid token');
            return renew(entry, id, fields.seconds('increment'));
          },
        },
      },
      {
        pattern: 'renew-self',
        fields: tokenField,
        operations: { update: async (ctx) => renew(await caller(core, ctx), ctx.req.clientToken, ctx.fields.seconds('increment')) },
      },
      {
        pattern: 'renew-accessor',
        fields: tokenField,
        operations: {
          update: async ({ fields }) => ({
            auth: { ...authResponse('', await core.tokens.renew(await byAccessor(fields.string('accessor')), fields.seconds('increment'))) },
          }),
        },
      },
      {
        pattern: 'revoke',
        fields: tokenField,
        operations: {
          update: async ({ fields }) => {
            if (fields.string('token') === '') throw invalidRequest('missing token');
            const entry = await core.tokens.lookupById(fields.string('token'), { includeRevocationPending: true });
            if (entry) await core.tokens.revokeTree(entry);
            return {};
          },
        },
      },
      { pattern: 'revoke-self', operations: { update: async (ctx) => (await core.tokens.revokeTree(await caller(core, ctx)), {}) } },
      {
        pattern: 'revoke-accessor',
        fields: tokenField,
        operations: { update: async ({ fields }) => (await core.tokens.revokeTree(await byAccessor(fields.string('accessor'))), {}) },
      },
      {
        pattern: 'revoke-orphan',
        fields: tokenField,
        operations: {
          update: async ({ fields }) => {
            if (fields.string('token') === '') throw invalidRequest('missing token');
            const entry = await core.tokens.lookupById(fields.string('token'), { includeRevocationPending: true });
            if (entry) await core.tokens.revokeOrphan(entry);
            return {};
          },
        },
      },
    ],
    [],
    TOKEN_SUDO,
  );
};
