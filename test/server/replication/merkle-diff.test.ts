import { expect } from 'chai';
import type { ClusterResponse } from '../../../server/replication/cluster-client.js';
import { DR_KEYSET, type Keyset, performanceKeyset } from '../../../server/replication/keyset.js';
import { KeysetMerkle } from '../../../server/replication/keyset-merkle.js';
import { diffWithPrimary, type MerkleDiffClient } from '../../../server/replication/merkle-diff.js';
import { keyDigest } from '../../../server/replication/merkle-index.js';
import { answerSubBuckets, answerSubLeaves, SUB_BUCKETS_PATH, SUB_LEAVES_PATH } from '../../../server/replication/merkle-sub-buckets.js';

const v = (s: string) => Buffer.from(s);

function indexOf(entries: ReadonlyMap<string, string>): KeysetMerkle {
  const m = new KeysetMerkle();
  for (const [k, value] of entries) m.put(k, v(value));
  return m;
}

const jsonAnswer = (status: number, body: unknown): ClusterResponse => ({ status, body: Buffer.from(JSON.stringify(body)) });

/**
 * A primary's cluster endpoints for the Merkle diff over a real index, answered by the same functions
 * the cluster server calls (request bodies go through JSON as on the wire). `olderBuild` answers the
 * sub-bucket paths as a build without them does: 404, "unknown replication endpoint".
 */
function primaryEndpoints(merkle: KeysetMerkle, keyset: Keyset, olderBuild = false): MerkleDiffClient & { paths: string[] } {
  const paths: string[] = [];
  return {
    paths,
    request: async (method: string, path: string, body?: unknown): Promise<ClusterResponse> => {
      paths.push(path);
      const sent = body === undefined ? undefined : (JSON.parse(JSON.stringify(body)) as unknown);
      if (method === 'GET' && path === '/v1/replication/merkle/buckets')
        return jsonAnswer(200, { buckets: merkle.bucketDigest(keyset).toString('base64'), last_wal: 42 });
      if (method === 'POST' && path === '/v1/replication/merkle/leaves') {
        const buckets = (sent as { buckets: number[] }).buckets;
        return jsonAnswer(200, { leaves: merkle.leafDigests(keyset, new Set(buckets)).toString('base64') });
      }
      if (method === 'POST' && !olderBuild && (path === SUB_BUCKETS_PATH || path === SUB_LEAVES_PATH)) {
        const answer = (path === SUB_BUCKETS_PATH ? answerSubBuckets : answerSubLeaves)(merkle, keyset, sent);
        return answer.status === 200 ? { status: 200, body: answer.body } : jsonAnswer(answer.status, { errors: answer.errors });
      }
      return jsonAnswer(404, { errors: ['unknown replication endpoint'] });
    },
  };
}

describe('diffWithPrimary: the Merkle diff of a secondary against its primary', () => {
  const base = new Map<string, string>(
    ['core/', 'logical/app/', 'auth/up/', 'local/token/'].flatMap((prefix) => Array.from({ length: 5000 }, (_, i) => [`${prefix}k${i}`, `v${i}`] as const)),
  );
  // On the primary: 30 updates, 20 new keys and 15 deletions; the secondary also holds a key the primary never had.
  const primaryEntries = new Map(base);
  const changed: string[] = [];
  for (let i = 0; i < 30; i++) changed.push(`logical/app/k${i * 97}`);
  for (const k of changed) primaryEntries.set(k, 'rotated');
  for (let i = 0; i < 20; i++) primaryEntries.set(`auth/up/new${i}`, 'added');
  for (let i = 0; i < 15; i++) primaryEntries.delete(`core/k${i * 211}`);
  const secondaryEntries = new Map(base).set('logical/app/stray', 'only here');
  const differing = [
    ...changed,
    ...Array.from({ length: 20 }, (_, i) => `auth/up/new${i}`),
    ...Array.from({ length: 15 }, (_, i) => `core/k${i * 211}`),
    'logical/app/stray',
  ];
  const expected = new Set(differing.map((k) => keyDigest(k).toString('hex')));

  for (const keyset of [DR_KEYSET, performanceKeyset()]) {
    it(`finds exactly the changed, added and deleted keys in three round trips, through sub-buckets (${keyset.id})`, async () => {
      const primary = primaryEndpoints(indexOf(primaryEntries), keyset);
      const diff = await diffWithPrimary(primary, indexOf(secondaryEntries), keyset);
      const inKeyset = new Set(differing.filter((k) => keyset.includes(k)).map((k) => keyDigest(k).toString('hex')));
      expect([...diff.digests].sort()).to.deep.equal([...inKeyset].sort());
      expect(diff.remote.last_wal).to.equal(42);
      expect(primary.paths).to.deep.equal(['/v1/replication/merkle/buckets', SUB_BUCKETS_PATH, SUB_LEAVES_PATH]);
    });
  }

  it('falls back to the leaves of whole buckets with a primary of an older build, with the same answer', async () => {
    const older = primaryEndpoints(indexOf(primaryEntries), DR_KEYSET, true);
    const fallback = await diffWithPrimary(older, indexOf(secondaryEntries), DR_KEYSET);
    expect([...fallback.digests].sort()).to.deep.equal([...expected].sort());
    expect(older.paths.slice(0, 2)).to.deep.equal(['/v1/replication/merkle/buckets', SUB_BUCKETS_PATH]);
    expect(older.paths.slice(2).every((p) => p === '/v1/replication/merkle/leaves')).to.equal(true);
    // The third level exchanges a fraction of the bytes of whole buckets' leaves.
    const current = await diffWithPrimary(primaryEndpoints(indexOf(primaryEntries), DR_KEYSET), indexOf(secondaryEntries), DR_KEYSET);
    expect(current.bytes * 4).to.be.below(fallback.bytes);
  });

  it('asks for nothing past the bucket digests when the two agree', async () => {
    const primary = primaryEndpoints(indexOf(base), DR_KEYSET);
    const diff = await diffWithPrimary(primary, indexOf(base), DR_KEYSET);
    expect(diff.digests.size).to.equal(0);
    expect(primary.paths).to.deep.equal(['/v1/replication/merkle/buckets']);
  });

  it('diffs a small keyspace (no split) and an empty secondary by whole buckets, binary, falling back the same way', async () => {
    const small = new Map([...primaryEntries].slice(0, 300));
    for (const olderBuild of [false, true]) {
      for (const secondary of [new Map<string, string>(), new Map([...small].slice(0, 250)).set('core/gone', 'x')]) {
        const primary = primaryEndpoints(indexOf(small), DR_KEYSET, olderBuild);
        const diff = await diffWithPrimary(primary, indexOf(secondary), DR_KEYSET);
        const want = [...new Set([...small.keys(), ...secondary.keys()])]
          .filter((k) => small.get(k) !== secondary.get(k))
          .map((k) => keyDigest(k).toString('hex'));
        expect([...diff.digests].sort(), `older build: ${olderBuild}`).to.deep.equal(want.sort());
        expect(primary.paths.includes(SUB_BUCKETS_PATH)).to.equal(false);
      }
    }
  });

  it('splits the leaves of many differing sub-buckets over several requests (a secondary missing a mount)', async () => {
    const secondary = new Map([...primaryEntries].filter(([k]) => !k.startsWith('logical/app/')));
    const primary = primaryEndpoints(indexOf(primaryEntries), DR_KEYSET);
    const diff = await diffWithPrimary(primary, indexOf(secondary), DR_KEYSET);
    expect(diff.digests.size).to.equal(5000);
    expect(primary.paths.filter((p) => p === SUB_LEAVES_PATH).length).to.be.above(1);
  });
});
