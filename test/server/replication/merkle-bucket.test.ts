import { expect } from 'chai';
import fc from 'fast-check';
import { MerkleBucket } from '../../../server/replication/merkle-bucket.js';

const u32 = fc.integer({ min: 0, max: 0xffffffff });

describe('MerkleBucket', () => {
  it('keeps its records sorted by key digest and its digest equal to a reference model, under random puts and removes', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 40 }), u32, u32), { maxLength: 200 }), (steps) => {
        const bucket = new MerkleBucket();
        const model = new Map<number, [number, number]>();
        for (const [isPut, key, leafHi, leafLo] of steps) {
          // Keys share their high word so the low word decides the order too.
          if (isPut) {
            expect(bucket.put(7, key * 0x01000193, leafHi, leafLo)).to.equal(!model.has(key));
            model.set(key, [leafHi, leafLo]);
          } else {
            expect(bucket.remove(7, key * 0x01000193)).to.equal(model.delete(key));
          }
        }
        const reference = new MerkleBucket();
        for (const [key, [hi, lo]] of [...model].reverse()) reference.put(7, key * 0x01000193, hi, lo);
        expect(bucket.digest().equals(reference.digest())).to.equal(true);
        const leaves = bucket.leaves();
        expect(leaves.length).to.equal(model.size * 16);
        const lows = Array.from({ length: model.size }, (_, i) => leaves.readUInt32BE(i * 16 + 4));
        expect(lows).to.deep.equal([...lows].sort((a, b) => a - b));
      }),
    );
  });

  it('orders by the high word first, compared unsigned', () => {
    const bucket = new MerkleBucket();
    bucket.put(0xffffffff, 0, 1, 1);
    bucket.put(0x7fffffff, 0xffffffff, 2, 2);
    bucket.put(0x80000000, 0, 3, 3);
    const leaves = bucket.leaves();
    expect([0, 1, 2].map((i) => leaves.readUInt32BE(i * 16))).to.deep.equal([0x7fffffff, 0x80000000, 0xffffffff]);
    expect(bucket.has(0x80000000, 0)).to.equal(true);
    expect(bucket.has(0x80000000, 1)).to.equal(false);
  });

  it('changes its digest with a leaf and returns to it when the leaf is restored; clear empties it', () => {
    const bucket = new MerkleBucket();
    const empty = bucket.digest();
    bucket.put(1, 2, 3, 4);
    const one = bucket.digest();
    expect(one.equals(empty)).to.equal(false);
    bucket.put(1, 2, 5, 6);
    expect(bucket.digest().equals(one)).to.equal(false);
    bucket.put(1, 2, 3, 4);
    expect(bucket.digest().equals(one)).to.equal(true);
    bucket.clear();
    expect(bucket.digest().equals(empty)).to.equal(true);
    expect(bucket.leaves().length).to.equal(0);
  });

  it('splits its leaves into sub-buckets by the bits after the bucket byte, matching a model, at every split from 0 to 8 bits', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 0xffffff }), u32, u32, u32), { maxLength: 120 }),
        fc.integer({ min: 0, max: 8 }),
        (leaves, bits) => {
          const bucket = new MerkleBucket();
          const model = new Map<string, [number, number, number, number]>();
          for (const [low24, lo, leafHi, leafLo] of leaves) {
            const hi = (0x5a000000 | low24) >>> 0;
            bucket.put(hi, lo, leafHi, leafLo);
            model.set(`${hi}:${lo}`, [hi, lo, leafHi, leafLo]);
          }
          const subs = 1 << bits;
          const xor = new Uint32Array(subs * 2);
          const counts = new Uint32Array(subs);
          bucket.accumulateSubBuckets(bits, xor, counts);
          const expectedXor = new Uint32Array(subs * 2);
          const expectedCounts = new Uint32Array(subs);
          const records = new Map<number, number>();
          for (const [hi, , leafHi, leafLo] of model.values()) {
            const sub = bits === 0 ? 0 : (hi >>> (24 - bits)) & (subs - 1);
            expectedXor[sub * 2] = (expectedXor[sub * 2] as number) ^ leafHi;
            expectedXor[sub * 2 + 1] = (expectedXor[sub * 2 + 1] as number) ^ leafLo;
            expectedCounts[sub] = (expectedCounts[sub] as number) + 1;
            records.set(sub, (records.get(sub) ?? 0) + 1);
          }
          expect([...xor]).to.deep.equal([...expectedXor]);
          expect([...counts]).to.deep.equal([...expectedCounts]);
          // The records of every other sub-bucket are exactly those keys, in key-digest order.
          const some = Array.from({ length: subs }, (_, i) => i).filter((i) => i % 2 === 0);
          const out = bucket.subLeaves(bits, some);
          const wanted = some.reduce((n, sub) => n + (records.get(sub) ?? 0), 0);
          expect(out.length).to.equal(wanted * 16);
          const all = bucket.leaves();
          const inSome = Array.from({ length: all.length / 16 }, (_, i) => all.subarray(i * 16, i * 16 + 16)).filter((r) =>
            some.includes(bits === 0 ? 0 : (r.readUInt32BE(0) >>> (24 - bits)) & (subs - 1)),
          );
          expect(out.equals(Buffer.concat(inSome))).to.equal(true);
        },
      ),
    );
  });

  it('puts the first and last key digests of a sub-bucket in it, and none of its neighbours', () => {
    const bucket = new MerkleBucket();
    // bits = 8: sub-bucket 0x41 is key digests 0x..41000000..0x..41ffffff after the bucket byte.
    bucket.put(0x0740ffff, 0xffffffff, 1, 1);
    bucket.put(0x07410000, 0, 2, 2);
    bucket.put(0x0741ffff, 0xffffffff, 3, 3);
    bucket.put(0x07420000, 0, 4, 4);
    const leaves = bucket.subLeaves(8, [0x41]);
    expect([0, 1].map((i) => leaves.readUInt32BE(i * 16 + 8))).to.deep.equal([2, 3]);
    expect(bucket.subLeaves(8, [0x40, 0x42]).length).to.equal(32);
    expect(bucket.subLeaves(8, [0x00, 0xff]).length).to.equal(0);
    expect(new MerkleBucket().subLeaves(8, [0, 0xff]).length).to.equal(0);
  });
});
