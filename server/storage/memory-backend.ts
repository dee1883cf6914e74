import {
  childrenOf,
  type ScanOptions,
  type StagingArea,
  type StagedWrite,
  type StorageBackend,
  type StorageEntry,
  type StorageOp,
  type ConsistentRead,
} from './backend.js';

/** In-memory backend for dev mode. Same contract as the durable backends, nothing survives exit. */
export class MemoryBackend implements StorageBackend {
  readonly kind = 'inmem';
  private readonly entries = new Map<string, Buffer>();

  async get(key: string): Promise<Buffer | undefined> {
    const value = this.entries.get(key);
    return value === undefined ? undefined : Buffer.from(value);
  }

  async put(key: string, value: Buffer): Promise<void> {
    this.entries.set(key, Buffer.from(value));
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async list(prefix: string): Promise<string[]> {
    return childrenOf(prefix, this.keysUnder(prefix));
  }

  async scan(prefix: string, options: ScanOptions = {}): Promise<StorageEntry[]> {
    const keys = this.keysUnder(prefix)
      .filter((k) => options.after === undefined || k > options.after)
      .sort();
    const limited = options.limit === undefined ? keys : keys.slice(0, options.limit);
    return limited.map((key) => ({ key, value: Buffer.from(this.entries.get(key) as Buffer) }));
  }

  async scanKeys(prefix: string, options: ScanOptions = {}): Promise<string[]> {
    const keys = this.keysUnder(prefix)
      .filter((k) => options.after === undefined || k > options.after)
      .sort();
    return options.limit === undefined ? keys : keys.slice(0, options.limit);
  }

  async transaction(ops: readonly StorageOp[]): Promise<void> {
    // Copy every value before applying anything: a bad op fails with nothing applied. Application
    // is synchronous, so nothing can interleave and there is no partial state to undo.
    const values = ops.map((op) => (op.op === 'put' ? Buffer.from(op.value) : undefined));
    for (const [i, op] of ops.entries()) {
      if (op.op === 'put') this.entries.set(op.key, values[i] as Buffer);
      else if (op.op === 'delete') this.entries.delete(op.key);
      else for (const key of this.keysUnder(op.prefix)) this.entries.delete(key);
    }
  }

  async stage(write: StagedWrite): Promise<void> {
    const ops = write.prepare();
    try {
      await this.transaction(ops);
    } catch (err) {
      write.abandoned?.();
      throw err;
    }
    write.committed?.();
  }

  /** A copy of every entry, taken at once (nothing can interleave with a synchronous copy). */
  async consistentRead(): Promise<ConsistentRead> {
    const copy = [...this.entries.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, value]) => ({ key, value: Buffer.from(value) }));
    return {
      count: async () => copy.length,
      scan: async (after, limit) => {
        const start = after === undefined ? 0 : copy.findIndex((e) => e.key > after);
        return start === -1 ? [] : copy.slice(start, start + limit);
      },
      release: async () => {},
    };
  }

  async beginStaging(): Promise<StagingArea> {
    let staged: Map<string, Buffer> | undefined = new Map();
    const area = (): Map<string, Buffer> => {
      if (staged === undefined) throw new Error('the staging area was installed or discarded');
      return staged;
    };
    return {
      add: async (entries) => {
        const into = area();
        for (const e of entries) into.set(e.key, Buffer.from(e.value));
      },
      install: async (ops) => {
        const next = area();
        staged = undefined;
        const previous = new Map(this.entries);
        this.entries.clear();
        for (const [key, value] of next) this.entries.set(key, value);
        try {
          await this.transaction(ops);
        } catch (err) {
          this.entries.clear();
          for (const [key, value] of previous) this.entries.set(key, value);
          throw err;
        }
      },
      discard: async () => {
        staged = undefined;
      },
    };
  }

  async close(): Promise<void> {}

  private keysUnder(prefix: string): string[] {
    return [...this.entries.keys()].filter((k) => k.startsWith(prefix));
  }
}
