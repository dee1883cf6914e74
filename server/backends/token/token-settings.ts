import type { FieldData, FieldSchemas } from '../../core/field-data.js';
import { invalidRequest } from '../../core/vault-error.js';
import { parseCidrs } from '../../core/bound-cidrs.js';

/**
 * The token settings an auth method stores with a role or user (Vault's `tokenutil` fields):
 * what a login through it issues.
 */
export interface TokenSettings {
  token_policies: string[];
  token_ttl: number;
  token_max_ttl: number;
  token_explicit_max_ttl: number;
  token_period: number;
  token_num_uses: number;
  token_no_default_policy: boolean;
  token_bound_cidrs: string[];
  token_type: string;
}

export const emptyTokenSettings = (): TokenSettings => ({
  token_policies: [],
  token_ttl: 0,
  token_max_ttl: 0,
  token_explicit_max_ttl: 0,
  token_period: 0,
  token_num_uses: 0,
  token_no_default_policy: false,
  token_bound_cidrs: [],
  token_type: 'default',
});

/** The `token_*` fields and their deprecated aliases (`policies`, `period`, `bound_cidrs`). */
export const tokenSettingsFields: FieldSchemas = {
  token_policies: { type: 'comma-list' },
  policies: { type: 'comma-list' },
  token_ttl: { type: 'duration' },
  token_max_ttl: { type: 'duration' },
  token_explicit_max_ttl: { type: 'duration' },
  token_period: { type: 'duration' },
  period: { type: 'duration' },
  token_num_uses: { type: 'int' },
  token_no_default_policy: { type: 'bool' },
  token_bound_cidrs: { type: 'comma-list' },
  bound_cidrs: { type: 'comma-list' },
  token_type: { type: 'string' },
};

/** Normalizes policy names the way Vault does: trimmed, lower-case, de-duplicated. */
export function normalizePolicies(names: readonly string[]): string[] {
  return [...new Set(names.map((n) => n.trim().toLowerCase()).filter((n) => n !== ''))];
}

/** Vault's `token_type` values for a role or user (`''` is `default`). */
const TOKEN_TYPES = ['', 'default', 'service', 'batch', 'default-service', 'default-batch'];

function firstPresent(fields: FieldData, names: readonly string[]): string | undefined {
  return names.find((n) => fields.has(n));
}

/**
 * Applies the token settings present in a request (absent fields keep their value; `token_x`
 * wins over its deprecated alias `x`, as in Vault). Throws a 400 before anything is stored.
 */
export function applyTokenSettings(settings: TokenSettings, fields: FieldData): void {
  const policies = firstPresent(fields, ['token_policies', 'policies']);
  if (policies) settings.token_policies = normalizePolicies(fields.list(policies));
  if (fields.has('token_ttl')) settings.token_ttl = fields.seconds('token_ttl');
  if (fields.has('token_max_ttl')) settings.token_max_ttl = fields.seconds('token_max_ttl');
  if (fields.has('token_explicit_max_ttl')) settings.token_explicit_max_ttl = fields.seconds('token_explicit_max_ttl');
  const period = firstPresent(fields, ['token_period', 'period']);
  if (period) settings.token_period = fields.seconds(period);
  if (fields.has('token_num_uses')) {
    const uses = fields.int('token_num_uses');
    if (uses < 0) throw invalidRequest('token_num_uses cannot be negative');
    settings.token_num_uses = uses;
  }
  if (fields.has('token_no_default_policy')) settings.token_no_default_policy = fields.bool('token_no_default_policy');
  const cidrs = firstPresent(fields, ['token_bound_cidrs', 'bound_cidrs']);
  if (cidrs) settings.token_bound_cidrs = parseCidrs(fields.list(cidrs));
  if (fields.has('token_type')) {
    const type = fields.string('token_type');
    if (!TOKEN_TYPES.includes(type)) throw invalidRequest(`invalid 'token_type' value ${JSON.stringify(type)}`);
    settings.token_type = type === '' ? 'default' : type;
  }
  checkTokenTtls(settings);
  checkBatchSettings(settings);
}

/** Vault's rule: batch tokens are never periodic and have no use limit, so such settings cannot coexist. */
function checkBatchSettings(settings: TokenSettings): void {
  if (settings.token_type !== 'batch' && settings.token_type !== 'default-batch') return;
  if (settings.token_period > 0) throw invalidRequest("'token_type' cannot be 'batch' or 'default_batch' when set to generate periodic tokens");
  if (settings.token_num_uses > 0) {
    throw invalidRequest("'token_type' cannot be 'batch' or 'default_batch' when set to generate tokens with limited use count");
  }
}

/**
 * The type of token a login issues: the settings' type, where `default` and `default-service` are
 * service tokens and `default-batch` a batch token (a login has no request type to choose with).
 */
export function loginTokenType(settings: TokenSettings): 'service' | 'batch' {
  return settings.token_type === 'batch' || settings.token_type === 'default-batch' ? 'batch' : 'service';
}

export function checkTokenTtls(settings: TokenSettings): void {
  if (settings.token_max_ttl > 0 && settings.token_ttl > settings.token_max_ttl) {
    throw invalidRequest('token_ttl cannot be greater than token_max_ttl');
  }
}

/** The read view: Vault returns the `token_*` names and the deprecated aliases. */
export function tokenSettingsView(settings: TokenSettings): Record<string, unknown> {
  return {
    token_policies: settings.token_policies,
    policies: settings.token_policies,
    token_ttl: settings.token_ttl,
    token_max_ttl: settings.token_max_ttl,
    token_explicit_max_ttl: settings.token_explicit_max_ttl,
    token_period: settings.token_period,
    period: settings.token_period,
    token_num_uses: settings.token_num_uses,
    token_no_default_policy: settings.token_no_default_policy,
    token_bound_cidrs: settings.token_bound_cidrs,
    bound_cidrs: settings.token_bound_cidrs,
    token_type: settings.token_type,
  };
}

/** The TTL a login issues and the ceiling enforced at renewal, from the settings and the mount's tuning. */
export function loginTtls(settings: TokenSettings, mountConfig: { default_lease_ttl: number; max_lease_ttl: number }): { ttl: number; ceiling: number } {
  const maxTtl = settings.token_max_ttl || mountConfig.max_lease_ttl;
  let ttl = settings.token_ttl || mountConfig.default_lease_ttl;
  if (maxTtl > 0 && ttl > maxTtl) ttl = maxTtl;
  // A periodic token lives one period at a time, with no max TTL unless an explicit one is set.
  if (settings.token_period > 0) {
    const explicit = settings.token_explicit_max_ttl;
    return { ttl: explicit > 0 ? Math.min(settings.token_period, explicit) : settings.token_period, ceiling: explicit };
  }
  const ceilings = [settings.token_explicit_max_ttl, maxTtl].filter((s) => s > 0);
  return { ttl, ceiling: ceilings.length === 0 ? 0 : Math.min(...ceilings) };
}

/** Policies of a login token: the settings' policies plus `default` unless opted out. */
export function loginPolicies(settings: TokenSettings): string[] {
  const policies = [...settings.token_policies];
  if (!settings.token_no_default_policy && !policies.includes('default')) policies.push('default');
  return policies;
}
