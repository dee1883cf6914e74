import { expect } from 'chai';
import { WAL_PREFIX, walKey, walRetentionTrim } from '../../../server/replication/wal-retention.js';

describe('walRetentionTrim', () => {
  it('trims nothing until a batch of entries is past the retention', () => {
    expect(walRetentionTrim(1, 16_384 + 100, 16_384)).to.deep.equal({ ops: [], newFirst: 1 });
    expect(walRetentionTrim(0, 99_999, 100)).to.deep.equal({ ops: [], newFirst: 0 });
  });

  it('deletes whole aligned blocks of 100 entries with one prefix delete each, keeping at least the retention', () => {
    const { ops, newFirst } = walRetentionTrim(1, 16_384 + 300, 16_384);
    expect(newFirst).to.equal(300);
    expect(ops).to.deep.equal([
      { op: 'delete-prefix', prefix: walKey(0).slice(0, -2) },
      { op: 'delete-prefix', prefix: walKey(100).slice(0, -2) },
      { op: 'delete-prefix', prefix: walKey(200).slice(0, -2) },
    ]);
    // Each prefix covers exactly its 100 keys: walKey(199) is in the second block, walKey(200) is not.
    const second = (ops[1] as { prefix: string }).prefix;
    expect(walKey(199).startsWith(second)).to.equal(true);
    expect(walKey(200).startsWith(second)).to.equal(false);
    expect(second.startsWith(WAL_PREFIX)).to.equal(true);
    expect(16_384 + 300 - newFirst + 1).to.be.at.least(16_384);
  });

  it('deletes single keys when the retention is tiny', () => {
    expect(walRetentionTrim(1, 10, 4)).to.deep.equal({
      ops: [1, 2, 3, 4, 5, 6].map((i) => ({ op: 'delete', key: walKey(i) })),
      newFirst: 7,
    });
  });
});
