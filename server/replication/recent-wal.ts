import type { SerializedWalEntry } from './wal-entry.js';

/**
 * The most recent WAL entries as stored, by index, so streaming rarely reads them back from disk:
 * a ring of `capacity` slots, the entry of index i in slot i mod capacity. Adding an entry drops the
 * one `capacity` indexes older with no bookkeeping (a `Map` trimmed from its oldest key kept the
 * deleted keys' holes at its front until it rehashed, and each trim walked past them).
 */
export class RecentWal {
  private readonly slots: (SerializedWalEntry | undefined)[];

  constructor(private readonly capacity: number) {
    this.slots = new Array<SerializedWalEntry | undefined>(capacity).fill(undefined);
  }

  /** Entries are added in index order (WAL order is commit order). */
  add(entry: SerializedWalEntry): void {
    this.slots[entry.index % this.capacity] = entry;
  }

  /** The entry of `index`, while it is among the last `capacity` added. */
  get(index: number): SerializedWalEntry | undefined {
    const entry = this.slots[index % this.capacity];
    return entry?.index === index ? entry : undefined;
  }

  clear(): void {
    this.slots.fill(undefined);
  }
}
