import type { LogicalStorage } from '../barrier.js';
import { layout } from '../storage-layout.js';

/** One lease, as stored under `local/expiration/` (this cluster only, never replicated). */
export interface LeaseEntry {
  leaseId: string;
  /** The request path that issued it (routes revocation to the issuing backend). */
  path: string;
  mountUuid: string;
  /** Salted hash of the token the lease was issued to; '' when issued without a token. */
  tokenHash: string;
  /** Unix seconds. */
  issueTime: number;
  expireTime: number;
  lastRenewalTime: number;
  /** Renewals never move expiry past this (issue time + the mount's max TTL). */
  maxExpireTime: number;
  renewable: boolean;
  /** The issuing backend's data for revocation; never returned to clients. */
  internal: Record<string, unknown>;
}

const ID_PREFIX = `${layout.leases}id/`;
const TOKEN_PREFIX = `${layout.leases}token/`;
const idKey = (leaseId: string) => ID_PREFIX + leaseId;
const tokenIndexKey = (tokenHash: string, leaseId: string) => `${TOKEN_PREFIX}${tokenHash}/${encodeURIComponent(leaseId)}`;

/**
 * Storage of leases: one entry per lease id (lease ids are paths, so prefixes list and
 * scan naturally), plus an index from the issuing token to its leases.
 */
export class LeaseStore {
  constructor(private readonly storage: LogicalStorage) {}

  async put(lease: LeaseEntry): Promise<void> {
    const ops = [{ op: 'put' as const, key: idKey(lease.leaseId), value: Buffer.from(JSON.stringify(lease)) }];
    if (lease.tokenHash !== '') ops.push({ op: 'put', key: tokenIndexKey(lease.tokenHash, lease.leaseId), value: Buffer.from('') });
    await this.storage.transaction(ops);
  }

  async get(leaseId: string): Promise<LeaseEntry | undefined> {
    if (leaseId === '') return undefined;
    const raw = await this.storage.get(idKey(leaseId));
    return raw === undefined ? undefined : (JSON.parse(raw.toString('utf8')) as LeaseEntry);
  }

  async delete(lease: LeaseEntry): Promise<void> {
    const ops: { op: 'delete'; key: string }[] = [{ op: 'delete', key: idKey(lease.leaseId) }];
    if (lease.tokenHash !== '') ops.push({ op: 'delete', key: tokenIndexKey(lease.tokenHash, lease.leaseId) });
    await this.storage.transaction(ops);
  }

  /** Every lease whose id starts with `prefix` ('' for all). */
  async scan(prefix: string): Promise<LeaseEntry[]> {
    const rows = await this.storage.scan(ID_PREFIX + prefix);
    return rows.map((r) => JSON.parse(r.value.toString('utf8')) as LeaseEntry);
  }

  /** Immediate children below a lease id prefix ending in '/' (LIST `sys/leases/lookup/<prefix>`). */
  async list(prefix: string): Promise<string[]> {
    return this.storage.list(ID_PREFIX + prefix);
  }

  /** Ids of the leases issued to a token. */
  async leaseIdsOfToken(tokenHash: string): Promise<string[]> {
    const keys = await this.storage.list(`${TOKEN_PREFIX}${tokenHash}/`);
    return keys.filter((k) => !k.endsWith('/')).map((k) => decodeURIComponent(k));
  }
}
