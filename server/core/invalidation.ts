import type { Logger } from 'pino';
import type { DeviceAuditBroker } from './audit/device-audit-broker.js';
import { ROOT_KEY_PATH, type Barrier } from './barrier.js';
import type { IndexHeaderKey } from './index-header-key.js';
import type { MountTable } from './mount-table.js';
import type { PolicyStore } from './policy-store.js';
import type { Router } from './router.js';
import type { Seal } from './seal.js';
import { LOCAL_PREFIX, layout } from './storage-layout.js';

/** The key that stands for "everything may have changed" (a full resync). */
export const EVERYTHING = '';

/** The subsystems that own stored state and reload themselves when it changes underneath them. */
export type InvalidationOwner = 'keyring' | 'index-header-key' | 'mount-table' | 'auth-table' | 'policies' | 'audit-devices' | 'backends';

/** One row of the owner table: the exact keys and key prefixes one owner answers for. */
interface OwnedKeys {
  readonly owner: InvalidationOwner;
  readonly keys?: readonly string[];
  readonly prefixes?: readonly string[];
}

/**
 * Storage key → owner, in the order owners reload: the keyring first (everything else is
 * decrypted with it), then the mount and auth tables (so a new mount's backend exists), the
 * policies and the audit devices, and last the backends' own caches.
 */
const INVALIDATION_TABLE: readonly OwnedKeys[] = [
  // A rekey on the primary re-seals the keyring under a new root key, stored encrypted under the keyring.
  { owner: 'keyring', keys: [layout.keyring, ROOT_KEY_PATH] },
  // The primary's key arrives with an activation's sync (or a first mint there).
  { owner: 'index-header-key', keys: [layout.indexHeaderKey] },
  { owner: 'mount-table', keys: [layout.mountTable(false), layout.mountTable(true)] },
  { owner: 'auth-table', keys: [layout.authTable(false), layout.authTable(true)] },
  { owner: 'policies', prefixes: [layout.policies] },
  { owner: 'audit-devices', keys: [layout.auditTable(false), layout.auditTable(true)] },
  { owner: 'backends', prefixes: ['logical/', 'auth/', `${LOCAL_PREFIX}logical/`, `${LOCAL_PREFIX}auth/`] },
];

/** What each owner does with the changed keys it owns (`EVERYTHING` included on a full resync). */
export type InvalidationHandlers = Readonly<Record<InvalidationOwner, (keys: readonly string[]) => Promise<void>>>;

/** The core's services that own stored state (the core passes itself). */
interface InvalidationTargets {
  readonly barrier: Barrier;
  readonly indexHeaderKey: IndexHeaderKey;
  readonly seal: Seal;
  readonly mounts: MountTable;
  readonly auths: MountTable;
  readonly policies: PolicyStore;
  readonly audit: DeviceAuditBroker;
  readonly router: Router;
  reconcileBackends(): Promise<void>;
}

/** How each owner reloads itself: the second column of the owner table. */
export function invalidationOwners(core: InvalidationTargets): InvalidationHandlers {
  return {
    keyring: async () => {
      if (!(await core.seal.followRekey())) await core.barrier.reloadKeyring(core.seal.currentRootKey());
    },
    'index-header-key': async () => core.indexHeaderKey.forget(),
    'mount-table': async () => {
      await core.mounts.load();
      await core.reconcileBackends();
    },
    'auth-table': async () => {
      await core.auths.load();
      await core.reconcileBackends();
    },
    policies: async (keys) => core.policies.invalidateKeys(keys),
    'audit-devices': () => core.audit.refresh(),
    backends: (keys) => core.router.invalidate(keys),
  };
}

/**
 * Whether `key` falls to `row`. A changed key ending in `/` is a removed prefix (a delete-prefix
 * operation) and reaches every owner with a key below it.
 */
function owns(row: OwnedKeys, key: string): boolean {
  if (key === EVERYTHING) return true;
  const isPrefix = key.endsWith('/');
  for (const owned of row.keys ?? []) if (key === owned || (isPrefix && owned.startsWith(key))) return true;
  for (const prefix of row.prefixes ?? []) if (key.startsWith(prefix) || (isPrefix && prefix.startsWith(key))) return true;
  return false;
}

/** The owners of `keys`, in table order, each with the keys it owns. */
export function ownersOf(keys: readonly string[]): { owner: InvalidationOwner; keys: string[] }[] {
  const out: { owner: InvalidationOwner; keys: string[] }[] = [];
  for (const row of INVALIDATION_TABLE) {
    const owned = keys.filter((key) => owns(row, key));
    if (owned.length > 0) out.push({ owner: row.owner, keys: owned });
  }
  return out;
}

/**
 * Routes changed storage keys to the subsystem that owns them (Vault's `Invalidate`). The
 * replication layer calls it after applying WAL entries or a Merkle sync; an HA standby will
 * call it for the active node's writes. While the core is sealed nothing is loaded, so there
 * is nothing to invalidate. Every owner gets its keys even when an earlier one fails; the first
 * failure is raised afterwards so the caller sees it.
 */
export class InvalidationDispatcher {
  constructor(
    private readonly handlers: InvalidationHandlers,
    private readonly isActive: () => boolean,
    private readonly logger: Logger,
  ) {}

  async invalidate(keys: readonly string[]): Promise<void> {
    if (keys.length === 0 || !this.isActive()) return;
    let firstError: unknown;
    for (const { owner, keys: owned } of ownersOf(keys)) {
      try {
        await this.handlers[owner](owned);
      } catch (err) {
        this.logger.error({ owner, keys: owned.length, err: err instanceof Error ? err.message : String(err) }, 'invalidation failed');
        firstError ??= err;
      }
    }
    if (firstError !== undefined) throw firstError;
  }
}
