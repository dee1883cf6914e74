import type { Keyset } from './keyset.js';
import type { KeysetMerkle } from './keyset-merkle.js';
import { MAX_SUB_BUCKET_BITS, MERKLE_BUCKETS } from './merkle-index.js';

/**
 * The third Merkle level on the wire. A secondary whose bucket digests differ from the primary's
 * asks for the sub-bucket digests of the differing buckets, then for the leaves of the sub-buckets
 * that differ only. Both answers are raw bytes (`application/octet-stream`); a primary of a build
 * without them answers 404, and the secondary falls back to whole buckets' leaves.
 */
export const SUB_BUCKETS_PATH = '/v1/replication/merkle/sub-buckets';
export const SUB_LEAVES_PATH = '/v1/replication/merkle/sub-leaves';
export const MERKLE_BYTES_CONTENT_TYPE = 'application/octet-stream';

/** A cluster endpoint's answer: a status and either raw bytes or Vault-shaped errors. */
export type SubBucketAnswer = { readonly status: 200; readonly body: Buffer } | { readonly status: 400; readonly errors: string[] };

/**
 * How finely a diff splits each differing bucket, from the keys a bucket holds (`keys` / 256): about
 * 2·√n sub-buckets of n keys, a power of two up to 256. That costs a diff of c changed keys in a bucket
 * about 16·n·c/S + 8·S bytes, least for S = √(2nc); c is unknown beforehand and 2 is typical of a
 * resync (600 changes over 256 buckets). With many changes a bucket's sub-bucket digests add at most
 * S·8 bytes to its n·16 bytes of leaves (3 % at 1M keys). 0 (no split) below 16 keys a bucket.
 */
export function subBucketBits(keys: number): number {
  const perBucket = keys / MERKLE_BUCKETS;
  if (perBucket < 16) return 0;
  return Math.min(MAX_SUB_BUCKET_BITS, Math.round(Math.log2(2 * Math.sqrt(perBucket))));
}

/** `POST merkle/sub-buckets` `{ buckets: [bucket…], bits }`: the buckets' sub-bucket digests (see KeysetMerkle.subBucketDigests). */
export function answerSubBuckets(merkle: KeysetMerkle, keyset: Keyset, body: unknown): SubBucketAnswer {
  const request = body as { buckets?: unknown; bits?: unknown } | null;
  const bits = request?.bits;
  if (!isInteger(bits, 0, MAX_SUB_BUCKET_BITS)) return invalid(`bits must be an integer from 0 to ${MAX_SUB_BUCKET_BITS}`);
  const buckets = ascendingIds(request?.buckets, MERKLE_BUCKETS);
  if (buckets === undefined) return invalid(`buckets must be a list of bucket numbers below ${MERKLE_BUCKETS}`);
  return { status: 200, body: merkle.subBucketDigests(keyset, buckets, bits) };
}

/** `POST merkle/sub-leaves` `{ bits, sub_buckets: [bucket << bits | sub…] }`: those sub-buckets' leaf digests, in key-digest order. */
export function answerSubLeaves(merkle: KeysetMerkle, keyset: Keyset, body: unknown): SubBucketAnswer {
  const request = body as { sub_buckets?: unknown; bits?: unknown } | null;
  const bits = request?.bits;
  if (!isInteger(bits, 0, MAX_SUB_BUCKET_BITS)) return invalid(`bits must be an integer from 0 to ${MAX_SUB_BUCKET_BITS}`);
  const ids = ascendingIds(request?.sub_buckets, MERKLE_BUCKETS << bits);
  if (ids === undefined) return invalid(`sub_buckets must be a list of sub-bucket numbers below ${MERKLE_BUCKETS << bits}`);
  return { status: 200, body: merkle.subLeafDigests(keyset, bits, ids) };
}

function isInteger(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/** The distinct ids of a list of integers in [0, limit), ascending; undefined when it is not one. */
function ascendingIds(value: unknown, limit: number): number[] | undefined {
  if (!Array.isArray(value) || value.length > limit) return undefined;
  if (!value.every((id) => isInteger(id, 0, limit - 1))) return undefined;
  return [...new Set(value as number[])].sort((a, b) => a - b);
}

function invalid(message: string): SubBucketAnswer {
  return { status: 400, errors: [`merkle: ${message}`] };
}
