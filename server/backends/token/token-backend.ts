import type { BackendFactory } from '../../core/core.js';
import type { LogicalResponse } from '../../core/logical.js';
import { PathTable } from '../../core/path-table.js';
import type { TokenEntry } from '../../core/token-store.js';
import { invalidRequest, VaultError } from '../../core/vault-error.js';
import { authResponse, tokenLookupData } from './token-auth-response.js';
import { callerToken, CREATE_FIELDS, createToken } from './token-create.js';
import { TokenRoleStore } from './token-role.js';
import { tokenRolePaths } from './token-role-paths.js';

/**
 * Token-store paths that need `sudo`: Vault's `PathsSpecial.Root` (`revoke-orphan/*`,
 * `accessors*`) plus `revoke-orphan` itself, whose handler Vault guards with a sudo check.
 * `accessors*` is a prefix, so a LIST of `accessors` (checked as `accessors/`) needs sudo too.
 */
export const TOKEN_SUDO = ['revoke-orphan', 'revoke-orphan/*', 'accessors*'];

/** The token auth method mounted at `auth/token/`. */
export const tokenBackend: BackendFactory = ({ core }) => {
  const roles = new TokenRoleStore(core.barrier);
  const caller = (ctx: Parameters<typeof callerToken>[1]) => callerToken(core, ctx);
  /** Vault's lookup view, with `identity_policies` (the entity's and its groups') when there are any. */
  const lookupView = async (entry: TokenEntry, id?: string): Promise<LogicalResponse> => {
    const { identityPolicies } = await core.effectivePoliciesOf(entry);
    return { data: { ...tokenLookupData(entry, id), ...(identityPolicies.length > 0 ? { identity_policies: identityPolicies } : {}) } };
  };
  const lookup = async (id: string) => {
    if (id === '') throw invalidRequest('missing token');
    const entry = await core.tokens.lookupById(id);
    if (entry === undefined) throw new VaultError('permission_denied', 'bad token');
    return lookupView(entry, id);
  };
  const byAccessor = async (accessor: string) => {
    if (accessor === '') throw invalidRequest('missing accessor');
    // A token whose last use a running request holds can still be looked up and revoked.
    const entry = await core.tokens.lookupByAccessor(accessor, { includeRevocationPending: true });
    if (entry === undefined) throw invalidRequest('invalid accessor');
    return entry;
  };
  /** Batch tokens live their TTL: neither renewed nor revoked (Vault's rule). */
  const refuseBatch = (entry: TokenEntry, action: 'renewed' | 'revoked'): TokenEntry => {
    if (entry.type === 'batch') throw invalidRequest(`batch tokens cannot be ${action}`);
    return entry;
  };
  /** A token made from a role takes the role's current period at each renewal. */
  const renewToken = async (entry: TokenEntry, increment: number): Promise<TokenEntry> => {
    refuseBatch(entry, 'renewed');
    const role = entry.role === undefined ? undefined : await roles.get(entry.role);
    return core.tokens.renew(entry, increment, role !== undefined && role.token_period > 0 ? { periodSeconds: role.token_period } : {});
  };
  const renew = async (entry: TokenEntry, id: string, increment: number): Promise<LogicalResponse> => ({
    auth: authResponse(id, await renewToken(entry, increment)),
  });
  const tokenField = { token: { type: 'string' }, increment: { type: 'duration' }, accessor: { type: 'string' } } as const;
  return new PathTable(
    [
      {
        pattern: 'accessors/?',
        operations: {
          list: async () => ({ data: { keys: (await core.tokens.allEntries()).map((e) => e.accessor).sort() } }),
        },
      },
      { pattern: 'create', fields: CREATE_FIELDS, operations: { update: (ctx) => createToken(core, ctx, { orphan: false }) } },
      { pattern: 'create-orphan', fields: CREATE_FIELDS, operations: { update: (ctx) => createToken(core, ctx, { orphan: true }) } },
      {
        pattern: 'create/(?<role_name>[^/]+)',
        fields: CREATE_FIELDS,
        operations: {
          update: async (ctx) => {
            const name = ctx.fields.string('role_name');
            const role = await roles.get(name);
            if (role === undefined) throw invalidRequest(`unknown role ${name}`);
            return createToken(core, ctx, { orphan: false, role });
          },
        },
      },
      ...tokenRolePaths(roles),
      {
        pattern: 'lookup',
        fields: tokenField,
        operations: { update: async ({ fields }) => lookup(fields.string('token')), read: async ({ fields }) => lookup(fields.string('token')) },
      },
      {
        pattern: 'lookup-self',
        operations: {
          read: async (ctx) => lookupView(await caller(ctx), ctx.req.clientToken),
          update: async (ctx) => lookupView(await caller(ctx), ctx.req.clientToken),
        },
      },
      {
        pattern: 'lookup-accessor',
        fields: tokenField,
        operations: { update: async ({ fields }) => lookupView(await byAccessor(fields.string('accessor'))) },
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
        operations: { update: async (ctx) => renew(await caller(ctx), ctx.req.clientToken, ctx.fields.seconds('increment')) },
      },
      {
        pattern: 'renew-accessor',
        fields: tokenField,
        operations: {
          update: async ({ fields }) => ({
            auth: { ...authResponse('', await renewToken(await byAccessor(fields.string('accessor')), fields.seconds('increment'))) },
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
            if (entry) await core.tokens.revokeTree(refuseBatch(entry, 'revoked'));
            return {};
          },
        },
      },
      { pattern: 'revoke-self', operations: { update: async (ctx) => (await core.tokens.revokeTree(refuseBatch(await caller(ctx), 'revoked')), {}) } },
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
            if (entry) await core.tokens.revokeOrphan(refuseBatch(entry, 'revoked'));
            return {};
          },
        },
      },
    ],
    [],
    TOKEN_SUDO,
  );
};
