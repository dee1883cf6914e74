import { expect } from 'chai';
import fc from 'fast-check';
import { differingKeyDigests, keyDigest, leafDigest, MerkleIndex } from '../../../server/replication/merkle-index.js';

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

  it('indexes a put by its leafDigest (key digest, then leaf digest) exactly as by hashing key and value', () => {
    const entries: [string, Buffer][] = [
      ['logical/a', Buffer.from('1')],
      ['core/ünï code', Buffer.alloc(0)],
      ['logical/big', Buffer.alloc(5000, 7)],
    ];
    const hashed = new MerkleIndex();
    const given = new MerkleIndex();
    for (const [k, v] of entries) {
      hashed.put(k, v);
      const digest = leafDigest(k, v);
      expect(digest.subarray(0, 8)).to.deep.equal(keyDigest(k));
      given.put(k, Buffer.alloc(0), digest);
    }
    expect(given.root()).to.equal(hashed.root());
    const all = new Set(Array.from({ length: 256 }, (_, i) => i));
    expect(given.leafDigests(all)).to.deep.equal(hashed.leafDigests(all));
    given.remove('logical/big');
    hashed.remove('logical/big');
    expect(given.root()).to.equal(hashed.root());
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
    // The index keeps no names: the storage's keys below the prefix are the candidates.
    index.removePrefix('logical/x/', ['logical/x/1', 'logical/x/2', 'logical/x/never-put', 'core/mounts']);
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
    const changed = new Set(differingKeyDigests(primary.leafDigests(differing), secondary.leafDigests(differing)));
    expect(changed.size).to.equal(3);
    expect(new Set(differingKeyDigests(secondary.leafDigests(differing), primary.leafDigests(differing)))).to.deep.equal(changed);
    const stored = [...base.map(([k]) => k), 'added'];
    const names = new Set([...primary.keysWithDigests(changed, stored), ...secondary.keysWithDigests(changed, stored)]);
    expect([...names].sort()).to.deep.equal(['added', 'k7', 'k8']);
    expect(keyDigest('k7')).to.have.length(8);
  });

  it('keeps the same root as a reference model under random puts, removes and prefix removes', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.tuple(fc.constant('put' as const), fc.constantFrom('a/1', 'a/2', 'a/b/3', 'b/1', 'b/2', 'c'), fc.string({ maxLength: 4 })),
            fc.tuple(fc.constant('remove' as const), fc.constantFrom('a/1', 'a/2', 'a/b/3', 'b/1', 'b/2', 'c'), fc.constant('')),
            fc.tuple(fc.constant('prefix' as const), fc.constantFrom('a/', 'a/b/', 'b/'), fc.constant('')),
          ),
          { maxLength: 60 },
        ),
        (steps) => {
          const index = new MerkleIndex();
          const model = new Map<string, string>();
          for (const [op, key, value] of steps) {
            if (op === 'put') {
              index.put(key, Buffer.from(value));
              model.set(key, value);
            } else if (op === 'remove') {
              index.remove(key);
              model.delete(key);
            } else {
              index.removePrefix(key, [...model.keys()]);
              for (const k of [...model.keys()]) if (k.startsWith(key)) model.delete(k);
            }
          }
          expect(index.size).to.equal(model.size);
          expect(index.root()).to.equal(build(model).root());
        },
      ),
    );
  });

  it('serves the leaves of a bucket sorted by key digest, 16 bytes each, only for the buckets asked', () => {
    const index = build(Array.from({ length: 3000 }, (_, i) => [`key-${i}`, `value-${i}`] as [string, string]));
    const bucketOf = (key: string) => keyDigest(key)[0] as number;
    const wanted = new Set([bucketOf('key-1'), bucketOf('key-2')]);
    const raw = index.leafDigests(wanted);
    const expected = Array.from({ length: 3000 }, (_, i) => `key-${i}`).filter((k) => wanted.has(bucketOf(k)));
    expect(raw.length).to.equal(expected.length * 16);
    const digests = Array.from({ length: raw.length / 16 }, (_, i) => raw.toString('hex', i * 16, i * 16 + 8));
    expect(digests).to.deep.equal(expected.map((k) => keyDigest(k).toString('hex')).sort());
  });

  it('holds 50,000 keys in a few megabytes (no per-key objects), and gives pages back when keys go', () => {
    const index = new MerkleIndex();
    const keys = Array.from({ length: 50_000 }, (_, i) => `logical/6f1c2a9e-0d3b-4f7a-9c2e-5b8d1e3f4a6c/data/app/secret-${i}`);
    const value = Buffer.alloc(100, 7);
    for (const key of keys) index.put(key, value);
    expect(index.size).to.equal(50_000);
    // 16 bytes a key, pages grown by half: at most 24 bytes a key plus the smallest pages.
    expect(index.bytes).to.be.at.most(50_000 * 24 + 256 * 128);
    index.removePrefix('logical/6f1c2a9e-0d3b-4f7a-9c2e-5b8d1e3f4a6c/', keys.slice(0, 49_000));
    expect(index.size).to.equal(1000);
    expect(index.bytes).to.be.at.most(1000 * 64 + 256 * 128);
  });
});
