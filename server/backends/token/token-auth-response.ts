import type { AuthResponse } from '../../core/logical.js';
import { nowSeconds, type TokenEntry } from '../../core/token-store.js';

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
    ...(entry.role === undefined ? {} : { role: entry.role }),
    ...(entry.boundCidrs === undefined ? {} : { bound_cidrs: entry.boundCidrs }),
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
    tokenType: entry.type,
    orphan: entry.orphan,
    numUses: entry.numUses,
  };
}
