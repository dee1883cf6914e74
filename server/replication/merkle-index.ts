import { createHash } from 'node:crypto';

/** Number of buckets in the tree's lower level; a key's bucket is the first byte of sha256(key). */
export const MERKLE_BUCKETS = 256;

function leafHash(key: string, value: Buffer): Buffer {
  return createHash('sha256')
    .update(key, 'utf8')
    .update(Buffer.from([0]))
    .update(value)
    .digest();
}

export const BUCKET_DIGEST_BYTES = 16;
export const KEY_DIGEST_BYTES = 8;
export const LEAF_DIGEST_BYTES = 8;

/** A short, stable name for a key on the wire (collisions over 8 bytes are negligible here). */
export function keyDigest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest().subarray(0, KEY_DIGEST_BYTES);
}

/** Splits concatenated leaf digests into a map of key digest (hex) → leaf digest (hex). */
export function parseLeafDigests(raw: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  const step = KEY_DIGEST_BYTES + LEAF_DIGEST_BYTES;
  for (let i = 0; i + step <= raw.length; i += step) {
    out.set(raw.subarray(i, i + KEY_DIGEST_BYTES).toString('hex'), raw.subarray(i + KEY_DIGEST_BYTES, i + step).toString('hex'));
  }
  return out;
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

  /** The bucket hashes, truncated to 16 bytes each, concatenated (compact for the wire). */
  bucketDigest(): Buffer {
    return Buffer.concat(this.buckets.map((b) => b.subarray(0, BUCKET_DIGEST_BYTES)));
  }

  /**
   * The leaves of the given buckets as compact digests: for each key, 8 bytes of sha256(key)
   * then 8 bytes of its leaf hash, concatenated in key-digest order. Two clusters compare these
   * without sending key names; only keys that differ are then named and fetched.
   */
  leafDigests(bucketIds: ReadonlySet<number>): Buffer {
    const parts: Buffer[] = [];
    for (const [key, leaf] of this.leaves) {
      if (bucketIds.has(bucketOf(key))) parts.push(Buffer.concat([keyDigest(key), leaf.subarray(0, LEAF_DIGEST_BYTES)]));
    }
    parts.sort(Buffer.compare);
    return Buffer.concat(parts);
  }

  /** Local keys whose key digests (hex) are among `digests`. */
  keysWithDigests(digests: ReadonlySet<string>): string[] {
    return [...this.leaves.keys()].filter((key) => digests.has(keyDigest(key).toString('hex')));
  }
}

function xorInto(target: Buffer, value: Buffer): void {
  for (let i = 0; i < target.length; i++) target[i] = (target[i] as number) ^ (value[i] as number);
}
