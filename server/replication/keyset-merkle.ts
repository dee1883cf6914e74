import { createHash, hash } from 'node:crypto';
import { classify, CLUSTER_LOCAL_REGION, CORE_REGION, type Keyset } from './keyset.js';
import { BUCKET_DIGEST_BYTES, KEY_DIGEST_BYTES, keyBucket, LEAF_DIGEST_BYTES, MERKLE_BUCKETS, MerkleIndex, SUB_BUCKET_DIGEST_BYTES } from './merkle-index.js';

/** The one place region indexes are made. */
function createRegionIndex(): MerkleIndex {
  return new MerkleIndex();
}

/**
 * The Merkle index of every key that can travel, kept as one `MerkleIndex` per region
 * (cluster-local keys, core replicated state, each replicated mount's data) so that any keyset's
 * root, bucket digests and leaf digests are computed over exactly its keys: a keyset's bucket
 * digest is the XOR of its regions' (bucket hashes are XORs of leaves), and its root hashes the
 * roots of its non-empty regions in region order. Bookkeeping keys are never indexed.
 */
export class KeysetMerkle {
  private readonly regions = new Map<string, MerkleIndex>();

  /** Keys indexed in the regions `keyset` includes (every region when omitted). */
  size(keyset?: Keyset): number {
    let n = 0;
    for (const [region, index] of this.regions) if (keyset === undefined || keyset.includesRegion(region)) n += index.size;
    return n;
  }

  /** `digest`: `leafDigest(key, value)` when already known. */
  put(key: string, value: Buffer, digest?: Buffer): void {
    const place = classify(key);
    if (place.keyClass === 'bookkeeping') return;
    let index = this.regions.get(place.region);
    if (index === undefined) this.regions.set(place.region, (index = createRegionIndex()));
    index.put(key, value, digest);
  }

  remove(key: string): void {
    const place = classify(key);
    if (place.keyClass === 'bookkeeping') return;
    const index = this.regions.get(place.region);
    index?.remove(key);
    if (index?.size === 0 && place.region !== CORE_REGION) this.regions.delete(place.region);
  }

  /** `keys`: the keys storage held below the prefix (the indexes keep no names). */
  removePrefix(prefix: string, keys: Iterable<string>): void {
    if (prefix === '') return this.clear();
    const candidates = [...keys];
    for (const [region, index] of [...this.regions]) {
      if (region !== CORE_REGION && region.startsWith(prefix)) this.regions.delete(region);
      else if (region === CORE_REGION || prefix.startsWith(region)) {
        index.removePrefix(prefix, candidates);
        if (index.size === 0 && region !== CORE_REGION) this.regions.delete(region);
      }
    }
  }

  clear(): void {
    this.regions.clear();
  }

  /**
   * Empties the index and sizes each region's bucket pages for the keys of `pages` (every key of
   * storage, names only, page by page), so that putting them afterwards allocates each page once.
   * Growing 256 pages a key at a time through a million keys freed and reallocated pages of every
   * size on the way, and the process kept the fragments (tens of MB of native memory at 1M keys).
   */
  async presize(pages: AsyncIterable<readonly string[]>): Promise<void> {
    const counts = new Map<string, Uint32Array>();
    for await (const page of pages) {
      for (const key of page) {
        const place = classify(key);
        if (place.keyClass === 'bookkeeping') continue;
        let c = counts.get(place.region);
        if (c === undefined) counts.set(place.region, (c = new Uint32Array(MERKLE_BUCKETS)));
        const bucket = keyBucket(key);
        c[bucket] = (c[bucket] as number) + 1;
      }
    }
    this.regions.clear();
    for (const [region, c] of counts) {
      const index = createRegionIndex();
      index.reserve(c);
      this.regions.set(region, index);
    }
  }

  /** 40 hex characters, like Vault's `merkle_root`: equal roots mean equal keysets. */
  root(keyset: Keyset): string {
    const h = createHash('sha1');
    for (const [region, index] of this.included(keyset)) h.update(region).update('\0').update(index.root()).update('\n');
    return h.digest('hex');
  }

  /** The keyset's bucket digests (each the XOR of its regions' truncated bucket hashes), concatenated. */
  bucketDigest(keyset: Keyset): Buffer {
    const out = new Uint32Array((MERKLE_BUCKETS * BUCKET_DIGEST_BYTES) / 4);
    for (const [, index] of this.included(keyset)) xorWords(out, index.bucketDigest());
    return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  }

  /** As `MerkleIndex.leafDigests`, over the keyset's keys only (in key-digest order). */
  leafDigests(keyset: Keyset, bucketIds: ReadonlySet<number>): Buffer {
    return mergeLeaves(this.included(keyset).map(([, index]) => index.leafDigests(bucketIds)));
  }

  /**
   * The third Merkle level, computed on demand from the bucket pages (nothing stored): for each of
   * `bucketIds` (ascending), the digests of its 2^bits sub-buckets, 8 bytes each. A sub-bucket holds
   * the keys whose key digest continues the bucket's byte with `sub` in its next `bits` bits; its
   * digest is the first 8 bytes of sha256(XOR of its leaf digests over the keyset's regions, leaf
   * count), or zeros when it is empty. Two clusters then compare only the leaves of sub-buckets that differ.
   */
  subBucketDigests(keyset: Keyset, bucketIds: readonly number[], bits: number): Buffer {
    const subs = 1 << bits;
    const out = Buffer.alloc(bucketIds.length * subs * SUB_BUCKET_DIGEST_BYTES);
    const indexes = this.included(keyset).map(([, index]) => index);
    const xor = new Uint32Array(subs * 2);
    const counts = new Uint32Array(subs);
    const state = Buffer.alloc(12);
    bucketIds.forEach((bucket, b) => {
      xor.fill(0);
      counts.fill(0);
      for (const index of indexes) index.accumulateSubBuckets(bucket, bits, xor, counts);
      for (let sub = 0; sub < subs; sub++) {
        if (counts[sub] === 0) continue;
        state.writeUInt32BE(xor[sub * 2] as number, 0);
        state.writeUInt32BE(xor[sub * 2 + 1] as number, 4);
        state.writeUInt32BE(counts[sub] as number, 8);
        hash('sha256', state, 'buffer').copy(out, (b * subs + sub) * SUB_BUCKET_DIGEST_BYTES, 0, SUB_BUCKET_DIGEST_BYTES);
      }
    });
    return out;
  }

  /** As `MerkleIndex.subLeafDigests` (sub-buckets named `bucket << bits | sub`, ascending), over the keyset's keys only. */
  subLeafDigests(keyset: Keyset, bits: number, ids: readonly number[]): Buffer {
    return mergeLeaves(this.included(keyset).map(([, index]) => index.subLeafDigests(bits, ids)));
  }

  /** Those of `keys` (candidate names from storage) in the keyset's indexes whose key digests (hex) are among `digests`. */
  keysWithDigests(keyset: Keyset, digests: ReadonlySet<string>, keys: readonly string[]): string[] {
    return this.included(keyset).flatMap(([region, index]) =>
      index.keysWithDigests(
        digests,
        keys.filter((key) => classify(key).region === region),
      ),
    );
  }

  /** Root per region (`cluster-local`, `core`, or the mount data prefix), for status and tests. */
  regionRoots(keyset: Keyset): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [region, index] of this.included(keyset)) out[regionName(region)] = index.root();
    return out;
  }

  /** Non-empty regions of the keyset, in region order. */
  private included(keyset: Keyset): [string, MerkleIndex][] {
    return [...this.regions].filter(([region, index]) => index.size > 0 && keyset.includesRegion(region)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }
}

const LEAF_RECORD = KEY_DIGEST_BYTES + LEAF_DIGEST_BYTES;

/**
 * One sorted buffer of leaf records from the regions' sorted ones: a merge that copies records
 * (runs of them) straight into the output. No object per leaf: at 1M keys a diff touching every
 * bucket otherwise made a million Buffer views, about 100 MB of heap that stayed with the process.
 */
function mergeLeaves(sorted: readonly Buffer[]): Buffer {
  const sources = sorted.filter((b) => b.length >= LEAF_RECORD);
  if (sources.length === 0) return Buffer.alloc(0);
  if (sources.length === 1) return sources[0] as Buffer;
  const out = Buffer.allocUnsafe(sources.reduce((n, b) => n + b.length - (b.length % LEAF_RECORD), 0));
  const at = sources.map(() => 0);
  let written = 0;
  for (;;) {
    let min = -1;
    for (let s = 0; s < sources.length; s++) {
      const src = sources[s] as Buffer;
      const i = at[s] as number;
      if (i + LEAF_RECORD > src.length) continue;
      if (min === -1) {
        min = s;
        continue;
      }
      const m = sources[min] as Buffer;
      const j = at[min] as number;
      if (src.compare(m, j, j + LEAF_RECORD, i, i + LEAF_RECORD) < 0) min = s;
    }
    if (min === -1) break;
    const i = at[min] as number;
    written += (sources[min] as Buffer).copy(out, written, i, i + LEAF_RECORD);
    at[min] = i + LEAF_RECORD;
  }
  return out;
}

/** XORs `digest` into `out` a 32-bit word at a time (the byte order is the same on both sides). */
function xorWords(out: Uint32Array, digest: Buffer): void {
  const aligned = digest.byteOffset % 4 === 0 ? digest : Buffer.from(digest);
  const words = new Uint32Array(aligned.buffer, aligned.byteOffset, out.length);
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) ^ (words[i] as number);
}

function regionName(region: string): string {
  return region === CORE_REGION ? 'core' : region === CLUSTER_LOCAL_REGION ? 'cluster-local' : region;
}
