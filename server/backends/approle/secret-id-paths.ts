import type { PathContext, PathDefinition } from '../../core/path-table.js';
import type { LogicalResponse } from '../../core/logical.js';
import { invalidRequest, notFound } from '../../core/vault-error.js';
import { isSubsetOfCidrs, parseCidrField } from './approle-cidrs.js';
import { roleNameOf, type RoleStore } from './role-store.js';
import { ROLE_NAME, type AppRoleRole } from './approle-role.js';
import { secretIdView, type SecretIdStore } from './secret-id-store.js';

const generateFields = {
  metadata: { type: 'raw' },
  cidr_list: { type: 'comma-list' },
  token_bound_cidrs: { type: 'comma-list' },
  num_uses: { type: 'int' },
  ttl: { type: 'duration' },
  secret_id: { type: 'string' },
} as const;

/** Secret ID metadata: a JSON object of strings, sent as such or as a JSON string (as hvac does). */
function parseMetadata(raw: unknown): Record<string, string> {
  if (raw === undefined || raw === null || raw === '') return {};
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw invalidRequest('failed to parse metadata: expected a JSON object of strings');
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    throw invalidRequest('failed to parse metadata: expected a JSON object of strings');
  }
  return value as Record<string, string>;
}

/**
 * `role/:name/secret-id*` and `role/:name/custom-secret-id`: issue, list, look up and destroy
 * secret IDs, by value or by accessor. A secret ID's uses and TTL default to the role's and
 * may not exceed them; its CIDR list must lie within the role's.
 */
export function secretIdPaths(roles: RoleStore, secretIds: SecretIdStore): PathDefinition[] {
  const issue = async (ctx: PathContext, custom: boolean): Promise<LogicalResponse> => {
    const { name, role } = await roles.require(ctx);
    if (!role.bind_secret_id) throw invalidRequest('bind_secret_id is not set on the role');
    const { fields } = ctx;
    const secretId = custom ? fields.string('secret_id') : undefined;
    if (custom && secretId === '') throw invalidRequest('missing secret_id');
    // An absent or zero value takes the role's.
    const numUses = fields.int('num_uses') || role.secret_id_num_uses;
    if (numUses < 0) throw invalidRequest('num_uses cannot be negative');
    if (role.secret_id_num_uses > 0 && (numUses === 0 || numUses > role.secret_id_num_uses)) {
      throw invalidRequest("num_uses cannot be higher than the role's secret_id_num_uses");
    }
    const ttl = fields.seconds('ttl') || role.secret_id_ttl;
    if (role.secret_id_ttl > 0 && (ttl === 0 || ttl > role.secret_id_ttl)) throw invalidRequest("ttl cannot be longer than the role's secret_id_ttl");
    const cidrList = parseCidrField(fields, 'cidr_list');
    if (!isSubsetOfCidrs(cidrList, role.secret_id_bound_cidrs))
      throw invalidRequest("failed to verify the CIDR restrictions set on the secret ID: CIDRs are not a subset of the role's");
    const tokenBoundCidrs = parseCidrField(fields, 'token_bound_cidrs');
    if (!isSubsetOfCidrs(tokenBoundCidrs, role.token_bound_cidrs))
      throw invalidRequest("failed to verify the token CIDR restrictions set on the secret ID: CIDRs are not a subset of the role's");
    const result = await secretIds.create(role, name, {
      ...(secretId === undefined ? {} : { secretId }),
      numUses,
      ttlSeconds: ttl,
      metadata: parseMetadata(fields.get('metadata')),
      cidrList,
      tokenBoundCidrs,
    });
    if ('duplicate' in result) throw invalidRequest('SecretID is already registered');
    return {
      data: {
        secret_id: result.secretId,
        secret_id_accessor: result.entry.secret_id_accessor,
        secret_id_ttl: result.entry.secret_id_ttl,
        secret_id_num_uses: result.entry.secret_id_num_uses,
      },
    };
  };
  const requireSecret = (ctx: PathContext) => {
    const value = ctx.fields.string('secret_id').trim();
    if (value === '') throw invalidRequest('missing secret_id');
    return value;
  };
  const requireAccessor = (ctx: PathContext) => {
    const value = ctx.fields.string('secret_id_accessor').trim();
    if (value === '') throw invalidRequest('missing secret_id_accessor');
    return value;
  };
  const accessorMissing = (accessor: string) => notFound(`failed to find accessor entry for secret_id_accessor: "${accessor}"`);
  const withRole = <T>(ctx: PathContext, job: (name: string, role: AppRoleRole) => Promise<T>) => roles.require(ctx).then(({ name, role }) => job(name, role));
  return [
    {
      pattern: `role/${ROLE_NAME}/secret-id/?`,
      fields: generateFields,
      operations: {
        update: (ctx) => issue(ctx, false),
        list: async (ctx) => {
          const role = await roles.read(roleNameOf(ctx));
          if (role === undefined) throw notFound();
          const keys = await secretIds.listAccessors(role, roleNameOf(ctx));
          if (keys.length === 0) throw notFound();
          return { data: { keys } };
        },
      },
    },
    { pattern: `role/${ROLE_NAME}/custom-secret-id`, fields: generateFields, operations: { update: (ctx) => issue(ctx, true) } },
    {
      pattern: `role/${ROLE_NAME}/secret-id/lookup`,
      fields: { secret_id: { type: 'string' } },
      operations: {
        update: (ctx) =>
          withRole(ctx, async (name, role) => {
            const entry = await secretIds.lookup(role, name, requireSecret(ctx));
            return entry === undefined ? undefined : { data: secretIdView(entry) };
          }),
      },
    },
    {
      pattern: `role/${ROLE_NAME}/secret-id/destroy`,
      fields: { secret_id: { type: 'string' } },
      operations: {
        update: (ctx) => withRole(ctx, async (name, role) => (await secretIds.destroy(role, name, requireSecret(ctx)), undefined)),
        delete: (ctx) => withRole(ctx, async (name, role) => (await secretIds.destroy(role, name, requireSecret(ctx)), undefined)),
      },
    },
    {
      pattern: `role/${ROLE_NAME}/secret-id-accessor/lookup`,
      fields: { secret_id_accessor: { type: 'string' } },
      operations: {
        update: (ctx) =>
          withRole(ctx, async (name, role) => {
            const accessor = requireAccessor(ctx);
            const entry = await secretIds.lookupByAccessor(role, name, accessor);
            if (entry === undefined) throw accessorMissing(accessor);
            return { data: secretIdView(entry) };
          }),
      },
    },
    {
      pattern: `role/${ROLE_NAME}/secret-id-accessor/destroy`,
      fields: { secret_id_accessor: { type: 'string' } },
      operations: {
        update: (ctx) =>
          withRole(ctx, async (name, role) => {
            const accessor = requireAccessor(ctx);
            if (!(await secretIds.destroyByAccessor(role, name, accessor))) throw accessorMissing(accessor);
            return undefined;
          }),
      },
    },
  ];
}
