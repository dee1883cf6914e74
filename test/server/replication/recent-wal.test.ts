import { expect } from 'chai';
import { RecentWal } from '../../../server/replication/recent-wal.js';

const entry = (index: number) => ({ index, bytes: Buffer.from(`e${index}`), replicatedOnly: true });

describe('RecentWal', () => {
  it('holds the last `capacity` entries by index; an older one is gone, not answered with the newer entry in its slot', () => {
    const recent = new RecentWal(4);
    for (let index = 1; index <= 10; index++) recent.add(entry(index));
    for (let index = 7; index <= 10; index++) expect(recent.get(index)?.bytes.toString()).to.equal(`e${index}`);
    // Index 6 shares its slot with 10, index 3 with 7: both are gone.
    expect(recent.get(6)).to.equal(undefined);
    expect(recent.get(3)).to.equal(undefined);
    // Never added yet.
    expect(recent.get(11)).to.equal(undefined);
    expect(recent.get(0)).to.equal(undefined);
  });

  it('keeps the entries either side of a gap in the indexes (a restore moves the log on by one)', () => {
    const recent = new RecentWal(8);
    recent.add(entry(1));
    recent.add(entry(2));
    recent.add(entry(4));
    expect(recent.get(2)?.index).to.equal(2);
    expect(recent.get(3)).to.equal(undefined);
    expect(recent.get(4)?.index).to.equal(4);
  });

  it('clear drops every entry', () => {
    const recent = new RecentWal(4);
    for (let index = 1; index <= 3; index++) recent.add(entry(index));
    recent.clear();
    for (let index = 1; index <= 3; index++) expect(recent.get(index)).to.equal(undefined);
  });
});
