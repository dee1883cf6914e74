import type { ClusterClient } from './cluster-client.js';
import type { Keyset } from './keyset.js';
import type { KeysetMerkle } from './keyset-merkle.js';
import { BUCKET_DIGEST_BYTES, differingKeyDigests, MERKLE_BUCKETS } from './merkle-index.js';

/** Buckets whose leaves one request asks for during a Merkle diff (256 in all). */
const LEAF_BUCKETS_PER_REQUEST = 32;

/** The primary's answer to `merkle/buckets`: its bucket digests and the WAL position they stand for. */
export interface PrimaryMerkleState {
  readonly buckets: string;
  readonly last_wal: number;
  readonly keyset_version?: string;
  readonly filtered_mounts?: string[];
}

/** What a Merkle diff found: the key digests (hex) whose leaves differ, and the bytes it received. */
export interface MerkleDiff {
  readonly remote: PrimaryMerkleState;
  readonly digests: ReadonlySet<string>;
  readonly bytes: number;
}

/**
 * The first phase of a secondary's Merkle reconciliation: compare the primary's bucket digests with
 * this node's (over `keyset`), then the leaves of the buckets that differ, a few buckets a request.
 * Keys the primary's keyset for this secondary leaves out (a mount newly filtered) differ too.
 */
export async function diffWithPrimary(client: ClusterClient, merkle: KeysetMerkle, keyset: Keyset): Promise<MerkleDiff> {
  let bytes = 0;
  // Round trip 1: bucket digests.
  const bucketsRes = await client.request('GET', '/v1/replication/merkle/buckets');
  bytes += bucketsRes.body.length;
  const remote = JSON.parse(bucketsRes.body.toString('utf8')) as PrimaryMerkleState;
  const remoteBuckets = Buffer.from(remote.buckets, 'base64');
  const localBuckets = merkle.bucketDigest(keyset);
  const differing: number[] = [];
  for (let i = 0; i < MERKLE_BUCKETS; i++) {
    const at = i * BUCKET_DIGEST_BYTES;
    if (!remoteBuckets.subarray(at, at + BUCKET_DIGEST_BYTES).equals(localBuckets.subarray(at, at + BUCKET_DIGEST_BYTES))) differing.push(i);
  }
  // Then compact leaf digests of the differing buckets, a few buckets a request: at 1M keys all 256
  // buckets' leaves are 16 MB a side, which neither side should hold (and leave to the GC) at once.
  const differingKeys = new Set<string>();
  for (let i = 0; i < differing.length; i += LEAF_BUCKETS_PER_REQUEST) {
    const some = differing.slice(i, i + LEAF_BUCKETS_PER_REQUEST);
    const leavesRes = await client.request('POST', '/v1/replication/merkle/leaves', { buckets: some });
    bytes += leavesRes.body.length;
    const remoteLeaves = Buffer.from((JSON.parse(leavesRes.body.toString('utf8')) as { leaves: string }).leaves, 'base64');
    for (const digest of differingKeyDigests(remoteLeaves, merkle.leafDigests(keyset, new Set(some)))) differingKeys.add(digest);
  }
  return { remote, digests: differingKeys, bytes };
}
