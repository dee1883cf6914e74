/**
 * The physical storage layer. It is untrusted: the barrier above it encrypts every value, and
 * the storage path is the AAD, so a backend only ever sees ciphertext.
 *
 * Contract (checked for every backend by test/server/storage/contract.ts):
 * - `get` of a missing key resolves to undefined.
 * - `list(prefix)` returns the immediate children below prefix, sorted; a child that has keys
 *   below it is returned once with a trailing '/'. `prefix` is '' or ends with '/'.
 * - `scan` returns full entries below a prefix in key order, after an exclusive start key;
 *   `scanKeys` the same keys without their values.
 * - `transaction` applies all of its operations or none. Transactions are serialized:
 *   no two interleave, and a resolved write is durable. Durable backends commit concurrent
 *   transactions together (group commit); one that fails fails alone.
 * - `stage` is `transaction` for a write whose ops are decided when its turn comes.
 * - `beginStaging` bulk-loads a replacement of the whole keyspace beside the live keys (see StagingArea).
 */
/**
 * A write the backend refused because this node may not write now: an HA node whose lock has passed
 * to another node (its fence no longer holds). Nothing was written; the client should retry, and a
 * standby forwards the retry to the active node.
 */
export class WriteRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WriteRefusedError';
  }
}

export type StorageOp =
  | { readonly op: 'put'; readonly key: string; readonly value: Buffer }
  | { readonly op: 'delete'; readonly key: string }
  | { readonly op: 'delete-prefix'; readonly prefix: string };

export interface StorageEntry {
  readonly key: string;
  readonly value: Buffer;
}

export interface ScanOptions {
  /** Return only keys strictly greater than this one. */
  readonly after?: string;
  readonly limit?: number;
}

/**
 * A write whose ops are computed when its turn comes, in commit order (so a WAL index it assigns is
 * the commit order), with hooks for its outcome.
 */
export interface StagedWrite {
  /** Rough size, for bounding a commit group. */
  readonly bytes: number;
  /**
   * The commit need not reach stable storage before it resolves: it survives a crash of this process
   * (the OS holds it), and a host's power loss may drop it only together with every later write of
   * the same kind, never out of order (a later flushed commit covers it). Only for writes nobody
   * was promised durability for (an asynchronous secondary's replicated applies); a group commits
   * flushed if any of its writes is not deferrable. Backends without the distinction flush always.
   */
  readonly canDeferFlush?: boolean;
  /** The ops to apply, when the write's turn comes; called again if the group is redone after `abandoned`. */
  prepare(): readonly StorageOp[];
  /** Called once the commit covering this write is durable, before its promise resolves. */
  committed?(): void;
  /** Called when, after `prepare`, the write will not commit (undo what prepare reserved). */
  abandoned?(): void;
}

/**
 * A consistent point-in-time view of a whole backend (one read transaction), for snapshots and
 * migration. Writes to the backend go on while it is open and are not seen by it. `release` must
 * be called once the reader is done, whatever the outcome.
 */
export interface ConsistentRead {
  /** How many keys the view holds. */
  count(): Promise<number>;
  /** Up to `limit` entries in key order, strictly after `after` (from the first key when undefined). */
  scan(after: string | undefined, limit: number): Promise<StorageEntry[]>;
  release(): Promise<void>;
}

/**
 * A replacement of the whole keyspace (a secondary's bootstrap), loaded a page at a time beside the
 * live keys so it is never held in memory, then swapped in by one transaction. The live keys are
 * untouched until `install` commits: a crash or a failure before that leaves them as they were and
 * only staging leftovers, which the next `beginStaging` (and, on SQLite, opening the file) removes.
 * One staging area at a time per storage.
 */
export interface StagingArea {
  /** Adds entries (a later entry of the same key wins). Not durable by itself: `install` makes it so. */
  add(entries: readonly StorageEntry[]): Promise<void>;
  /**
   * One transaction: every live key replaced by the staged entries, then `ops` applied; durable
   * once resolved. The staging area is gone afterwards, whatever the outcome.
   */
  install(ops: readonly StorageOp[]): Promise<void>;
  /** Drops the staged entries; the live keys stay as they are. */
  discard(): Promise<void>;
}

export interface StorageBackend {
  readonly kind: string;
  /** Opens a consistent read of every key (see ConsistentRead). */
  consistentRead(): Promise<ConsistentRead>;
  get(key: string): Promise<Buffer | undefined>;
  put(key: string, value: Buffer): Promise<void>;
  delete(key: string): Promise<void>;
  list(prefix: string): Promise<string[]>;
  scan(prefix: string, options?: ScanOptions): Promise<StorageEntry[]>;
  /** The keys `scan` would return, without reading their values (name lookups over a large keyspace). */
  scanKeys(prefix: string, options?: ScanOptions): Promise<string[]>;
  transaction(ops: readonly StorageOp[]): Promise<void>;
  stage(write: StagedWrite): Promise<void>;
  /** Starts an empty staging area (leftovers of an earlier one removed). */
  beginStaging(): Promise<StagingArea>;
  close(): Promise<void>;
}

/** Immediate children of `prefix` among sorted `keys` (all of which start with prefix). */
export function childrenOf(prefix: string, keys: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const key of keys) out.add(childOf(prefix, key));
  return [...out].sort();
}

/** The immediate child of `prefix` that `key` (below it) lies in: a leaf 'x' or a folder 'x/'. */
export function childOf(prefix: string, key: string): string {
  const rest = key.slice(prefix.length);
  const slash = rest.indexOf('/');
  return slash === -1 ? rest : rest.slice(0, slash + 1);
}

/**
 * An exclusive upper bound for range scans of keys starting with prefix, in SQLite's key order
 * (UTF-8 bytes, BINARY collation). A trailing ASCII character is incremented (tight in any order);
 * otherwise U+10FFFF, the largest code point, is appended. ('\uffff' is not enough: astral
 * characters encode above it in UTF-8.)
 */
export function prefixUpperBound(prefix: string): string {
  const last = prefix.charCodeAt(prefix.length - 1);
  if (last < 0x7f) return prefix.slice(0, -1) + String.fromCharCode(last + 1);
  return prefix + '\u{10FFFF}';
}
