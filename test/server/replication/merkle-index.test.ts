import { expect } from 'chai';
import fc from 'fast-check';
import { keyDigest, MerkleIndex, parseLeafDigests } from '../../../server/replication/merkle-index.js';

const build = (entries: Iterable<[string, string]>): MerkleIndex => {
  const index = new MerkleIndex();
  for (const [k, v] of entries) index.put(k, Buffer.from(v));
  return index;
};

describe('MerkleIndex', () => {
  it('has a root that depends on the set of entries, not on the order they were written', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(fc.string({ minLength: 1 }), fc.string()), { selector: (e) => e[0], maxLength: 40 }), (entries) => {
        expect(build(entries).root()).to.equal(build([...entries].reverse()).root());
      }),
    );
  });

  it('changes its root when one value changes, and returns to it when the change is undone', () => {
    const index = build([
      ['a', '1'],
      ['b', '2'],
    ]);
    const before = index.root();
    index.put('a', Buffer.from('changed'));
    expect(index.root()).not.to.equal(before);
    index.put('a', Buffer.from('1'));
    expect(index.root()).to.equal(before);
    index.remove('b');
    expect(index.root()).not.to.equal(before);
    index.put('b', Buffer.from('2'));
    expect(index.root()).to.equal(before);
  });

  it('removes a prefix and clears', () => {
    const index = build([
      ['logical/x/1', 'a'],
      ['logical/x/2', 'b'],
      ['core/mounts', 'c'],
    ]);
    index.removePrefix('logical/x/');
    expect(index.root()).to.equal(build([['core/mounts', 'c']]).root());
    index.clear();
    expect(index.size).to.equal(0);
  });

  it('finds exactly the differing keys through bucket and leaf digests', () => {
    const base = Array.from({ length: 500 }, (_, i) => [`k${i}`, `v${i}`] as [string, string]);
    const primary = build(base);
    const secondary = build(base);
    primary.put('k7', Buffer.from('new'));
    primary.remove('k8');
    primary.put('added', Buffer.from('x'));
    const a = primary.bucketDigest();
    const b = secondary.bucketDigest();
    const differing = new Set<number>();
    for (let i = 0; i < 256; i++) if (!a.subarray(i * 16, i * 16 + 16).equals(b.subarray(i * 16, i * 16 + 16))) differing.add(i);
    const remote = parseLeafDigests(primary.leafDigests(differing));
    const local = parseLeafDigests(secondary.leafDigests(differing));
    const changed = new Set<string>();
    for (const [d, leaf] of remote) if (local.get(d) !== leaf) changed.add(d);
    for (const d of local.keys()) if (!remote.has(d)) changed.add(d);
    const names = new Set([...primary.keysWithDigests(changed), ...secondary.keysWithDigests(changed)]);
    expect([...names].sort()).to.deep.equal(['added', 'k7', 'k8']);
    expect(keyDigest('k7')).to.have.length(8);
  });
});
