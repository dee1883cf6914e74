import { expect } from 'chai';
import { DR_KEYSET, performanceKeyset } from '../../../server/replication/keyset.js';
import { filterWalEntry, isReplicatedOnly } from '../../../server/replication/wal-entry-filter.js';
import type { WalEntry, WalOp } from '../../../server/replication/wal-storage.js';

const ops: WalOp[] = [
  { op: 'put', key: 'logical/eu/data/a', value: 'QQ==' },
  { op: 'put', key: 'local/token/id/t', value: 'VA==' },
  { op: 'delete', key: 'logical/us/data/b' },
  { op: 'delete-prefix', prefix: 'logical/eu/' },
  { op: 'delete-prefix', prefix: 'local/expiration/' },
];
const stored = (entryOps: WalOp[]) => ({ index: 7, json: JSON.stringify({ index: 7, epoch: 2, ops: entryOps }) });

describe('WAL entries as each secondary receives them', () => {
  it('sends a DR secondary the entry as stored', () => {
    expect(filterWalEntry(stored(ops), DR_KEYSET)).to.equal(stored(ops).json);
  });

  it('leaves tokens and leases out for a performance secondary, keeping the index', () => {
    const sent = JSON.parse(filterWalEntry(stored(ops), performanceKeyset())) as WalEntry;
    expect(sent.index).to.equal(7);
    expect(sent.epoch).to.equal(2);
    expect(sent.ops).to.deep.equal([ops[0], ops[2], ops[3]]);
  });

  it('leaves a filtered mount out, and still sends an entry left empty (the position moves on)', () => {
    const keyset = performanceKeyset({ mode: 'deny', prefixes: ['logical/eu/'] });
    expect((JSON.parse(filterWalEntry(stored(ops), keyset)) as WalEntry).ops).to.deep.equal([ops[2]]);
    const onlyEu = stored([ops[0] as WalOp]);
    expect(JSON.parse(filterWalEntry(onlyEu, keyset))).to.deep.equal({ index: 7, epoch: 2, ops: [] });
  });

  it('knows when an entry is whole for an unfiltered performance secondary (sent without parsing)', () => {
    expect(isReplicatedOnly([ops[0] as WalOp, ops[2] as WalOp])).to.equal(true);
    expect(isReplicatedOnly(ops)).to.equal(false);
    const whole = { ...stored([ops[0] as WalOp]), replicatedOnly: true };
    expect(filterWalEntry(whole, performanceKeyset())).to.equal(whole.json);
  });
});
