import { LOCAL_PREFIX } from '../core/storage-layout.js';

/**
 * The one answer to "does this key travel?". Everything under `local/` stays on its cluster:
 * tokens, leases, cubbyhole, wrapping tokens, local mounts and their data, local audit devices,
 * and the engine's own bookkeeping (WAL, replication state, cluster certificates). Everything
 * else — mount and auth tables, policies, replicated mount data, the keyring and seal config —
 * is replicated state.
 */
export function isReplicatedKey(key: string): boolean {
  return !key.startsWith(LOCAL_PREFIX);
}

/** A delete of a whole prefix travels only when it cannot touch local keys. */
export function isReplicatedPrefix(prefix: string): boolean {
  return prefix !== '' && isReplicatedKey(prefix) && !LOCAL_PREFIX.startsWith(prefix);
}
