import type { Logger } from 'pino';
import type { Core } from '../core/core.js';
import type { StorageOp } from '../storage/backend.js';
import { ClusterClient } from './cluster-client.js';
import { PrimaryAddressRotation } from './primary-address-rotation.js';
import { replicationTrace } from './replication-trace.js';
import { keyDigest } from './merkle-index.js';
import { diffWithPrimary } from './merkle-diff.js';
import { DR_KEYSET, performanceKeyset, type Keyset } from './keyset.js';
import { replicationStateOp, type SecondaryState } from './replication-state.js';
import type { WalEntry, WalStorage } from './wal-storage.js';
import { decodeWalEntry, walEntryFromJson } from './wal-entry.js';
import { isControlFrame } from './wal-frames.js';

export type StreamState = 'idle' | 'connecting' | 'stream-wals' | 'merkle-diff' | 'merkle-sync';

interface Frame {
  type: 'wal' | 'heartbeat' | 'gone';
  /** NDJSON from a primary of an older build: the entry in its JSON form (values base64). */
  entry?: unknown;
  last_wal?: number;
  epoch?: number;
  /** HA primary: every node's cluster address, the active's first. */
  cluster_addrs?: unknown;
  /** On heartbeats: the primary waits for this secondary's acknowledgements (synchronous DR). */
  acks_wanted?: boolean;
  filtered_mounts?: string[];
}

export interface SecondaryStreamOptions {
  readonly core: Core;
  readonly wal: WalStorage;
  readonly logger: Logger;
  readonly initial: SecondaryState;
  readonly apiAddr: string;
  readonly clusterAddr: string;
  readonly onState: (state: SecondaryState) => void;
}

const MAX_BACKOFF_MS = 2000;
/**
 * The primary sends a heartbeat every second. A stream silent for this long is dead even if no
 * FIN or RST arrived (the primary's host vanished, a NAT entry was dropped): drop it and redial.
 */
export const STREAM_SILENCE_MS = 5000;
const ACK_TIMEOUT_MS = 10_000;

/**
 * A secondary's replication loop: stream WAL entries from its last applied index and apply
 * each batch — data and the new `last_remote_wal` — in one transaction (exactly once across
 * reconnects). When the primary no longer retains that index, reconcile by Merkle diff/sync.
 */
export class SecondaryStream {
  readonly client: ClusterClient;
  private state: SecondaryState;
  private running = false;
  private cancel: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private waiters: { index: number; resolve: (ok: boolean) => void }[] = [];
  private readonly log: Logger;
  /** Which node of the primary cluster to dial (HA: the active may move). */
  private readonly rotation: PrimaryAddressRotation;
  /** Acknowledgements: wanted by the primary, the highest one it has received, one request at a time. */
  private isAckWanted = false;
  private ackedWal = 0;
  private isAcking = false;
  /**
   * The last WAL index known flushed to stable storage here (a commit without a deferred flush
   * covers every commit before it). Only this is ever acknowledged: an acknowledgement is a
   * durability promise (synchronous DR). 0 after a start: what the last run committed may still sit
   * in the OS's cache, unflushed.
   */
  private flushedWal = 0;
  /** The state last committed to storage (what a restart resumes from); `state` may be ahead of it. */
  private persistedState: SecondaryState;
  /** Set when an apply failed to persist, until the stream resumed from `persistedState`. */
  private persistFailure: Error | undefined;
  /** What this secondary keeps from its primary: replicated keys; a DR secondary everything but bookkeeping. */
  private readonly keyset: Keyset;
  isConnected = false;
  lastHeartbeat = '';
  /** The primary's last WAL index as of its last heartbeat (for lag). */
  primaryLastWal = 0;
  bytesReceived = 0;
  /** Applied transactions of streamed WAL entries, and the entries they carried (entries per apply). */
  appliesTotal = 0;
  appliedEntriesTotal = 0;
  /** Mount paths the primary's paths filter leaves out for us, as its last heartbeat or sync said. */
  filteredMounts: ReadonlySet<string>;
  streamState: StreamState = 'idle';
  syncProgress: { sync_total_keys: number; sync_progress: number } | undefined;
  /** Bytes received during the last Merkle resync (diff metadata plus fetched entries). */
  lastResyncBytes = 0;
  lastResyncKeys = 0;
  /** Wall time of the last Merkle resync, from the bucket request to the last batch applied. */
  lastResyncMs = 0;

  constructor(private readonly options: SecondaryStreamOptions) {
    this.state = options.initial;
    this.persistedState = options.initial;
    this.keyset = options.initial.kind === 'dr' ? DR_KEYSET : performanceKeyset();
    this.filteredMounts = new Set(options.initial.filteredMounts ?? []);
    this.log = options.logger.child({ module: 'replication-secondary' });
    this.rotation = new PrimaryAddressRotation(this.state.primaryClusterAddr, this.state.knownPrimaryClusterAddrs);
    this.client = new ClusterClient(this.rotation.current, { caCertPem: this.state.caCertPem, client: this.state.client }, () => ({
      'x-ferry-epoch': String(this.state.epoch),
      'x-ferry-api-addr': options.apiAddr,
      'x-ferry-cluster-addr': options.clusterAddr,
      ...(this.state.keysetVersion === undefined ? {} : { 'x-ferry-keyset': this.state.keysetVersion }),
    }));
  }

  /** A Merkle sync runs or is due: this copy is known to be behind its primary. */
  get isCatchingUp(): boolean {
    return this.syncProgress !== undefined || this.state.needsResync === true;
  }

  get lastRemoteWal(): number {
    return this.state.lastRemoteWal;
  }

  /** The primary node's cluster address this stream dials now. */
  get primaryClusterAddr(): string {
    return this.client.address;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.cancel?.();
    this.client.close();
    await this.loop?.catch(() => undefined);
    // Promotion, demotion, a new primary: whatever comes next starts from persisted storage.
    await this.recoverFromPersistFailure();
    for (const w of this.waiters) w.resolve(false);
    this.waiters = [];
    this.isConnected = false;
    this.streamState = 'idle';
  }

  /** Resolves true once `index` is applied here, false after timeoutMs. */
  waitForWal(index: number, timeoutMs: number): Promise<boolean> {
    if (this.state.lastRemoteWal >= index) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = { index, resolve };
      this.waiters.push(waiter);
      setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs).unref();
    });
  }

  private async run(): Promise<void> {
    let backoff = 100;
    while (this.running) {
      try {
        this.streamState = 'connecting';
        await this.recoverFromPersistFailure();
        if (this.state.needsResync) await this.merkleSync();
        const outcome = await this.streamOnce();
        if (outcome === 'gone') await this.merkleSync();
        backoff = 100;
      } catch (err) {
        if (!this.running) break;
        this.log.warn({ err: (err as Error).message, primary_cluster_addr: this.client.address }, 'replication stream interrupted');
        // Another node of the primary cluster may be active now: try the next one at once, and back
        // off only once every known node failed in a row.
        const wrapped = this.rotation.advance();
        this.client.retarget(this.rotation.current);
        if (!wrapped) backoff = 100;
      }
      this.isConnected = false;
      if (!this.running) break;
      this.streamState = 'idle';
      await new Promise((r) => setTimeout(r, backoff));
      backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
    }
  }

  /** The primary's active node named its cluster's nodes: keep the list (stored, for restarts too). */
  private async learnPrimaryNodes(named: unknown): Promise<void> {
    if (!Array.isArray(named)) return;
    const addrs = named.filter((a): a is string => typeof a === 'string' && a !== '' && a.length <= 512).slice(0, 64);
    const known = this.state.knownPrimaryClusterAddrs ?? [];
    if (addrs.length === 0 || (addrs.length === known.length && addrs.every((a, i) => a === known[i]))) return;
    this.rotation.update(this.state.primaryClusterAddr, addrs);
    await this.commit([], { ...this.state, knownPrimaryClusterAddrs: addrs });
    this.log.info({ known_primary_cluster_addrs: addrs }, 'learned the primary cluster nodes');
  }

  private async streamOnce(): Promise<'closed' | 'gone'> {
    let status = 0;
    let gone = false;
    let lastActivity = Date.now();
    const transfer = this.client.streamFrames(
      `/v1/replication/stream?from=${this.state.lastRemoteWal + 1}`,
      (s) => {
        lastActivity = Date.now();
        status = s;
        if (s === 200) {
          this.isConnected = true;
          this.streamState = 'stream-wals';
          this.log.info({ primary_cluster_addr: this.client.address, from: this.state.lastRemoteWal + 1 }, 'streaming from the primary');
        }
      },
      async (items) => {
        lastActivity = Date.now();
        if (status !== 200) return;
        // Every WAL entry of one received chunk is applied in one transaction.
        const entries: WalEntry[] = [];
        let named: unknown;
        for (const item of items) {
          // A binary frame: a WAL entry decoded straight into storage ops, or a control frame (JSON).
          if (typeof item !== 'string' && !isControlFrame(item)) {
            this.bytesReceived += item.length + 4;
            const entry = decodeWalEntry(item);
            entries.push(entry);
            this.primaryLastWal = Math.max(this.primaryLastWal, entry.index);
            continue;
          }
          this.bytesReceived += item.length + (typeof item === 'string' ? 1 : 4);
          const frame = JSON.parse(item.toString()) as Frame;
          if (frame.type === 'heartbeat') {
            this.lastHeartbeat = new Date().toISOString();
            this.primaryLastWal = frame.last_wal ?? this.primaryLastWal;
            if (frame.filtered_mounts !== undefined) this.filteredMounts = new Set(frame.filtered_mounts);
            if ((frame.epoch ?? 0) < this.state.epoch) throw new Error('primary epoch is older than ours; refusing its stream');
            named = frame.cluster_addrs ?? named;
            this.isAckWanted = frame.acks_wanted === true;
            this.acknowledge();
          } else if (frame.type === 'gone') {
            gone = true;
          } else if (frame.entry !== undefined) {
            const entry = walEntryFromJson(frame.entry);
            entries.push(entry);
            this.primaryLastWal = Math.max(this.primaryLastWal, entry.index);
          }
        }
        if (entries.length > 0) await this.apply(entries);
        // Acknowledgements newly wanted: flush what was applied without a flush before acking it.
        if (this.isAckWanted && this.flushedWal < this.state.lastRemoteWal) await this.commit([], this.state);
        if (named !== undefined) await this.learnPrimaryNodes(named);
      },
    );
    this.cancel = transfer.cancel;
    const watchdog = setInterval(() => {
      if (Date.now() - lastActivity > STREAM_SILENCE_MS) {
        this.log.warn({ silent_ms: Date.now() - lastActivity }, 'replication stream went silent; reconnecting');
        transfer.cancel();
        this.client.close();
      }
    }, 1000);
    try {
      await transfer.done;
    } finally {
      clearInterval(watchdog);
    }
    if (status === 410 || gone) return 'gone';
    if (status === 409) throw new Error('the primary refused the stream: it belongs to an older replication epoch than this secondary');
    if (status !== 200) throw new Error(`primary refused the stream with status ${status}`);
    return 'closed';
  }

  private async apply(entries: readonly WalEntry[]): Promise<void> {
    if (this.persistFailure !== undefined) throw this.persistFailure;
    const fresh = entries.filter((e) => e.index > this.state.lastRemoteWal);
    if (fresh.length === 0) return;
    for (const e of fresh) if (e.epoch < this.state.epoch) throw new Error('refusing a WAL entry from an older epoch');
    const last = fresh[fresh.length - 1] as WalEntry;
    replicationTrace.mark('apply', (fresh[0] as WalEntry).index, last.index);
    const ops: StorageOp[] = [];
    for (const e of fresh) for (const op of e.ops) if (travels(this.keyset, op)) ops.push(op);
    // An asynchronous copy of the primary's WAL need not wait for an fsync: its position commits with
    // its data, so a crash of this process loses neither and a power loss rolls both back together
    // (the lost suffix streams again). Not when the primary waits for our acknowledgements. Nor need
    // it wait for the commit: the chunk is visible at once and persisted behind (applyAhead).
    const next = { ...this.state, lastRemoteWal: last.index };
    if (this.isAckWanted || !(await this.applyAhead(ops, next))) await this.commit(ops, next, !this.isAckWanted);
    replicationTrace.mark('published', (fresh[0] as WalEntry).index, last.index);
    this.appliesTotal += 1;
    this.appliedEntriesTotal += fresh.length;
    await this.options.core.onReplicatedChange(changedKeys(ops));
  }

  /**
   * Makes a chunk visible now and persists it behind: `this.state` (what the stream resumes from,
   * what X-Vault-Index waits for) moves at once, `persistedState` once it committed. A failed persist
   * drops every apply not yet persisted and ends the stream, which resumes from what was persisted.
   * False when this storage cannot apply ahead (relaying, a delete-prefix).
   */
  private async applyAhead(ops: StorageOp[], next: SecondaryState): Promise<boolean> {
    const write = this.options.wal.applyRemoteAhead([...ops, replicationStateOp(this.options.core.barrier, next)], () => {
      this.persistedState = next;
      replicationTrace.mark('persisted', 0, next.lastRemoteWal);
    });
    if (write === undefined) return false;
    write.persisted.catch((err: unknown) => this.persistFailed(err));
    await write.visible;
    this.publish(next);
    return true;
  }

  private persistFailed(err: unknown): void {
    if (this.persistFailure !== undefined) return;
    this.persistFailure = err instanceof Error ? err : new Error(String(err));
    this.log.warn(
      { err: this.persistFailure.message, persisted_wal: this.persistedState.lastRemoteWal },
      'replicated apply failed to persist; resuming from the persisted index',
    );
    this.cancel?.();
  }

  /** After a failed persist (once nothing is left in flight): back to the persisted position, caches told. */
  private async recoverFromPersistFailure(): Promise<void> {
    const dropped = await this.options.wal.drainApplies();
    if (this.persistFailure === undefined) return;
    this.persistFailure = undefined;
    this.state = { ...this.state, lastRemoteWal: this.persistedState.lastRemoteWal };
    this.options.onState(this.state);
    if (dropped.length > 0) await this.options.core.onReplicatedChange(dropped);
  }

  private async commit(ops: StorageOp[], next: SecondaryState, canDeferFlush = false): Promise<void> {
    await this.options.wal.applyRemote([...ops, replicationStateOp(this.options.core.barrier, next)], { canDeferFlush });
    if (!canDeferFlush) this.flushedWal = next.lastRemoteWal;
    this.persistedState = next;
    this.publish(next);
  }

  /** `next` is what this secondary serves: its position, for readers, waiters and acknowledgements. */
  private publish(next: SecondaryState): void {
    this.state = next;
    this.options.onState(next);
    this.acknowledge();
    const ready = this.waiters.filter((w) => w.index <= next.lastRemoteWal);
    this.waiters = this.waiters.filter((w) => w.index > next.lastRemoteWal);
    for (const w of ready) w.resolve(true);
  }

  /** The state after a completed Merkle sync: the primary's position, under the keyset it synced. */
  private synced(remote: { last_wal: number; keyset_version?: string; filtered_mounts?: string[] }): SecondaryState {
    const { keysetVersion: _version, filteredMounts: _filtered, ...rest } = this.state;
    this.filteredMounts = new Set(remote.filtered_mounts ?? []);
    return {
      ...rest,
      lastRemoteWal: remote.last_wal,
      needsResync: false,
      ...(remote.keyset_version === undefined ? {} : { keysetVersion: remote.keyset_version }),
      ...(remote.filtered_mounts === undefined || remote.filtered_mounts.length === 0 ? {} : { filteredMounts: remote.filtered_mounts }),
    };
  }

  /**
   * Tells the primary, when it asked for acknowledgements, the last WAL index committed here (only
   * ever after the storage commit). One request at a time, at once (no waiting for a heartbeat);
   * commits made meanwhile are covered by the next one. A failed ack is repeated on the next
   * commit or heartbeat, and a reconnect acknowledges by asking from the next index.
   */
  private acknowledge(): void {
    if (!this.isAckWanted || this.isAcking || this.ackedWal >= this.flushedWal) return;
    this.isAcking = true;
    void this.sendAcks().finally(() => (this.isAcking = false));
  }

  private async sendAcks(): Promise<void> {
    try {
      while (this.running && this.isAckWanted && this.ackedWal < this.flushedWal) {
        const walIndex = this.flushedWal;
        const res = await this.client.request('POST', '/v1/replication/ack', { wal_index: walIndex }, ACK_TIMEOUT_MS);
        if (res.status !== 204) return;
        this.ackedWal = walIndex;
      }
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'replication acknowledgement failed');
    }
  }

  /**
   * Merkle reconciliation: compare bucket hashes, then the sub-bucket hashes of differing buckets
   * and the leaves of differing sub-buckets (merkle-diff.ts), then fetch only the keys whose leaves
   * differ (deleting those the primary no longer has).
   */
  private async merkleSync(): Promise<void> {
    await this.recoverFromPersistFailure();
    this.streamState = 'merkle-diff';
    const startedMs = performance.now();
    const diff = await diffWithPrimary(this.client, this.options.wal.merkle, this.keyset);
    const { remote } = diff;
    const digests = [...diff.digests];
    let bytes = diff.bytes;
    this.streamState = 'merkle-sync';
    const localNames = new Map((await this.options.wal.keysWithDigests(this.keyset, diff.digests)).map((key) => [keyDigest(key).toString('hex'), key]));
    this.syncProgress = { sync_total_keys: digests.length, sync_progress: 0 };
    // Each batch costs the primary one scan of its keyspace's names (the Merkle index keeps none):
    // few, large batches (a few MB of entries each).
    const BATCH = 4000;
    // The names changed, for the core's caches at the end (not the values: a large diff stays out of memory).
    const changed: string[] = [];
    for (let i = 0; i < digests.length; i += BATCH) {
      const batch = digests.slice(i, i + BATCH);
      const res = await this.client.request('POST', '/v1/replication/fetch', { key_digests: batch });
      bytes += res.body.length;
      const entries = (JSON.parse(res.body.toString('utf8')) as { entries: Record<string, string> }).entries;
      const ops: StorageOp[] = [];
      const fetched = new Set<string>();
      for (const [key, value] of Object.entries(entries)) {
        if (!this.keyset.includes(key)) continue;
        fetched.add(keyDigest(key).toString('hex'));
        ops.push({ op: 'put', key, value: Buffer.from(value, 'base64') });
      }
      // A digest the primary no longer has names a key it deleted.
      for (const digest of batch) {
        const local = localNames.get(digest);
        if (local !== undefined && !fetched.has(digest)) ops.push({ op: 'delete', key: local });
      }
      const final = i + BATCH >= digests.length;
      // The WAL position is adopted only with the last batch: a crash mid-sync just syncs again.
      await this.commit(ops, final ? this.synced(remote) : this.state);
      for (const key of changedKeys(ops)) changed.push(key);
      this.syncProgress = { sync_total_keys: digests.length, sync_progress: Math.min(digests.length, i + BATCH) };
    }
    if (digests.length === 0) await this.commit([], this.synced(remote));
    this.lastResyncBytes = bytes;
    this.lastResyncKeys = digests.length;
    this.lastResyncMs = Math.round(performance.now() - startedMs);
    this.syncProgress = undefined;
    this.log.info({ keys: digests.length, bytes }, 'merkle sync complete');
    await this.options.core.onReplicatedChange(changed);
  }
}

function travels(keyset: Keyset, op: StorageOp): boolean {
  return op.op === 'delete-prefix' ? keyset.includesPrefix(op.prefix) : keyset.includes(op.key);
}

function changedKeys(ops: readonly StorageOp[]): string[] {
  return ops.map((op) => (op.op === 'delete-prefix' ? op.prefix : op.key));
}
