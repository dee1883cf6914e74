import { createHash, hash } from 'node:crypto';
import { MerkleBucket } from './merkle-bucket.js';

/** Number of buckets in the tree's lower level; a key's bucket is the first byte of sha256(key). */
export const MERKLE_BUCKETS = 256;

export const BUCKET_DIGEST_BYTES = 16;
export const KEY_DIGEST_BYTES = 8;
export const LEAF_DIGEST_BYTES = 8;
export const SUB_BUCKET_DIGEST_BYTES = 8;
/** A bucket splits into at most 2^8 sub-buckets (the key digest's second byte). */
export const MAX_SUB_BUCKET_BITS = 8;

/** A short, stable name for a key on the wire (collisions over 8 bytes are negligible here). */
export function keyDigest(key: string): Buffer {
  return Buffer.from(hash('sha256', key, 'hex').slice(0, KEY_DIGEST_BYTES * 2), 'hex');
}

/**
 * The first 8 bytes of a hex digest as two 32-bit words. Digests go through one-shot `hash` to hex:
 * a `Hash` object and a `Buffer` per digest (two per key when the index is built from a million
 * keys) left about 30 MB of native memory per million digests with the process for good.
 */
function words(hex: string): [number, number] {
  return [parseInt(hex.slice(0, 8), 16), parseInt(hex.slice(8, 16), 16)];
}

/** The bucket of a key: the first byte of sha256(key). */
export function keyBucket(key: string): number {
  return parseInt(hash('sha256', key, 'hex').slice(0, 2), 16);
}

/** sha256(key) as words: the key digest. */
function keyWords(key: string): [number, number] {
  return words(hash('sha256', key, 'hex'));
}

/** Values up to this size are hashed in one shot from a pooled copy; larger ones streamed. */
const ONE_SHOT_BYTES = 2048;

/** The first 8 bytes of sha256(key, 0, value) as words: what a leaf contributes to its bucket. */
function leafWords(key: string, value: Buffer): [number, number] {
  if (value.length > ONE_SHOT_BYTES) return words(createHash('sha256').update(key, 'utf8').update(ZERO).update(value).digest('hex'));
  return words(hash('sha256', Buffer.concat([Buffer.from(key, 'utf8'), ZERO, value]), 'hex'));
}
const ZERO = Buffer.from([0]);

/**
 * What `put` hashes of a key and its stored value, as 16 bytes: the key digest's 8 bytes, then the
 * leaf digest's. A primary computes it once for a WAL put and sends it with the entry, so its
 * secondaries index the put without hashing again (`put`'s `digest`).
 */
export function leafDigest(key: string, value: Buffer): Buffer {
  const out = Buffer.allocUnsafe(KEY_DIGEST_BYTES + LEAF_DIGEST_BYTES);
  const [hi, lo] = keyWords(key);
  const [leafHi, leafLo] = leafWords(key, value);
  out.writeUInt32BE(hi, 0);
  out.writeUInt32BE(lo, 4);
  out.writeUInt32BE(leafHi, 8);
  out.writeUInt32BE(leafLo, 12);
  return out;
}

/**
 * The key digests (hex) whose leaves differ between two `leafDigests` answers for the same buckets
 * (changed, or present on one side only): one merge walk over the two sorted buffers, no per-key
 * objects for the keys that agree (a diff touching every bucket reads the whole keyspace's leaves).
 */
export function differingKeyDigests(a: Buffer, b: Buffer): string[] {
  const step = KEY_DIGEST_BYTES + LEAF_DIGEST_BYTES;
  const out: string[] = [];
  const name = (raw: Buffer, at: number) => raw.toString('hex', at, at + KEY_DIGEST_BYTES);
  let i = 0;
  let j = 0;
  while (i + step <= a.length || j + step <= b.length) {
    if (j + step > b.length) {
      out.push(name(a, i));
      i += step;
      continue;
    }
    if (i + step > a.length) {
      out.push(name(b, j));
      j += step;
      continue;
    }
    const order = a.compare(b, j, j + KEY_DIGEST_BYTES, i, i + KEY_DIGEST_BYTES);
    if (order === 0) {
      if (a.compare(b, j + KEY_DIGEST_BYTES, j + step, i + KEY_DIGEST_BYTES, i + step) !== 0) out.push(name(a, i));
      i += step;
      j += step;
    } else if (order < 0) {
      out.push(name(a, i));
      i += step;
    } else {
      out.push(name(b, j));
      j += step;
    }
  }
  return out;
}

/**
 * A two-level Merkle index over the replicated keyspace as stored (ciphertexts): leaves are
 * hashes of key and encrypted value, each bucket hashes the XOR of its leaves, and the root
 * hashes the buckets. Equal roots mean equal replicated state. Bucket hashes, and the hashes of
 * a bucket's sub-buckets (computed on demand from its page, see `accumulateSubBuckets`), let two
 * clusters find the differing keys in three round trips (see merkle-diff.ts).
 *
 * Memory: the index keeps no key names, only 16 bytes a key (8-byte key digest, 8-byte leaf
 * digest) in 256 sorted typed-array pages, one per bucket. Names are needed only to turn differing
 * digests back into keys and to remove a prefix; the storage holds them, so callers pass the
 * candidate names they read from it (`keysWithDigests`, `removePrefix`).
 */
export class MerkleIndex {
  private readonly buckets = Array.from({ length: MERKLE_BUCKETS }, () => new MerkleBucket());
  private rootCache: string | undefined;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Bytes held by the index's pages (capacity, not just what is in use). */
  get bytes(): number {
    return this.buckets.reduce((sum, b) => sum + b.bytes, 0);
  }

  /** `digest`: `leafDigest(key, value)` when already known (a WAL put's, see wal-entry.ts). */
  put(key: string, value: Buffer, digest?: Buffer): void {
    if (digest !== undefined) return this.putWords(digest.readUInt32BE(0), digest.readUInt32BE(4), digest.readUInt32BE(8), digest.readUInt32BE(12));
    const [hi, lo] = keyWords(key);
    const [leafHi, leafLo] = leafWords(key, value);
    this.putWords(hi, lo, leafHi, leafLo);
  }

  /** `put` of a leaf whose digests were computed already (as words). */
  putWords(hi: number, lo: number, leafHi: number, leafLo: number): void {
    if ((this.buckets[hi >>> 24] as MerkleBucket).put(hi, lo, leafHi, leafLo)) this.count++;
    this.rootCache = undefined;
  }

  /** Sizes each bucket's page for `counts[bucket]` leaves at once (see KeysetMerkle.presize). */
  reserve(counts: Uint32Array): void {
    for (let i = 0; i < MERKLE_BUCKETS; i++) (this.buckets[i] as MerkleBucket).reserve(counts[i] as number);
  }

  remove(key: string): void {
    const [hi, lo] = keyWords(key);
    if ((this.buckets[hi >>> 24] as MerkleBucket).remove(hi, lo)) {
      this.count--;
      this.rootCache = undefined;
    }
  }

  /**
   * Removes the keys below `prefix`. The index has no names: `keys` are the candidates (the keys
   * the storage held below the prefix); any of them not in the index is ignored.
   */
  removePrefix(prefix: string, keys: Iterable<string>): void {
    for (const key of keys) if (key.startsWith(prefix)) this.remove(key);
  }

  clear(): void {
    for (const b of this.buckets) b.clear();
    this.count = 0;
    this.rootCache = undefined;
  }

  /** 40 hex characters, like Vault's `merkle_root`. */
  root(): string {
    if (this.rootCache === undefined) {
      const h = createHash('sha1');
      for (const b of this.buckets) h.update(b.digest());
      this.rootCache = h.digest('hex');
    }
    return this.rootCache;
  }

  /** The bucket hashes, truncated to 16 bytes each, concatenated (compact for the wire). */
  bucketDigest(): Buffer {
    return Buffer.concat(this.buckets.map((b) => b.digest().subarray(0, BUCKET_DIGEST_BYTES)));
  }

  /**
   * The leaves of the given buckets as compact digests: for each key, 8 bytes of sha256(key)
   * then 8 bytes of its leaf hash, concatenated in key-digest order. Two clusters compare these
   * without sending key names; only keys that differ are then named and fetched.
   */
  leafDigests(bucketIds: ReadonlySet<number>): Buffer {
    const ids = [...bucketIds].filter((i) => Number.isInteger(i) && i >= 0 && i < MERKLE_BUCKETS).sort((a, b) => a - b);
    return Buffer.concat(ids.map((i) => (this.buckets[i] as MerkleBucket).leaves()));
  }

  /** Adds bucket `bucket`'s sub-bucket state into `xor` and `counts` (see `MerkleBucket.accumulateSubBuckets`). */
  accumulateSubBuckets(bucket: number, bits: number, xor: Uint32Array, counts: Uint32Array): void {
    (this.buckets[bucket] as MerkleBucket).accumulateSubBuckets(bits, xor, counts);
  }

  /**
   * The leaves of the given sub-buckets, as `leafDigests` does for buckets. A sub-bucket is named
   * across the index by `bucket << bits | sub`; `ids` ascending, so the answer is in key-digest order.
   */
  subLeafDigests(bits: number, ids: readonly number[]): Buffer {
    const parts: Buffer[] = [];
    for (let i = 0; i < ids.length;) {
      const bucket = (ids[i] as number) >>> bits;
      const subs: number[] = [];
      for (; i < ids.length && (ids[i] as number) >>> bits === bucket; i++) subs.push((ids[i] as number) & ((1 << bits) - 1));
      parts.push((this.buckets[bucket] as MerkleBucket).subLeaves(bits, subs));
    }
    return Buffer.concat(parts);
  }

  /**
   * Those of `keys` (candidate names, read from storage) that are in the index and whose key
   * digests (hex) are among `digests`.
   */
  keysWithDigests(digests: ReadonlySet<string>, keys: Iterable<string>): string[] {
    const out: string[] = [];
    if (digests.size === 0) return out;
    for (const key of keys) {
      const hex = hash('sha256', key, 'hex');
      if (!digests.has(hex.slice(0, KEY_DIGEST_BYTES * 2))) continue;
      const [hi, lo] = words(hex);
      if ((this.buckets[hi >>> 24] as MerkleBucket).has(hi, lo)) out.push(key);
    }
    return out;
  }
}
