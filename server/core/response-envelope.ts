/** Vault's JSON response envelope, shared by the HTTP layer and forwarded replication requests. */
import type { AuthResponse, LogicalResponse } from '../core/logical.js';

export function authView(auth: AuthResponse): Record<string, unknown> {
  return {
    client_token: auth.clientToken,
    accessor: auth.accessor,
    policies: auth.policies,
    token_policies: auth.tokenPolicies,
    metadata: auth.metadata,
    lease_duration: auth.leaseDurationSeconds,
    renewable: auth.renewable,
    entity_id: auth.entityId,
    token_type: auth.tokenType,
    orphan: auth.orphan,
    mfa_requirement: null,
    num_uses: auth.numUses,
  };
}

/** Vault's envelope (`logical.HTTPResponse`), with sys/ data keys also at the top level. */
export function envelopeOf(requestId: string, res: LogicalResponse, mountType: string): Record<string, unknown> {
  const envelope: Record<string, unknown> = {
    request_id: requestId,
    lease_id: res.leaseId ?? '',
    renewable: res.secret?.renewable ?? false,
    lease_duration: res.secret?.ttlSeconds ?? 0,
    data: res.data ?? null,
    wrap_info: res.wrapInfo ?? null,
    warnings: res.warnings && res.warnings.length > 0 ? res.warnings : null,
    auth: res.auth ? authView(res.auth) : null,
    mount_type: mountType,
  };
  if (res.injectDataAtTopLevel && res.data) {
    for (const [k, v] of Object.entries(res.data)) if (!(k in envelope)) envelope[k] = v;
  }
  return envelope;
}
