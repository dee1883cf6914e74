import type { FieldData, FieldSchema } from '../../core/field-data.js';
import type { PathDefinition } from '../../core/path-table.js';
import { invalidRequest, notFound } from '../../core/vault-error.js';
import { roleNameOf, type RoleStore } from './role-store.js';
import { checkRoleConstraints, ROLE_NAME, type AppRoleRole } from './approle-role.js';
import { parseCidrField } from './approle-cidrs.js';
import { normalizePolicies } from '../token/token-settings.js';

interface RoleField {
  /** Path segment below `role/:name/`. */
  readonly segment: string;
  /** The request field (Vault's name on this path). */
  readonly field: string;
  readonly schema: FieldSchema;
  /** What a read answers. */
  readonly view: (role: AppRoleRole) => Record<string, unknown>;
  /** Absent on read-only fields. */
  readonly set?: (role: AppRoleRole, fields: FieldData, name: string) => void;
  readonly reset?: (role: AppRoleRole) => void;
}

const nonNegative = (fields: FieldData, name: string): number => {
  const value = fields.int(name);
  if (value < 0) throw invalidRequest(`${name} cannot be negative`);
  return value;
};

const ROLE_FIELDS: readonly RoleField[] = [
  {
    segment: 'policies',
    field: 'token_policies',
    schema: { type: 'comma-list' },
    view: (r) => ({ policies: r.token_policies, token_policies: r.token_policies }),
    set: (r, f, n) => (r.token_policies = normalizePolicies(f.list(n))),
    reset: (r) => (r.token_policies = []),
  },
  {
    segment: 'secret-id-num-uses',
    field: 'secret_id_num_uses',
    schema: { type: 'int' },
    view: (r) => ({ secret_id_num_uses: r.secret_id_num_uses }),
    set: (r, f) => (r.secret_id_num_uses = nonNegative(f, 'secret_id_num_uses')),
    reset: (r) => (r.secret_id_num_uses = 0),
  },
  {
    segment: 'secret-id-ttl',
    field: 'secret_id_ttl',
    schema: { type: 'duration' },
    view: (r) => ({ secret_id_ttl: r.secret_id_ttl }),
    set: (r, f, n) => (r.secret_id_ttl = f.seconds(n)),
    reset: (r) => (r.secret_id_ttl = 0),
  },
  {
    segment: 'token-ttl',
    field: 'token_ttl',
    schema: { type: 'duration' },
    view: (r) => ({ token_ttl: r.token_ttl }),
    set: (r, f, n) => (r.token_ttl = f.seconds(n)),
    reset: (r) => (r.token_ttl = 0),
  },
  {
    segment: 'token-max-ttl',
    field: 'token_max_ttl',
    schema: { type: 'duration' },
    view: (r) => ({ token_max_ttl: r.token_max_ttl }),
    set: (r, f, n) => (r.token_max_ttl = f.seconds(n)),
    reset: (r) => (r.token_max_ttl = 0),
  },
  {
    segment: 'token-num-uses',
    field: 'token_num_uses',
    schema: { type: 'int' },
    view: (r) => ({ token_num_uses: r.token_num_uses }),
    set: (r, f) => (r.token_num_uses = nonNegative(f, 'token_num_uses')),
    reset: (r) => (r.token_num_uses = 0),
  },
  {
    segment: 'period',
    field: 'token_period',
    schema: { type: 'duration' },
    view: (r) => ({ period: r.token_period, token_period: r.token_period }),
    set: (r, f, n) => (r.token_period = f.seconds(n)),
    reset: (r) => (r.token_period = 0),
  },
  {
    segment: 'bind-secret-id',
    field: 'bind_secret_id',
    schema: { type: 'bool' },
    view: (r) => ({ bind_secret_id: r.bind_secret_id }),
    set: (r, f, n) => (r.bind_secret_id = f.bool(n)),
    reset: (r) => (r.bind_secret_id = true),
  },
  {
    segment: 'secret-id-bound-cidrs',
    field: 'secret_id_bound_cidrs',
    schema: { type: 'comma-list' },
    view: (r) => ({ secret_id_bound_cidrs: r.secret_id_bound_cidrs }),
    set: (r, f, n) => (r.secret_id_bound_cidrs = parseCidrField(f, n)),
    reset: (r) => (r.secret_id_bound_cidrs = []),
  },
  {
    segment: 'token-bound-cidrs',
    field: 'token_bound_cidrs',
    schema: { type: 'comma-list' },
    view: (r) => ({ token_bound_cidrs: r.token_bound_cidrs }),
    set: (r, f, n) => (r.token_bound_cidrs = parseCidrField(f, n)),
    reset: (r) => (r.token_bound_cidrs = []),
  },
  { segment: 'local-secret-ids', field: 'local_secret_ids', schema: { type: 'bool' }, view: (r) => ({ local_secret_ids: r.local_secret_ids }) },
];

/** `role/:name/<field>`: read, set or reset one setting of a role (Vault's per-field paths). */
export function roleFieldPaths(roles: RoleStore): PathDefinition[] {
  return ROLE_FIELDS.map((def) => {
    const aliases: Record<string, FieldSchema> = def.segment === 'policies' ? { policies: def.schema } : def.segment === 'period' ? { period: def.schema } : {};
    return {
      pattern: `role/${ROLE_NAME}/${def.segment}`,
      fields: { [def.field]: def.schema, ...aliases },
      operations: {
        read: async (ctx) => {
          const role = await roles.read(roleNameOf(ctx));
          if (role === undefined) throw notFound();
          return { data: def.view(role) };
        },
        ...(def.set === undefined || def.reset === undefined
          ? {}
          : {
              update: async (ctx) => {
                const { name, role } = await roles.require(ctx);
                const alias = Object.keys(aliases)[0];
                const source = ctx.fields.has(def.field) ? def.field : alias !== undefined && ctx.fields.has(alias) ? alias : undefined;
                if (source === undefined) throw invalidRequest(`missing ${def.field}`);
                const next = { ...role };
                def.set?.(next, ctx.fields, source);
                checkRoleConstraints(next);
                await roles.write(name, next, role);
                return undefined;
              },
              delete: async (ctx) => {
                const { name, role } = await roles.require(ctx);
                const next = { ...role };
                def.reset?.(next);
                checkRoleConstraints(next);
                await roles.write(name, next, role);
                return undefined;
              },
            }),
      },
    };
  });
}
