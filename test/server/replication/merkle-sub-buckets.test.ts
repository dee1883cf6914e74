import { expect } from 'chai';
import { DR_KEYSET } from '../../../server/replication/keyset.js';
import { KeysetMerkle } from '../../../server/replication/keyset-merkle.js';
import { answerSubBuckets, answerSubLeaves, subBucketBits } from '../../../server/replication/merkle-sub-buckets.js';

describe('merkle sub-buckets: the third level on the wire', () => {
  const merkle = new KeysetMerkle();
  for (let i = 0; i < 2000; i++) merkle.put(`core/k${i}`, Buffer.from(`v${i}`));

  it('splits buckets finer as the keyspace grows: about 2·√(keys a bucket) sub-buckets, none below 16 a bucket, at most 256', () => {
    expect(subBucketBits(0)).to.equal(0);
    expect(subBucketBits(16 * 256 - 1)).to.equal(0);
    expect(subBucketBits(16 * 256)).to.equal(3);
    expect(subBucketBits(10_000)).to.equal(4);
    expect(subBucketBits(100_000)).to.equal(5);
    expect(subBucketBits(1_000_000)).to.equal(7);
    expect(subBucketBits(100_000_000)).to.equal(8);
  });

  it('answers the digests and leaves asked for, with repeated and unordered ids taken once in order', () => {
    const digests = answerSubBuckets(merkle, DR_KEYSET, { buckets: [9, 3, 9], bits: 2 });
    expect(digests.status).to.equal(200);
    if (digests.status === 200) expect(digests.body.equals(merkle.subBucketDigests(DR_KEYSET, [3, 9], 2))).to.equal(true);
    const leaves = answerSubLeaves(merkle, DR_KEYSET, { sub_buckets: [1023, 0, 12, 0], bits: 2 });
    expect(leaves.status).to.equal(200);
    if (leaves.status === 200) expect(leaves.body.equals(merkle.subLeafDigests(DR_KEYSET, 2, [0, 12, 1023]))).to.equal(true);
  });

  it('refuses malformed requests with a 400 and a message', () => {
    const badDigests: unknown[] = [
      null,
      'buckets',
      {},
      { buckets: [1] },
      { buckets: [1], bits: 9 },
      { buckets: [1], bits: -1 },
      { buckets: [1], bits: 1.5 },
      { buckets: [256], bits: 2 },
      { buckets: [-1], bits: 2 },
      { buckets: ['1'], bits: 2 },
      { buckets: 1, bits: 2 },
      { buckets: Array.from({ length: 257 }, () => 0), bits: 2 },
    ];
    for (const body of badDigests) {
      const answer = answerSubBuckets(merkle, DR_KEYSET, body);
      expect(answer.status, JSON.stringify(body)).to.equal(400);
      if (answer.status === 400) expect(answer.errors[0]).to.match(/^merkle: (bits|buckets) /);
    }
    const badLeaves: unknown[] = [
      null,
      { sub_buckets: [0] },
      { sub_buckets: [1024], bits: 2 },
      { sub_buckets: [0.5], bits: 2 },
      { sub_buckets: {}, bits: 2 },
      { bits: 2 },
    ];
    for (const body of badLeaves) expect(answerSubLeaves(merkle, DR_KEYSET, body).status, JSON.stringify(body)).to.equal(400);
  });
});
