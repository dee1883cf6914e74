import type { Logger } from 'pino';
import { isVaultError } from '../../core/vault-error.js';
import type { TransitKeyStore } from './transit-key-store.js';
import { rotateTransitKey, type TransitKey } from './transit-key.js';

/** How often a mount looks for keys whose `auto_rotate_period` has passed. */
export const AUTO_ROTATE_CHECK_MS = 60_000;

/** True when the latest version is at least `auto_rotate_period` old. */
export function isRotationDue(key: TransitKey, nowMs: number): boolean {
  if (key.auto_rotate_period_seconds <= 0) return false;
  const latest = key.versions[String(key.latest_version)];
  if (latest === undefined) return false;
  return nowMs - Date.parse(latest.creation_time) >= key.auto_rotate_period_seconds * 1000;
}

/**
 * Rotates every key that is due; returns their names. On a replication secondary the write is
 * refused as read-only and nothing happens: the primary rotates, and the new version replicates.
 */
export async function rotateDueKeys(store: TransitKeyStore, nowMs: number, logger: Logger): Promise<string[]> {
  const rotated: string[] = [];
  for (const name of await store.list()) {
    try {
      const done = await store.withKey(name, async () => {
        const key = await store.get(name);
        if (key === undefined || !isRotationDue(key, nowMs)) return false;
        await store.put(await rotateTransitKey(key));
        return true;
      });
      if (done) rotated.push(name);
    } catch (err) {
      if (isVaultError(err) && (err.code === 'read_only' || err.code === 'sealed')) return rotated;
      logger.warn({ key: name, err: err instanceof Error ? err.message : String(err) }, 'transit auto-rotation failed');
    }
  }
  if (rotated.length > 0) logger.info({ keys: rotated }, 'transit keys auto-rotated');
  return rotated;
}
