import { createHash, randomUUID } from 'node:crypto';
import type { LogicalStorage } from '../../core/barrier.js';
import { KeyedLock } from '../../core/keyed-lock.js';
import { nowSeconds } from '../../core/token-store.js';
import { roleHmac, type AppRoleRole } from './approle-role.js';

/** One secret ID as stored, keyed by the HMAC of its value; the value itself is never stored. */
export interface SecretIdEntry {
  secret_id_accessor: string;
  /** Uses left; 0 = unlimited. */
  secret_id_num_uses: number;
  secret_id_ttl: number;
  creation_time: number;
  /** Unix seconds; 0 = never. */
  expiration_time: number;
  last_updated_time: number;
  metadata: Record<string, string>;
  cidr_list: string[];
  token_bound_cidrs: string[];
}

interface AccessorEntry {
  role_name: string;
  secret_id_hmac: string;
}

export interface NewSecretId {
  secretId?: string;
  numUses: number;
  ttlSeconds: number;
  metadata: Record<string, string>;
  cidrList: string[];
  tokenBoundCidrs: string[];
}

export type UseResult = { ok: true; entry: SecretIdEntry } | { ok: false };

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');
const isExpired = (e: SecretIdEntry) => e.expiration_time > 0 && e.expiration_time <= nowSeconds();
const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

/** The lookup view (Vault's fields and time formats). */
export function secretIdView(entry: SecretIdEntry): Record<string, unknown> {
  return {
    secret_id_accessor: entry.secret_id_accessor,
    secret_id_num_uses: entry.secret_id_num_uses,
    secret_id_ttl: entry.secret_id_ttl,
    creation_time: iso(entry.creation_time),
    expiration_time: entry.expiration_time > 0 ? iso(entry.expiration_time) : '0001-01-01T00:00:00Z',
    last_updated_time: iso(entry.last_updated_time),
    metadata: entry.metadata,
    cidr_list: entry.cidr_list,
    token_bound_cidrs: entry.token_bound_cidrs,
  };
}

/**
 * The secret IDs of an AppRole mount. A role's secret IDs live in the mount's storage (and so
 * replicate with a non-local mount) unless the role has `local_secret_ids`, then in the mount's
 * local storage on this cluster only — Vault's `secret_id/` and `secret_id_local/` split.
 *
 * Uses of one secret ID are taken one at a time (a per-secret lock), so a secret ID with N uses
 * logs in at most N times.
 */
export class SecretIdStore {
  private readonly locks = new KeyedLock();

  constructor(
    private readonly replicated: LogicalStorage,
    private readonly local: LogicalStorage,
  ) {}

  private storageOf(role: AppRoleRole): LogicalStorage {
    return role.local_secret_ids ? this.local : this.replicated;
  }

  private entryKey(role: AppRoleRole, roleName: string, secretHmac: string): string {
    return `secret_id/${roleHmac(role, roleName)}/${secretHmac}`;
  }

  async create(role: AppRoleRole, roleName: string, input: NewSecretId): Promise<{ secretId: string; entry: SecretIdEntry } | { duplicate: true }> {
    const secretId = input.secretId ?? randomUUID();
    const secretHmac = roleHmac(role, secretId);
    const storage = this.storageOf(role);
    return this.locks.run(secretHmac, async () => {
      const key = this.entryKey(role, roleName, secretHmac);
      if ((await storage.get(key)) !== undefined) return { duplicate: true as const };
      const now = nowSeconds();
      const entry: SecretIdEntry = {
        secret_id_accessor: randomUUID(),
        secret_id_num_uses: input.numUses,
        secret_id_ttl: input.ttlSeconds,
        creation_time: now,
        expiration_time: input.ttlSeconds > 0 ? now + input.ttlSeconds : 0,
        last_updated_time: now,
        metadata: input.metadata,
        cidr_list: input.cidrList,
        token_bound_cidrs: input.tokenBoundCidrs,
      };
      const accessor: AccessorEntry = { role_name: roleName, secret_id_hmac: secretHmac };
      await storage.transaction([
        { op: 'put', key, value: Buffer.from(JSON.stringify(entry)) },
        { op: 'put', key: `accessor/${digest(entry.secret_id_accessor)}`, value: Buffer.from(JSON.stringify(accessor)) },
      ]);
      return { secretId, entry };
    });
  }

  /** The live entry of a secret ID of this role; expired or unknown → undefined. */
  async lookup(role: AppRoleRole, roleName: string, secretId: string): Promise<SecretIdEntry | undefined> {
    return this.read(role, roleName, roleHmac(role, secretId));
  }

  async lookupByAccessor(role: AppRoleRole, roleName: string, accessor: string): Promise<SecretIdEntry | undefined> {
    const index = await this.accessorEntry(role, roleName, accessor);
    return index === undefined ? undefined : this.read(role, roleName, index.secret_id_hmac);
  }

  async destroy(role: AppRoleRole, roleName: string, secretId: string): Promise<void> {
    await this.remove(role, roleName, roleHmac(role, secretId));
  }

  /** False when the accessor is unknown for this role. */
  async destroyByAccessor(role: AppRoleRole, roleName: string, accessor: string): Promise<boolean> {
    const index = await this.accessorEntry(role, roleName, accessor);
    if (index === undefined) return false;
    await this.remove(role, roleName, index.secret_id_hmac);
    await this.storageOf(role).delete(`accessor/${digest(accessor)}`);
    return true;
  }

  /** Accessors of the role's secret IDs. */
  async listAccessors(role: AppRoleRole, roleName: string): Promise<string[]> {
    const rows = await this.storageOf(role).scan(`secret_id/${roleHmac(role, roleName)}/`);
    return rows.map((r) => (JSON.parse(r.value.toString('utf8')) as SecretIdEntry).secret_id_accessor).sort();
  }

  /**
   * Takes one use of a secret ID for a login: a secret ID with one use left is deleted, more
   * uses are decremented; unknown or expired secret IDs fail.
   */
  use(role: AppRoleRole, roleName: string, secretId: string): Promise<UseResult> {
    const secretHmac = roleHmac(role, secretId);
    return this.locks.run(secretHmac, async () => {
      const entry = await this.read(role, roleName, secretHmac);
      if (entry === undefined) return { ok: false };
      if (entry.secret_id_num_uses === 1) await this.remove(role, roleName, secretHmac);
      else if (entry.secret_id_num_uses > 1) {
        const next = { ...entry, secret_id_num_uses: entry.secret_id_num_uses - 1, last_updated_time: nowSeconds() };
        await this.storageOf(role).put(this.entryKey(role, roleName, secretHmac), Buffer.from(JSON.stringify(next)));
      }
      return { ok: true, entry };
    });
  }

  /** Removes every secret ID of a role (the role is being deleted). */
  async removeAll(role: AppRoleRole, roleName: string): Promise<void> {
    const storage = this.storageOf(role);
    const rows = await storage.scan(`secret_id/${roleHmac(role, roleName)}/`);
    for (const row of rows) {
      const entry = JSON.parse(row.value.toString('utf8')) as SecretIdEntry;
      await storage.transaction([
        { op: 'delete', key: row.key },
        { op: 'delete', key: `accessor/${digest(entry.secret_id_accessor)}` },
      ]);
    }
  }

  /** Deletes expired secret IDs and accessor entries pointing nowhere, in both storages. Returns the count removed. */
  async tidy(): Promise<number> {
    let removed = 0;
    for (const storage of [this.replicated, this.local]) {
      const live = new Set<string>();
      for (const row of await storage.scan('secret_id/')) {
        const entry = JSON.parse(row.value.toString('utf8')) as SecretIdEntry;
        if (isExpired(entry)) {
          await storage.transaction([
            { op: 'delete', key: row.key },
            { op: 'delete', key: `accessor/${digest(entry.secret_id_accessor)}` },
          ]);
          removed++;
        } else live.add(row.key.split('/').pop() as string);
      }
      for (const row of await storage.scan('accessor/')) {
        const index = JSON.parse(row.value.toString('utf8')) as AccessorEntry;
        if (!live.has(index.secret_id_hmac)) await storage.delete(row.key);
      }
    }
    return removed;
  }

  private async accessorEntry(role: AppRoleRole, roleName: string, accessor: string): Promise<AccessorEntry | undefined> {
    const raw = await this.storageOf(role).get(`accessor/${digest(accessor)}`);
    if (raw === undefined) return undefined;
    const index = JSON.parse(raw.toString('utf8')) as AccessorEntry;
    return index.role_name === roleName ? index : undefined;
  }

  private async read(role: AppRoleRole, roleName: string, secretHmac: string): Promise<SecretIdEntry | undefined> {
    const raw = await this.storageOf(role).get(this.entryKey(role, roleName, secretHmac));
    if (raw === undefined) return undefined;
    const entry = JSON.parse(raw.toString('utf8')) as SecretIdEntry;
    return isExpired(entry) ? undefined : entry;
  }

  private async remove(role: AppRoleRole, roleName: string, secretHmac: string): Promise<void> {
    const storage = this.storageOf(role);
    const key = this.entryKey(role, roleName, secretHmac);
    const raw = await storage.get(key);
    if (raw === undefined) return;
    const entry = JSON.parse(raw.toString('utf8')) as SecretIdEntry;
    await storage.transaction([
      { op: 'delete', key },
      { op: 'delete', key: `accessor/${digest(entry.secret_id_accessor)}` },
    ]);
  }
}
