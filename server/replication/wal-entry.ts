import { Decoder, Encoder } from '@msgpack/msgpack';
import type { StorageOp } from '../storage/backend.js';
import { VaultError } from '../core/vault-error.js';

/** One storage change as the WAL records it: raw (encrypted) values, exactly as stored. */
export type WalOp = StorageOp;

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
    if (op.op === 'put') flat.push(PUT, op.key, op.value);
    else if (op.op === 'delete') flat.push(DELETE, op.key);
    else flat.push(DELETE_PREFIX, op.prefix);
  }
  const bytes = encoder.encode(flat);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
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
    if (kind === PUT) {
      const value = flat[at + 2] as unknown;
      if (!(value instanceof Uint8Array)) throw malformed('a put without its value');
      ops.push({ op: 'put', key, value: Buffer.from(value.buffer, value.byteOffset, value.byteLength) });
      at += 3;
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

function isCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

/** The message names the defect only: never the bytes, which hold (encrypted) values and keys. */
function malformed(why: string): VaultError {
  return new VaultError('invalid_request', `malformed WAL entry: ${why}`);
}
