import { expect } from 'chai';
import { preWipeSnapshotOf } from '../../../provider/resources/replication-secondary.js';

describe('ferry_replication_secondary pre_wipe_snapshot', () => {
  it('takes the file the activation response names in its warnings', () => {
    const response = {
      warnings: [
        'activation wipes this cluster',
        'a snapshot of this cluster as it was before the wipe was saved to /var/lib/ferry/pre-wipe/ferry-pre-wipe-2026-11-28T09-00-00-000Z.snap; to undo the activation: …',
      ],
    };
    expect(preWipeSnapshotOf(response)).to.equal('/var/lib/ferry/pre-wipe/ferry-pre-wipe-2026-11-28T09-00-00-000Z.snap');
  });

  it('is empty when the server saved no snapshot', () => {
    expect(preWipeSnapshotOf({ warnings: ['activation wipes this cluster'] })).to.equal('');
    expect(preWipeSnapshotOf(null)).to.equal('');
  });
});
