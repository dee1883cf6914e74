import { expect } from 'chai';
import { DR_KEYSET, performanceKeyset } from '../../../server/replication/keyset.js';
import { KeysetMerkle } from '../../../server/replication/keyset-merkle.js';
import {
  differingKeyDigests,
  KEY_DIGEST_BYTES,
  keyDigest,
  LEAF_DIGEST_BYTES,
  MERKLE_BUCKETS,
  SUB_BUCKET_DIGEST_BYTES,
} from '../../../server/replication/merkle-index.js';

const v = (s: string) => Buffer.from(s);
const allBuckets = new Set(Array.from({ length: MERKLE_BUCKETS }, (_, i) => i));

/** Puts the same keys into a fresh index. */
function indexOf(keys: readonly string[]): KeysetMerkle {
  const m = new KeysetMerkle();
  for (const k of keys) m.put(k, v(`value of ${k}`));
  return m;
}

describe('KeysetMerkle: one Merkle view per keyset over per-region indexes', () => {
  const core = ['core/mounts', 'core/policy/reader', 'identity/entity/1'];
  const eu = ['logical/eu/data/a', 'logical/eu/data/b'];
  const us = ['logical/us/data/a', 'auth/up/user/alice'];
  const local = ['local/token/id/t1', 'local/expiration/id/l1'];
  const bookkeeping = ['local/replication/state', 'local/core/cluster/info'];
  const denyEu = performanceKeyset({ mode: 'deny', prefixes: ['logical/eu/'] });

  it("computes a keyset's root, buckets and leaves over exactly its keys", () => {
    const full = indexOf([...core, ...eu, ...us, ...local, ...bookkeeping]);
    // Each keyset's view equals an index that only ever held that keyset's keys.
    const cases = [
      { keyset: performanceKeyset(), keys: [...core, ...eu, ...us] },
      { keyset: denyEu, keys: [...core, ...us] },
      { keyset: DR_KEYSET, keys: [...core, ...eu, ...us, ...local] },
    ];
    for (const { keyset, keys } of cases) {
      const only = indexOf(keys);
      expect(full.root(keyset), keyset.id).to.equal(only.root(keyset));
      expect(full.bucketDigest(keyset).equals(only.bucketDigest(keyset)), keyset.id).to.equal(true);
      expect(full.leafDigests(keyset, allBuckets).equals(only.leafDigests(keyset, allBuckets)), keyset.id).to.equal(true);
      expect(full.leafDigests(keyset, allBuckets).length / (KEY_DIGEST_BYTES + LEAF_DIGEST_BYTES), keyset.id).to.equal(keys.length);
      expect(full.size(keyset), keyset.id).to.equal(keys.length);
    }
    expect(full.root(performanceKeyset())).to.not.equal(full.root(denyEu));
    expect(full.root(performanceKeyset())).to.not.equal(full.root(DR_KEYSET));
  });

  it("merges the regions' leaves into one buffer sorted by key digest, each key's record once", () => {
    const keys = ['core/', 'logical/m1/', 'logical/m2/', 'auth/a1/', 'local/token/'].flatMap((prefix) =>
      Array.from({ length: 300 }, (_, i) => `${prefix}k${i}`),
    );
    const m = indexOf(keys);
    const step = KEY_DIGEST_BYTES + LEAF_DIGEST_BYTES;
    const merged = m.leafDigests(DR_KEYSET, allBuckets);
    expect(merged.length).to.equal(keys.length * step);
    // The same records as each key indexed alone, in sorted order.
    const records = keys.map((k) => indexOf([k]).leafDigests(DR_KEYSET, allBuckets));
    expect(merged.equals(Buffer.concat(records.sort(Buffer.compare)))).to.equal(true);
    // A subset of buckets: only their records, still sorted.
    const some = new Set([0, 7, 255]);
    const part = m.leafDigests(DR_KEYSET, some);
    const expected = records.filter((r) => some.has(r[0] as number));
    expect(part.equals(Buffer.concat(expected))).to.equal(true);
  });

  it('presizes from pages of key names, then holds the same index as putting each key (bookkeeping left out)', async () => {
    const keys = [...core, ...eu, ...us, ...local, ...bookkeeping, ...Array.from({ length: 3000 }, (_, i) => `logical/us/data/bulk-${i}`)];
    const incremental = indexOf(keys);
    const rebuilt = new KeysetMerkle();
    rebuilt.put('logical/gone/data/x', v('dropped by presize'));
    async function* pages(): AsyncGenerator<string[]> {
      for (let i = 0; i < keys.length; i += 500) yield keys.slice(i, i + 500);
    }
    await rebuilt.presize(pages());
    expect(rebuilt.size()).to.equal(0);
    for (const k of keys) rebuilt.put(k, v(`value of ${k}`));
    for (const keyset of [performanceKeyset(), denyEu, DR_KEYSET]) {
      expect(rebuilt.root(keyset), keyset.id).to.equal(incremental.root(keyset));
      expect(rebuilt.leafDigests(keyset, allBuckets).equals(incremental.leafDigests(keyset, allBuckets)), keyset.id).to.equal(true);
    }
    expect(rebuilt.size()).to.equal(keys.length - bookkeeping.length);
  });

  it('matches a secondary that holds exactly the filtered keyset, and tells it which keys to delete', () => {
    const primary = indexOf([...core, ...eu, ...us, ...local]);
    const secondaryInSync = indexOf([...core, ...us]);
    expect(secondaryInSync.root(performanceKeyset())).to.equal(primary.root(denyEu));
    // A secondary still holding the newly filtered mount: its extra keys show as differing leaves.
    const stale = indexOf([...core, ...eu, ...us]);
    const extra = new Set(differingKeyDigests(primary.leafDigests(denyEu, allBuckets), stale.leafDigests(performanceKeyset(), allBuckets)));
    const stored = [...core, ...eu, ...us, ...local, ...bookkeeping];
    expect(stale.keysWithDigests(performanceKeyset(), extra, stored).sort()).to.deep.equal([...eu].sort());
    // The primary never names a filtered key.
    expect(primary.keysWithDigests(denyEu, extra, stored)).to.deep.equal([]);
  });

  it('follows removes, prefix deletes (a whole mount) and clears', () => {
    const m = indexOf([...core, ...eu, ...us]);
    const before = m.root(performanceKeyset());
    m.put('logical/eu/data/c', v('c'));
    m.remove('logical/eu/data/c');
    expect(m.root(performanceKeyset())).to.equal(before);
    m.removePrefix('logical/eu/', eu);
    expect(m.root(performanceKeyset())).to.equal(indexOf([...core, ...us]).root(performanceKeyset()));
    m.removePrefix('core/policy/', core);
    expect(m.size(performanceKeyset())).to.equal(core.length - 1 + us.length);
    m.clear();
    expect(m.size()).to.equal(0);
    expect(m.root(DR_KEYSET)).to.equal(new KeysetMerkle().root(DR_KEYSET));
  });
});

describe('KeysetMerkle: sub-bucket digests, the third level', () => {
  const keys = ['core/', 'logical/m1/', 'auth/a1/', 'local/token/'].flatMap((prefix) => Array.from({ length: 1500 }, (_, i) => `${prefix}k${i}`));
  const everyBucket = Array.from({ length: MERKLE_BUCKETS }, (_, i) => i);
  const step = KEY_DIGEST_BYTES + LEAF_DIGEST_BYTES;

  /** The global sub-bucket (`bucket << bits | sub`) of a key. */
  function subBucketOf(key: string, bits: number): number {
    const d = keyDigest(key);
    return ((d[0] as number) << bits) | ((d[1] as number) >>> (8 - bits));
  }

  /** The global sub-buckets whose digests differ between two answers for every bucket. */
  function differingSubBuckets(a: Buffer, b: Buffer): number[] {
    const out: number[] = [];
    for (let i = 0; i < a.length / SUB_BUCKET_DIGEST_BYTES; i++) {
      const at = i * SUB_BUCKET_DIGEST_BYTES;
      if (a.compare(b, at, at + SUB_BUCKET_DIGEST_BYTES, at, at + SUB_BUCKET_DIGEST_BYTES) !== 0) out.push(i);
    }
    return out;
  }

  it('gives equal keysets equal sub-bucket digests, whatever the insertion order and the keys outside the keyset', () => {
    const full = indexOf([...keys, 'local/replication/state']);
    const reversed = indexOf([...keys].reverse());
    for (const bits of [0, 1, 4, 8]) {
      for (const keyset of [performanceKeyset(), DR_KEYSET, performanceKeyset({ mode: 'deny', prefixes: ['logical/m1/'] })]) {
        const inKeyset = keys.filter((k) => keyset.includes(k));
        const a = full.subBucketDigests(keyset, everyBucket, bits);
        expect(a.length, `${bits}`).to.equal(MERKLE_BUCKETS * (1 << bits) * SUB_BUCKET_DIGEST_BYTES);
        expect(a.equals(reversed.subBucketDigests(keyset, everyBucket, bits)), `${bits} ${keyset.id}`).to.equal(true);
        expect(a.equals(indexOf(inKeyset).subBucketDigests(keyset, everyBucket, bits)), `${bits} ${keyset.id}`).to.equal(true);
      }
    }
  });

  it('changes exactly the sub-bucket of a key that is changed, added or deleted, and only that one', () => {
    const keyset = DR_KEYSET;
    for (const bits of [0, 3, 7, 8]) {
      const base = indexOf(keys);
      const before = base.subBucketDigests(keyset, everyBucket, bits);
      const changes: Array<[string, (m: KeysetMerkle) => void]> = [
        ['logical/m1/k7', (m) => m.put('logical/m1/k7', v('rotated'))],
        ['auth/a1/new', (m) => m.put('auth/a1/new', v('added'))],
        ['core/k1499', (m) => m.remove('core/k1499')],
        ['local/token/k3', (m) => m.remove('local/token/k3')],
      ];
      for (const [key, change] of changes) {
        const m = indexOf(keys);
        change(m);
        expect(differingSubBuckets(before, m.subBucketDigests(keyset, everyBucket, bits)), `${key} at ${bits} bits`).to.deep.equal([subBucketOf(key, bits)]);
      }
    }
  });

  it('answers zeros for empty sub-buckets and buckets, and only the buckets asked for', () => {
    expect(new KeysetMerkle().subBucketDigests(DR_KEYSET, everyBucket, 8).equals(Buffer.alloc(MERKLE_BUCKETS * 256 * SUB_BUCKET_DIGEST_BYTES))).to.equal(true);
    const one = indexOf(['core/only']);
    const all = one.subBucketDigests(DR_KEYSET, everyBucket, 8);
    expect(differingSubBuckets(all, Buffer.alloc(all.length))).to.deep.equal([subBucketOf('core/only', 8)]);
    const m = indexOf(keys);
    const some = [0, 9, 255];
    const part = m.subBucketDigests(DR_KEYSET, some, 5);
    const whole = m.subBucketDigests(DR_KEYSET, everyBucket, 5);
    const width = 32 * SUB_BUCKET_DIGEST_BYTES;
    expect(part.equals(Buffer.concat(some.map((b) => whole.subarray(b * width, (b + 1) * width))))).to.equal(true);
    expect(m.subBucketDigests(DR_KEYSET, [], 5).length).to.equal(0);
  });

  it("answers a sub-bucket's leaves as the records of exactly its keys, sorted, across regions and bucket boundaries", () => {
    const m = indexOf(keys);
    const all = m.leafDigests(DR_KEYSET, new Set(everyBucket));
    for (const bits of [0, 2, 8]) {
      // The first and last sub-bucket of each of a few buckets, and a run across a bucket boundary.
      const limit = MERKLE_BUCKETS << bits;
      const ids = [...new Set([0, (1 << bits) - 1, 1 << bits, (5 << bits) + ((1 << bits) >>> 1), limit - 2, limit - 1])].sort((a, b) => a - b);
      const wanted = new Set(ids);
      const expected: Buffer[] = [];
      for (let at = 0; at < all.length; at += step) {
        const r = all.subarray(at, at + step);
        if (wanted.has(((r[0] as number) << bits) | ((r[1] as number) >>> (8 - bits)))) expected.push(r);
      }
      expect(m.subLeafDigests(DR_KEYSET, bits, ids).equals(Buffer.concat(expected)), `${bits} bits`).to.equal(true);
    }
    expect(m.subLeafDigests(DR_KEYSET, 8, []).length).to.equal(0);
  });
});
