import type { StorageView } from '../../core/barrier.js';
import { KeyedLock } from '../../core/keyed-lock.js';
import type { TransitKey } from './transit-key.js';

const KEY_PREFIX = 'policy/';

/**
 * The named keys of one transit mount, one JSON document each inside the barrier. Reads go to
 * storage every time and reuse the parsed key only while the stored bytes are unchanged, so a
 * key rotated on the primary and replicated here is used on the next request. Changes to one key
 * run one at a time.
 */
export class TransitKeyStore {
  private readonly parsed = new Map<string, { raw: Buffer; key: TransitKey }>();
  private readonly lock = new KeyedLock();

  constructor(private readonly storage: StorageView) {}

  async get(name: string): Promise<TransitKey | undefined> {
    const raw = await this.storage.get(KEY_PREFIX + name);
    if (raw === undefined) {
      this.parsed.delete(name);
      return undefined;
    }
    const hit = this.parsed.get(name);
    if (hit !== undefined && hit.raw.equals(raw)) return hit.key;
    const key = JSON.parse(raw.toString('utf8')) as TransitKey;
    this.parsed.set(name, { raw, key });
    return key;
  }

  async put(key: TransitKey): Promise<void> {
    await this.storage.put(KEY_PREFIX + key.name, Buffer.from(JSON.stringify(key)));
  }

  async delete(name: string): Promise<void> {
    await this.storage.delete(KEY_PREFIX + name);
    this.parsed.delete(name);
  }

  async list(): Promise<string[]> {
    return (await this.storage.list(KEY_PREFIX)).filter((k) => !k.endsWith('/'));
  }

  /** Runs a read-modify-write of one key with no other change to that key in between. */
  withKey<T>(name: string, job: () => Promise<T>): Promise<T> {
    return this.lock.run(name, job);
  }
}
