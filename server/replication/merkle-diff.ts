import type { ClusterClient } from './cluster-client.js';
import type { Keyset } from './keyset.js';
import type { KeysetMerkle } from './keyset-merkle.js';
import { BUCKET_DIGEST_BYTES, differingKeyDigests, MERKLE_BUCKETS, SUB_BUCKET_DIGEST_BYTES } from './merkle-index.js';
import { SUB_BUCKETS_PATH, SUB_LEAVES_PATH, subBucketBits } from './merkle-sub-buckets.js';

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

/** The part of the cluster client a diff uses. */
export type MerkleDiffClient = Pick<ClusterClient, 'request'>;

/**
 * The first phase of a secondary's Merkle reconciliation: compare the primary's bucket digests with
 * this node's (over `keyset`), then, for the buckets that differ, their sub-bucket digests, then the
 * leaves of the sub-buckets that differ: three round trips, and bytes that grow with the changes
 * rather than with the keyspace. A primary without the sub-bucket level (an older build answers
 * 404) is diffed by the leaves of whole buckets, a few buckets a request.
 * Keys the primary's keyset for this secondary leaves out (a mount newly filtered) differ too.
 */
export async function diffWithPrimary(client: MerkleDiffClient, merkle: KeysetMerkle, keyset: Keyset): Promise<MerkleDiff> {
  const received = { bytes: 0 };
  // Round trip 1: bucket digests.
  const bucketsRes = await client.request('GET', '/v1/replication/merkle/buckets');
  received.bytes += bucketsRes.body.length;
  const remote = JSON.parse(bucketsRes.body.toString('utf8')) as PrimaryMerkleState;
  const remoteBuckets = Buffer.from(remote.buckets, 'base64');
  const localBuckets = merkle.bucketDigest(keyset);
  const differing: number[] = [];
  for (let i = 0; i < MERKLE_BUCKETS; i++) {
    const at = i * BUCKET_DIGEST_BYTES;
    if (!remoteBuckets.subarray(at, at + BUCKET_DIGEST_BYTES).equals(localBuckets.subarray(at, at + BUCKET_DIGEST_BYTES))) differing.push(i);
  }
  const digests =
    differing.length === 0
      ? new Set<string>()
      : ((await diffSubBuckets(client, merkle, keyset, differing, received)) ?? (await diffBuckets(client, merkle, keyset, differing, received)));
  return { remote, digests, bytes: received.bytes };
}

/** The differing key digests through the sub-bucket level; undefined when the primary has none (an older build). */
async function diffSubBuckets(
  client: MerkleDiffClient,
  merkle: KeysetMerkle,
  keyset: Keyset,
  buckets: number[],
  received: { bytes: number },
): Promise<Set<string> | undefined> {
  const bits = subBucketBits(merkle.size(keyset));
  let differing = buckets;
  if (bits > 0) {
    // Round trip 2: the sub-bucket digests of the differing buckets (at most 256 × 2^bits × 8 bytes).
    const res = await client.request('POST', SUB_BUCKETS_PATH, { buckets, bits });
    if (res.status === 404) return undefined;
    const remoteSubs = bytesOf(res, SUB_BUCKETS_PATH);
    received.bytes += remoteSubs.length;
    const localSubs = merkle.subBucketDigests(keyset, buckets, bits);
    if (remoteSubs.length !== localSubs.length)
      throw new Error(`merkle: the primary answered ${remoteSubs.length} bytes of sub-bucket digests, expected ${localSubs.length}`);
    differing = [];
    for (let i = 0; i < localSubs.length / SUB_BUCKET_DIGEST_BYTES; i++) {
      const at = i * SUB_BUCKET_DIGEST_BYTES;
      if (remoteSubs.compare(localSubs, at, at + SUB_BUCKET_DIGEST_BYTES, at, at + SUB_BUCKET_DIGEST_BYTES) === 0) continue;
      differing.push(((buckets[i >>> bits] as number) << bits) | (i & ((1 << bits) - 1)));
    }
  }
  // Round trip 3: the leaves of the differing sub-buckets, at most the keys of a few buckets a request.
  const digests = new Set<string>();
  const perRequest = LEAF_BUCKETS_PER_REQUEST << bits;
  for (let i = 0; i < differing.length; i += perRequest) {
    const some = differing.slice(i, i + perRequest);
    const res = await client.request('POST', SUB_LEAVES_PATH, { bits, sub_buckets: some });
    if (res.status === 404) return undefined;
    const remoteLeaves = bytesOf(res, SUB_LEAVES_PATH);
    received.bytes += remoteLeaves.length;
    for (const digest of differingKeyDigests(remoteLeaves, merkle.subLeafDigests(keyset, bits, some))) digests.add(digest);
  }
  return digests;
}

/** The differing key digests from the leaves of whole buckets, as base64 JSON (what every build answers). */
async function diffBuckets(
  client: MerkleDiffClient,
  merkle: KeysetMerkle,
  keyset: Keyset,
  differing: number[],
  received: { bytes: number },
): Promise<Set<string>> {
  // A few buckets a request: at 1M keys all 256 buckets' leaves are 16 MB a side, which neither
  // side should hold (and leave to the GC) at once.
  const digests = new Set<string>();
  for (let i = 0; i < differing.length; i += LEAF_BUCKETS_PER_REQUEST) {
    const some = differing.slice(i, i + LEAF_BUCKETS_PER_REQUEST);
    const leavesRes = await client.request('POST', '/v1/replication/merkle/leaves', { buckets: some });
    received.bytes += leavesRes.body.length;
    const remoteLeaves = Buffer.from((JSON.parse(leavesRes.body.toString('utf8')) as { leaves: string }).leaves, 'base64');
    for (const digest of differingKeyDigests(remoteLeaves, merkle.leafDigests(keyset, new Set(some)))) digests.add(digest);
  }
  return digests;
}

function bytesOf(res: { status: number; body: Buffer }, path: string): Buffer {
  if (res.status !== 200) throw new Error(`merkle: ${path} answered ${res.status}`);
  return res.body;
}
