import { expect } from 'chai';
import { DR_KEYSET, performanceKeyset } from '../../../server/replication/keyset.js';
import { decodeWalEntry, encodeWalEntry } from '../../../server/replication/wal-entry.js';
import { filterWalEntry, isReplicatedOnly } from '../../../server/replication/wal-entry-filter.js';
import type { WalOp } from '../../../server/replication/wal-storage.js';

const ops: WalOp[] = [
  { op: 'put', key: 'logical/eu/data/a', value: Buffer.from('A') },
  { op: 'put', key: 'local/token/id/t', value: Buffer.from('T') },
  { op: 'delete', key: 'logical/us/data/b' },
  { op: 'delete-prefix', prefix: 'logical/eu/' },
  { op: 'delete-prefix', prefix: 'local/expiration/' },
];
const stored = (entryOps: WalOp[]) => ({ index: 7, bytes: encodeWalEntry({ index: 7, epoch: 2, ops: entryOps }) });

describe('WAL entries as each secondary receives them', () => {
  it('sends a DR secondary the entry as stored (the same bytes)', () => {
    const entry = stored(ops);
    expect(filterWalEntry(entry, DR_KEYSET)).to.equal(entry.bytes);
  });

  it('leaves tokens and leases out for a performance secondary, keeping the index', () => {
    const sent = decodeWalEntry(filterWalEntry(stored(ops), performanceKeyset()));
    expect(sent.index).to.equal(7);
    expect(sent.epoch).to.equal(2);
    expect(sent.ops).to.deep.equal([ops[0], ops[2], ops[3]]);
  });

  it('leaves a filtered mount out, and still sends an entry left empty (the position moves on)', () => {
    const keyset = performanceKeyset({ mode: 'deny', prefixes: ['logical/eu/'] });
    expect(decodeWalEntry(filterWalEntry(stored(ops), keyset)).ops).to.deep.equal([ops[2]]);
    const onlyEu = stored([ops[0] as WalOp]);
    expect(decodeWalEntry(filterWalEntry(onlyEu, keyset))).to.deep.equal({ index: 7, epoch: 2, ops: [] });
  });

  it('knows when an entry is whole for an unfiltered performance secondary (sent without decoding)', () => {
    expect(isReplicatedOnly([ops[0] as WalOp, ops[2] as WalOp])).to.equal(true);
    expect(isReplicatedOnly(ops)).to.equal(false);
    const whole = { ...stored([ops[0] as WalOp]), replicatedOnly: true };
    expect(filterWalEntry(whole, performanceKeyset())).to.equal(whole.bytes);
  });
});
