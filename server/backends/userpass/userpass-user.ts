import type { PasswordHash } from './password-hash.js';

/** One userpass user as stored in the mount's storage (replicated unless the mount is local). */
export interface UserpassUser {
  password: PasswordHash;
  token_policies: string[];
  token_ttl: number;
  token_max_ttl: number;
  token_explicit_max_ttl: number;
  token_period: number;
  token_num_uses: number;
  token_no_default_policy: boolean;
  token_bound_cidrs: string[];
}

export const emptyUserSettings = (): Omit<UserpassUser, 'password'> => ({
  token_policies: [],
  token_ttl: 0,
  token_max_ttl: 0,
  token_explicit_max_ttl: 0,
  token_period: 0,
  token_num_uses: 0,
  token_no_default_policy: false,
  token_bound_cidrs: [],
});

/** The read view (Vault's fields, including the deprecated aliases); the password hash is never returned. */
export function userView(user: UserpassUser): Record<string, unknown> {
  return {
    token_policies: user.token_policies,
    policies: user.token_policies,
    token_ttl: user.token_ttl,
    ttl: user.token_ttl,
    token_max_ttl: user.token_max_ttl,
    max_ttl: user.token_max_ttl,
    token_explicit_max_ttl: user.token_explicit_max_ttl,
    token_period: user.token_period,
    token_num_uses: user.token_num_uses,
    token_no_default_policy: user.token_no_default_policy,
    token_bound_cidrs: user.token_bound_cidrs,
    bound_cidrs: user.token_bound_cidrs,
    token_type: 'default',
  };
}

/** Normalizes policy names the way Vault does: trimmed, lower-case, de-duplicated. */
export function normalizePolicies(names: readonly string[]): string[] {
  return [...new Set(names.map((n) => n.trim().toLowerCase()).filter((n) => n !== ''))];
}

// CIDR checks live in the core (tokens are bound to them too); kept importable from here.
export { isAddressAllowed, parseCidrs } from '../../core/bound-cidrs.js';
