import { invalidRequest } from '../../core/vault-error.js';
import { KEY_TYPES } from './transit-key-type.js';
import type { TransitKey } from './transit-key.js';

const BACKUP_FORMAT = 'ferry-transit-backup-v1';
const NAME = /^\w(?:[\w.-]*\w)?$/;

/** A plaintext backup of a key (every version and setting), allowed only when the key says so. */
export function backupOf(key: TransitKey): string {
  if (!key.exportable) throw invalidRequest('exporting is disallowed on the policy');
  if (!key.allow_plaintext_backup) throw invalidRequest('plaintext backup is disallowed on the policy');
  return Buffer.from(JSON.stringify({ format: BACKUP_FORMAT, policy: key })).toString('base64');
}

/** Parses and checks a backup blob; `name` (from the path) renames the restored key. */
export function restoreFromBackup(blob: string, name: string | undefined): TransitKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(blob, 'base64').toString('utf8'));
  } catch {
    throw invalidRequest('failed to decode backup: not a transit key backup');
  }
  const policy = (parsed as { format?: unknown; policy?: unknown } | null)?.policy as TransitKey | undefined;
  if ((parsed as { format?: unknown } | null)?.format !== BACKUP_FORMAT || !isTransitKey(policy)) {
    throw invalidRequest('failed to decode backup: not a transit key backup');
  }
  const restored = { ...policy, name: name ?? policy.name };
  if (!NAME.test(restored.name)) throw invalidRequest('invalid key name in backup');
  return restored;
}

function isTransitKey(value: unknown): value is TransitKey {
  if (typeof value !== 'object' || value === null) return false;
  const key = value as Record<string, unknown>;
  const ints = ['latest_version', 'min_decryption_version', 'min_encryption_version', 'min_available_version'];
  if (typeof key.name !== 'string' || typeof key.type !== 'string' || !Object.hasOwn(KEY_TYPES, key.type)) return false;
  if (!ints.every((f) => Number.isSafeInteger(key[f]) && (key[f] as number) >= 0)) return false;
  if (typeof key.versions !== 'object' || key.versions === null) return false;
  return Object.entries(key.versions as Record<string, unknown>).every(
    ([v, m]) => /^\d+$/.test(v) && typeof m === 'object' && m !== null && typeof (m as { hmac_key?: unknown }).hmac_key === 'string',
  );
}
