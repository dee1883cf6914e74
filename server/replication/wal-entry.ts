import { Decoder, Encoder } from '@msgpack/msgpack';
import type { StorageOp } from '../storage/backend.js';
import { VaultError } from '../core/vault-error.js';

type Put = Extract<StorageOp, { op: 'put' }>;

/**
 * One storage change as the WAL records it: raw (encrypted) values, exactly as stored. A put may
 * carry its Merkle digests (see `leafDigest` in merkle-index.ts), computed once by the primary: a
 * secondary indexes the put with them instead of hashing key and value again.
 */
export type WalOp = Exclude<StorageOp, Put> | (Put & { readonly digest?: Buffer });

/** One committed write of a primary: its index in the log, the epoch it was written in, its changes. */
export interface WalEntry {
  readonly index: number;
  readonly epoch: number;
  readonly ops: readonly WalOp[];
}

/**
 * A WAL entry as stored and streamed (the binary form, see encodeWalEntry), and whether every op
 * of it is replicated state (no cluster-local keys; unknown for entries read back from disk).
 */
export interface SerializedWalEntry {
  readonly index: number;
  readonly bytes: Buffer;
  readonly replicatedOnly?: boolean;
}

/** The binary form's version, its array's first element. */
const BINARY_FORMAT = 1;
/** Op kinds of the binary form. */
const PUT = 0;
const DELETE = 1;
const DELETE_PREFIX = 2;
/** A put followed by its Merkle digests (16 bytes): written by this build, unknown to builds before it. */
const PUT_DIGESTED = 3;
/** Bytes of a put's digests: the key digest (8) then the leaf digest (8). */
export const OP_DIGEST_BYTES = 16;
/**
 * The first byte of JSON text (an object): `{`. The older form of an entry starts with it, and so
 * does a control frame of the stream (see wal-frames.ts); a msgpack array never does.
 */
export const JSON_FIRST_BYTE = 0x7b;

const encoder = new Encoder();
const decoder = new Decoder();

/**
 * The stored and streamed form of a WAL entry: one flat msgpack array — the format version, the
 * index, the epoch, then each op as its kind and key (or prefix), a put followed by its value as
 * bytes. No field names, no base64: the row holds the value once, as the KV row does.
 */
export function encodeWalEntry(entry: WalEntry): Buffer {
  const flat: unknown[] = [BINARY_FORMAT, entry.index, entry.epoch];
  for (const op of entry.ops) {
    if (op.op === 'put') {
      if (op.digest === undefined) flat.push(PUT, op.key, op.value);
      else flat.push(PUT_DIGESTED, op.key, op.value, op.digest);
    } else if (op.op === 'delete') flat.push(DELETE, op.key);
    else flat.push(DELETE_PREFIX, op.prefix);
  }
  const bytes = encoder.encode(flat);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The index an entry is encoded with before it has one: a msgpack uint64 (`0xcf` and 8 bytes), the
 * width of every index, so numbering it later writes those 8 bytes and moves nothing.
 */
const UNNUMBERED = Number.MAX_SAFE_INTEGER;
const UINT64 = 0xcf;

/**
 * A WAL entry encoded before its index is known: when its write is submitted, not at its turn in the
 * commit group, where every microsecond of the main thread holds up the whole group. `numberWalEntry`
 * writes the index in at that turn. Readers decode the index as any other integer.
 */
export interface UnnumberedWalEntry {
  readonly epoch: number;
  readonly bytes: Buffer;
  /** Where the index's 8 bytes start in `bytes`. */
  readonly indexAt: number;
}

export function encodeUnnumberedWalEntry(epoch: number, ops: readonly WalOp[]): UnnumberedWalEntry {
  const bytes = encodeWalEntry({ index: UNNUMBERED, epoch, ops });
  // The array's header (fixarray, array 16 or array 32), the format version, then the index.
  const first = bytes[0] as number;
  const header = first <= 0x9f ? 1 : first === 0xdc ? 3 : 5;
  if (bytes[header] !== BINARY_FORMAT || bytes[header + 1] !== UINT64) throw new Error('WAL entry: the index is not where the encoding puts it');
  return { epoch, bytes, indexAt: header + 2 };
}

/** Writes `index` into the entry's bytes, in place, and returns them. */
export function numberWalEntry(entry: UnnumberedWalEntry, index: number): Buffer {
  entry.bytes.writeUInt32BE(Math.floor(index / 0x1_0000_0000), entry.indexAt);
  entry.bytes.writeUInt32BE(index >>> 0, entry.indexAt + 4);
  return entry.bytes;
}

/**
 * The entry as a secondary of a build before digested puts reads it: the same entry, its puts
 * without digests (the bytes themselves when none has any).
 */
export function withoutDigests(bytes: Buffer): Buffer {
  if (isJsonWalEntry(bytes)) return bytes;
  const entry = decodeWalEntry(bytes);
  if (!entry.ops.some((op) => op.op === 'put' && op.digest !== undefined)) return bytes;
  return encodeWalEntry({ ...entry, ops: entry.ops.map((op) => (op.op === 'put' ? { op: 'put', key: op.key, value: op.value } : op)) });
}

/** Whether stored WAL bytes are in the older JSON form (rows written before the binary form). */
export function isJsonWalEntry(bytes: Uint8Array): boolean {
  return bytes[0] === JSON_FIRST_BYTE;
}

/**
 * Decodes a stored or streamed WAL entry, binary or the older JSON form. Values are views of
 * `bytes` (no copy). Anything else is refused with a typed error that never quotes the bytes.
 */
export function decodeWalEntry(bytes: Uint8Array): WalEntry {
  if (isJsonWalEntry(bytes)) return walEntryFromJson(parseJson(bytes));
  let flat: unknown;
  try {
    flat = decoder.decode(bytes);
  } catch {
    throw malformed('not a msgpack value');
  }
  if (!Array.isArray(flat) || flat[0] !== BINARY_FORMAT) throw malformed('unknown format');
  const index = flat[1] as unknown;
  const epoch = flat[2] as unknown;
  if (!isCount(index) || !isCount(epoch)) throw malformed('index and epoch must be non-negative integers');
  const ops: WalOp[] = [];
  let at = 3;
  while (at < flat.length) {
    const kind = flat[at] as unknown;
    const key = flat[at + 1] as unknown;
    if (typeof key !== 'string') throw malformed('an op without its key');
    if (kind === PUT || kind === PUT_DIGESTED) {
      const value = flat[at + 2] as unknown;
      if (!(value instanceof Uint8Array)) throw malformed('a put without its value');
      if (kind === PUT) {
        ops.push({ op: 'put', key, value: view(value) });
        at += 3;
        continue;
      }
      const digest = flat[at + 3] as unknown;
      if (!(digest instanceof Uint8Array) || digest.byteLength !== OP_DIGEST_BYTES) throw malformed('a put without its digests');
      ops.push({ op: 'put', key, value: view(value), digest: view(digest) });
      at += 4;
    } else if (kind === DELETE) {
      ops.push({ op: 'delete', key });
      at += 2;
    } else if (kind === DELETE_PREFIX) {
      ops.push({ op: 'delete-prefix', prefix: key });
      at += 2;
    } else throw malformed('unknown op kind');
  }
  return { index, epoch, ops };
}

/** The older JSON form of an entry (values base64), for a secondary of a build before the binary form. */
export function walEntryToJson(entry: WalEntry): string {
  return JSON.stringify({
    index: entry.index,
    epoch: entry.epoch,
    ops: entry.ops.map((op) => (op.op === 'put' ? { op: 'put', key: op.key, value: op.value.toString('base64') } : op)),
  });
}

/** An entry of the older JSON form, already parsed (a stored row, or a frame from a primary of an older build). */
export function walEntryFromJson(parsed: unknown): WalEntry {
  if (typeof parsed !== 'object' || parsed === null) throw malformed('not an object');
  const { index, epoch, ops } = parsed as { index?: unknown; epoch?: unknown; ops?: unknown };
  if (!isCount(index) || !isCount(epoch)) throw malformed('index and epoch must be non-negative integers');
  if (!Array.isArray(ops)) throw malformed('ops must be a list');
  return { index, epoch, ops: ops.map(jsonOp) };
}

function jsonOp(op: unknown): WalOp {
  const { op: kind, key, value, prefix } = (typeof op === 'object' && op !== null ? op : {}) as Record<string, unknown>;
  if (kind === 'put' && typeof key === 'string' && typeof value === 'string') return { op: 'put', key, value: Buffer.from(value, 'base64') };
  if (kind === 'delete' && typeof key === 'string') return { op: 'delete', key };
  if (kind === 'delete-prefix' && typeof prefix === 'string') return { op: 'delete-prefix', prefix };
  throw malformed('an op of unknown shape');
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    throw malformed('not JSON');
  }
}

function view(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function isCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

/** The message names the defect only: never the bytes, which hold (encrypted) values and keys. */
function malformed(why: string): VaultError {
  return new VaultError('invalid_request', `malformed WAL entry: ${why}`);
}
