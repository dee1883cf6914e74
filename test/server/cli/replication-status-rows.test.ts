import { expect } from 'chai';
import { formatProgressBar, replicationStatusRows } from '../../../server/cli/replication-status-rows.js';

describe('cli replication-status-rows', () => {
  it('draws a proportional progress bar with counts', () => {
    expect(formatProgressBar(250, 1000, 20)).to.equal('[#####---------------] 25% (250/1000 keys)');
    expect(formatProgressBar(1000, 1000, 4)).to.equal('[####] 100% (1000/1000 keys)');
  });

  it('clamps a progress count beyond the total', () => {
    expect(formatProgressBar(12, 10, 4)).to.equal('[####] 100% (12/10 keys)');
  });

  it('shows waiting while the sync has no total yet', () => {
    expect(formatProgressBar(0, 0, 4)).to.equal('[----] waiting');
  });

  it('shows mode and state of the single-block (0.7) shape', () => {
    const rows = new Map(replicationStatusRows({ data: { mode: 'primary', state: 'running', last_wal: 7 } }));
    expect(rows.get('Replication Mode')).to.equal('primary');
    expect(rows.get('Replication State')).to.equal('running');
    expect(rows.get('Replication Last WAL')).to.equal('7');
    expect(rows.has('Replication Sync Progress')).to.equal(false);
  });

  it('shows a progress bar for a secondary in merkle-sync', () => {
    const rows = new Map(
      replicationStatusRows({
        data: { mode: 'secondary', state: 'merkle-sync', merkle_sync_progress: { sync_total_keys: 200, sync_progress: 50 } },
      }),
    );
    expect(rows.get('Replication Sync Progress')).to.match(/^\[#+-+\] 25% \(50\/200 keys\)$/);
  });

  it('shows a progress bar for a bootstrapping secondary even before it is sized', () => {
    const rows = new Map(replicationStatusRows({ data: { mode: 'bootstrapping' } }));
    expect(rows.get('Replication Sync Progress')).to.match(/waiting$/);
  });

  it('labels each type of the per-type shape', () => {
    const rows = new Map(replicationStatusRows({ data: { performance: { mode: 'secondary', state: 'stream-wals' }, dr: { mode: 'disabled' } } }));
    expect(rows.get('Performance Replication Mode')).to.equal('secondary');
    expect(rows.get('Performance Replication State')).to.equal('stream-wals');
    expect(rows.get('DR Replication Mode')).to.equal('disabled');
  });

  it('shows nothing for a body without replication fields', () => {
    expect(replicationStatusRows({ data: {} })).to.deep.equal([]);
  });
});
