/** A token as stored: keyed by the salted hash of its id; the id itself is never stored. */
export interface TokenEntry {
  hash: string;
  accessor: string;
  parentHash: string;
  policies: string[];
  path: string;
  meta: Record<string, string> | null;
  displayName: string;
  /** Uses left; 0 = unlimited; REVOCATION_PENDING once a running request holds the last one. */
  numUses: number;
  creationTime: number;
  ttlSeconds: number;
  explicitMaxTtlSeconds: number;
  periodSeconds: number;
  renewable: boolean;
  orphan: boolean;
  /** Batch tokens are never stored: the id carries the entry, sealed by the barrier (see batch-token.ts). */
  type: 'service' | 'batch';
  /** Unix seconds; 0 = never expires. */
  expireTime: number;
  entityId: string;
  /** The token store role it was created against (`auth/token/create/:role`); absent otherwise. */
  role?: string;
  /** CIDR blocks the token may be used from (Vault's `bound_cidrs`); absent or empty: anywhere. */
  boundCidrs?: string[];
}

export interface CreateTokenInput {
  id?: string;
  parent?: TokenEntry;
  policies: string[];
  path: string;
  meta?: Record<string, string> | null;
  displayName?: string;
  numUses?: number;
  ttlSeconds?: number;
  explicitMaxTtlSeconds?: number;
  periodSeconds?: number;
  renewable?: boolean;
  noParent?: boolean;
  entityId?: string;
  role?: string;
  boundCidrs?: string[];
  type?: 'service' | 'batch';
}
