import type { LogicalStorage } from '../../core/barrier.js';
import { parseCidrs } from '../../core/bound-cidrs.js';
import type { FieldData, FieldSchemas } from '../../core/field-data.js';
import { layout } from '../../core/storage-layout.js';
import { invalidRequest } from '../../core/vault-error.js';

/**
 * A token store role (`auth/token/roles/:role_name`), in Vault's field names. Roles are replicated
 * state (Vault's "notable exception" to tokens being local): they live outside `local/`.
 */
export interface TokenRole {
  name: string;
  allowed_policies: string[];
  disallowed_policies: string[];
  allowed_policies_glob: string[];
  disallowed_policies_glob: string[];
  orphan: boolean;
  renewable: boolean;
  path_suffix: string;
  allowed_entity_aliases: string[];
  token_bound_cidrs: string[];
  token_explicit_max_ttl: number;
  token_no_default_policy: boolean;
  token_num_uses: number;
  token_period: number;
  token_type: 'service' | 'batch' | 'default-service' | 'default-batch';
}

/** The fields of `auth/token/roles/:role_name`, including Vault's deprecated aliases. */
export const TOKEN_ROLE_FIELDS: FieldSchemas = {
  allowed_policies: { type: 'comma-list' },
  disallowed_policies: { type: 'comma-list' },
  allowed_policies_glob: { type: 'comma-list' },
  disallowed_policies_glob: { type: 'comma-list' },
  orphan: { type: 'bool' },
  renewable: { type: 'bool', default: true },
  path_suffix: { type: 'string' },
  allowed_entity_aliases: { type: 'comma-list' },
  token_bound_cidrs: { type: 'comma-list' },
  token_explicit_max_ttl: { type: 'duration' },
  token_no_default_policy: { type: 'bool' },
  token_num_uses: { type: 'int' },
  token_period: { type: 'duration' },
  token_type: { type: 'string' },
  period: { type: 'duration' },
  explicit_max_ttl: { type: 'duration' },
  bound_cidrs: { type: 'comma-list' },
};

const roleKey = (name: string) => `${layout.tokenRoles}${name}`;

/** Vault's policy list sanitizing: trimmed, lower-cased, no empties, no duplicates, sorted. */
export function sanitizePolicies(policies: readonly string[]): string[] {
  return [...new Set(policies.map((p) => p.trim().toLowerCase()).filter((p) => p !== ''))].sort();
}

/** Glob match with `*` anywhere (Vault's `glob.Glob` for the `*_glob` role fields). */
export function matchesGlob(pattern: string, value: string): boolean {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`).test(value);
}

/**
 * Builds a role from a create or update request: an update starts from the stored role and changes
 * only the fields it names. Every rule Vault checks is checked here, before anything is stored.
 */
export function roleFromRequest(name: string, fields: FieldData, existing: TokenRole | undefined): TokenRole {
  const role: TokenRole = existing
    ? { ...existing }
    : {
        name,
        allowed_policies: [],
        disallowed_policies: [],
        allowed_policies_glob: [],
        disallowed_policies_glob: [],
        orphan: false,
        renewable: true,
        path_suffix: '',
        allowed_entity_aliases: [],
        token_bound_cidrs: [],
        token_explicit_max_ttl: 0,
        token_no_default_policy: false,
        token_num_uses: 0,
        token_period: 0,
        token_type: 'default-service',
      };
  const set = <K extends keyof TokenRole>(key: K, value: TokenRole[K], present: boolean) => {
    if (present || existing === undefined) role[key] = value;
  };
  set('allowed_policies', sanitizePolicies(fields.list('allowed_policies')), fields.has('allowed_policies'));
  set('disallowed_policies', sanitizePolicies(fields.list('disallowed_policies')), fields.has('disallowed_policies'));
  set('allowed_policies_glob', sanitizePolicies(fields.list('allowed_policies_glob')), fields.has('allowed_policies_glob'));
  set('disallowed_policies_glob', sanitizePolicies(fields.list('disallowed_policies_glob')), fields.has('disallowed_policies_glob'));
  set('orphan', fields.bool('orphan'), fields.has('orphan'));
  set('renewable', fields.bool('renewable'), fields.has('renewable'));
  set('allowed_entity_aliases', fields.list('allowed_entity_aliases'), fields.has('allowed_entity_aliases'));
  set('token_no_default_policy', fields.bool('token_no_default_policy'), fields.has('token_no_default_policy'));

  const suffix = fields
    .string('path_suffix')
    .trim()
    .replace(/^\/+|\/+$/g, '');
  if (suffix.split('/').some((segment) => segment === '..')) throw invalidRequest("error registering path suffix: path suffix cannot contain '..'");
  set('path_suffix', suffix, fields.has('path_suffix'));

  const numUses = fields.int('token_num_uses');
  if (numUses < 0) throw invalidRequest('token_num_uses cannot be negative');
  set('token_num_uses', numUses, fields.has('token_num_uses'));

  // The `token_*` names win over the deprecated ones when both are given, as in Vault.
  if (fields.has('token_period')) role.token_period = fields.seconds('token_period');
  else if (fields.has('period')) role.token_period = fields.seconds('period');
  if (fields.has('token_explicit_max_ttl')) role.token_explicit_max_ttl = fields.seconds('token_explicit_max_ttl');
  else if (fields.has('explicit_max_ttl')) role.token_explicit_max_ttl = fields.seconds('explicit_max_ttl');
  if (fields.has('token_bound_cidrs') || fields.has('bound_cidrs')) {
    role.token_bound_cidrs = parseCidrs(fields.has('token_bound_cidrs') ? fields.list('token_bound_cidrs') : fields.list('bound_cidrs'));
  }

  if (fields.has('token_type') || existing === undefined) {
    const type = fields.string('token_type') === '' ? 'default-service' : fields.string('token_type');
    if (type === 'service' || type === 'batch' || type === 'default-batch') role.token_type = type;
    else if (type === 'default' || type === 'default-service') role.token_type = 'default-service';
    else throw invalidRequest(`invalid 'token_type' value "${type}"`);
  }
  if (role.token_type === 'batch') {
    if (role.token_period > 0) throw invalidRequest("'token_type' cannot be 'batch' when role is set to generate periodic tokens");
    if (role.token_num_uses > 0) throw invalidRequest("'token_type' cannot be 'batch' when role is set to generate tokens with a use limit");
  }
  return role;
}

/** The read view of a role: the `token_*` fields and Vault's deprecated names beside them. */
export function roleView(role: TokenRole): Record<string, unknown> {
  return {
    name: role.name,
    allowed_policies: role.allowed_policies,
    disallowed_policies: role.disallowed_policies,
    allowed_policies_glob: role.allowed_policies_glob,
    disallowed_policies_glob: role.disallowed_policies_glob,
    allowed_entity_aliases: role.allowed_entity_aliases.length > 0 ? role.allowed_entity_aliases : null,
    orphan: role.orphan,
    renewable: role.renewable,
    path_suffix: role.path_suffix,
    token_bound_cidrs: role.token_bound_cidrs,
    bound_cidrs: role.token_bound_cidrs,
    token_explicit_max_ttl: role.token_explicit_max_ttl,
    explicit_max_ttl: role.token_explicit_max_ttl,
    token_no_default_policy: role.token_no_default_policy,
    token_num_uses: role.token_num_uses,
    token_period: role.token_period,
    period: role.token_period,
    token_type: role.token_type,
  };
}

/** Token roles in storage (no cache: every read sees what replication last applied). */
export class TokenRoleStore {
  constructor(private readonly storage: LogicalStorage) {}

  async get(name: string): Promise<TokenRole | undefined> {
    const raw = await this.storage.get(roleKey(name.toLowerCase()));
    return raw === undefined ? undefined : (JSON.parse(raw.toString('utf8')) as TokenRole);
  }

  async put(role: TokenRole): Promise<void> {
    await this.storage.put(roleKey(role.name), Buffer.from(JSON.stringify(role)));
  }

  async delete(name: string): Promise<void> {
    await this.storage.delete(roleKey(name.toLowerCase()));
  }

  async list(): Promise<string[]> {
    return (await this.storage.list(layout.tokenRoles)).filter((k) => !k.endsWith('/')).sort();
  }
}
