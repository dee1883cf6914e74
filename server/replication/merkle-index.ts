import { createHash } from 'node:crypto';

/** Number of buckets in the tree's lower level; a key's bucket is the first byte of sha256(key). */
export const MERKLE_BUCKETS = 256;

function leafHash(key: string, value: Buffer): Buffer {
  return createHash('sha256').update(key, 'utf8').update(Buffer.from([0])).update(value).digest();
}

function bucketOf(key: string): number {
  return createHash('sha256').update(key, 'utf8').digest()[0] as number;
}

/**
 * A two-level Merkle index over the replicated keyspace as stored (ciphertexts): leaves are
 * hashes of key and encrypted value, each bucket hashes the XOR of its leaves, and the root
 * hashes the buckets. Equal roots mean equal replicated state. Bucket hashes let two clusters
 * find the differing keys in two round trips.
 */
export class MerkleIndex {
  private readonly leaves = new Map<string, Buffer>();
  private readonly buckets: Buffer[] = Array.from({ length: MERKLE_BUCKETS }, () => Buffer.alloc(32));
  private rootCache: string | undefined;

  get size(): number {
    return this.leaves.size;
  }

  put(key: string, value: Buffer): void {
    this.remove(key);
    const leaf = leafHash(key, value);
    this.leaves.set(key, leaf);
    xorInto(this.buckets[bucketOf(key)] as Buffer, leaf);
    this.rootCache = undefined;
  }

  remove(key: string): void {
    const old = this.leaves.get(key);
    if (old === undefined) return;
    this.leaves.delete(key);
    xorInto(this.buckets[bucketOf(key)] as Buffer, old);
    this.rootCache = undefined;
  }

  removePrefix(prefix: string): void {
    for (const key of [...this.leaves.keys()]) if (key.startsWith(prefix)) this.remove(key);
  }

  clear(): void {
    this.leaves.clear();
    for (const b of this.buckets) b.fill(0);
    this.rootCache = undefined;
  }

  /** 40 hex characters, like Vault's `merkle_root`. */
  root(): string {
    if (this.rootCache === undefined) {
      const h = createHash('sha1');
      for (const b of this.buckets) h.update(b);
      this.rootCache = h.digest('hex');
    }
    return this.rootCache;
  }

  bucketHashes(): string[] {
    return this.buckets.map((b) => b.toString('hex'));
  }

  /** Keys and leaf hashes of the given buckets. */
  leavesOf(bucketIds: ReadonlySet<number>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, leaf] of this.leaves) if (bucketIds.has(bucketOf(key))) out[key] = leaf.toString('hex');
    return out;
  }
}

function xorInto(target: Buffer, value: Buffer): void {
  for (let i = 0; i < target.length; i++) target[i] = (target[i] as number) ^ (value[i] as number);
}
