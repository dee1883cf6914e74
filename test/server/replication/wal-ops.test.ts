import { expect } from 'chai';
import { layout } from '../../../server/core/storage-layout.js';
import type { StorageOp } from '../../../server/storage/backend.js';
import { DR_KEYSET, performanceKeyset } from '../../../server/replication/keyset.js';
import { leafDigest } from '../../../server/replication/merkle-index.js';
import { STATE_KEY } from '../../../server/replication/replication-state.js';
import { decodeWalEntry, numberWalEntry } from '../../../server/replication/wal-entry.js';
import { digestOf, logged, opIncluded, toWalOps, touchesReplicated } from '../../../server/replication/wal-ops.js';

describe('wal-ops', () => {
  const replicated = `${layout.mountData('3f1c', false)}data/app`;
  const clusterLocal = `${layout.tokens}id/abc`;

  it('opIncluded: a key by the keyset, a prefix delete by its prefix', () => {
    expect(opIncluded(DR_KEYSET, { op: 'put', key: replicated, value: Buffer.from('v') })).to.equal(true);
    expect(opIncluded(performanceKeyset(), { op: 'delete', key: clusterLocal })).to.equal(false);
    expect(opIncluded(DR_KEYSET, { op: 'delete', key: clusterLocal })).to.equal(true);
    expect(opIncluded(DR_KEYSET, { op: 'delete-prefix', prefix: STATE_KEY })).to.equal(false);
  });

  it('toWalOps: drops bookkeeping, keeps cluster-local ops for DR, and gives each put its Merkle digests once', () => {
    const value = Buffer.from([0, 1, 2, 255]);
    const put: StorageOp = { op: 'put', key: replicated, value };
    const ops: StorageOp[] = [put, { op: 'put', key: STATE_KEY, value }, { op: 'delete', key: clusterLocal }];
    const digests = new Map<StorageOp, Buffer>();
    const wal = toWalOps(ops, digests);
    expect(wal.map((op) => (op.op === 'delete-prefix' ? op.prefix : op.key))).to.deep.equal([replicated, clusterLocal]);
    const walPut = wal[0];
    if (walPut?.op !== 'put') throw new Error('expected a put first');
    expect(walPut.digest?.equals(leafDigest(replicated, value))).to.equal(true);
    expect(digests.get(put)?.equals(leafDigest(replicated, value))).to.equal(true);
    expect(digests.size).to.equal(1);
  });

  it('toWalOps passes on the digests an applied put came with instead of hashing again', () => {
    const carried = Buffer.alloc(16, 7);
    const put = { op: 'put', key: replicated, value: Buffer.from('v'), digest: carried } as StorageOp;
    expect(digestOf(put)).to.equal(carried);
    const [walPut] = toWalOps([put], new Map());
    expect(walPut?.op === 'put' ? walPut.digest : undefined).to.equal(carried);
  });

  it('logged: the entry of the ops that travel, not numbered yet, with their digests; none for bookkeeping alone', () => {
    const put: StorageOp = { op: 'put', key: replicated, value: Buffer.from('v') };
    const write = logged([put, { op: 'put', key: STATE_KEY, value: Buffer.from('s') }], 4);
    expect(write.digests.get(put)).to.deep.equal(leafDigest(replicated, Buffer.from('v')));
    expect(write.walOps.map((op) => (op.op === 'delete-prefix' ? op.prefix : op.key))).to.deep.equal([replicated]);
    expect(decodeWalEntry(numberWalEntry(write.entry as NonNullable<typeof write.entry>, 9))).to.include({ index: 9, epoch: 4 });
    expect(logged([{ op: 'put', key: STATE_KEY, value: Buffer.from('s') }], 4).entry).to.equal(undefined);
  });

  it('touchesReplicated: only ops a performance secondary receives', () => {
    expect(
      touchesReplicated([
        { op: 'delete', key: clusterLocal },
        { op: 'put', key: STATE_KEY, value: Buffer.from('s') },
      ]),
    ).to.equal(false);
    expect(
      touchesReplicated([
        { op: 'delete', key: clusterLocal },
        { op: 'delete', key: replicated },
      ]),
    ).to.equal(true);
  });
});
