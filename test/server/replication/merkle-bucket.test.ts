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
});
