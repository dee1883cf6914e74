import http2, { type Http2SecureServer, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { Core } from '../core/core.js';
import type { BootstrapHeader } from './activation-bundle.js';
import { certificateSerial } from './cluster-ca.js';
import type { SharedClusterPort } from './cluster-port.js';
import { handleForwardedRequest } from './forwarded-request.js';
import { handleLoginEntityRequest, LOGIN_ENTITY_PATH } from './login-entity-request.js';
import { answerSubBuckets, answerSubLeaves, MERKLE_BYTES_CONTENT_TYPE, SUB_BUCKETS_PATH, SUB_LEAVES_PATH, type SubBucketAnswer } from './merkle-sub-buckets.js';
import type { Keyset } from './keyset.js';
import type { KnownSecondary, PrimaryState } from './replication-state.js';
import { filteredMountPaths, keysetOf, keysetVersion, UNFILTERED_VERSION } from './secondary-keyset.js';
import { filterWalEntry } from './wal-entry-filter.js';
import { decodeWalEntry, walEntryToJson, withoutDigests } from './wal-entry.js';
import { frameChunk, WAL_FRAMES_CONTENT_TYPE, WAL_FRAMES_DIGESTED_CONTENT_TYPE } from './wal-frames.js';
import type { WalStorage } from './wal-storage.js';
import { watchSessionLiveness } from './session-liveness.js';
import { replicationTrace } from './replication-trace.js';
import { StreamCadence } from './stream-cadence.js';
import { writeOrClose } from './write-or-close.js';

export interface SecondaryConnection {
  readonly id: string;
  connected: boolean;
  lastHeartbeat: string;
  apiAddress: string;
  clusterAddress: string;
  lastAckedWal: number;
  bytesStreamed: number;
  /** Writes of a chunk carrying WAL entries to this secondary. */
  chunksStreamed: number;
  /** Stream loops running for this secondary now (each owns its timers); connected iff > 0. */
  openStreams: number;
}

const HEARTBEAT_MS = 1000;
/** Most WAL entries a chunk carries: room for a busy period's worth at about 10,000 writes/s (see StreamCadence). */
const STREAM_BATCH = 1024;

export interface ClusterServerOptions {
  readonly core: Core;
  readonly wal: WalStorage;
  readonly logger: Logger;
  readonly state: () => PrimaryState | undefined;
  readonly devRootToken?: string;
  /** Told when a peer presents a newer replication epoch: this primary has been superseded. */
  readonly onNewerEpoch: (epoch: number) => void;
  /** Every node of this (HA) cluster's cluster address, sent with each heartbeat (empty: not HA). */
  readonly clusterAddrs?: () => readonly string[];
  /** Synchronous DR: which secondaries should acknowledge commits, and where their acks go. */
  readonly acks?: SecondaryAcks;
  /** The cluster port shared with HA request forwarding (unset: this server binds the port alone). */
  readonly sharedPort?: SharedClusterPort;
}

/** The acknowledgements a primary collects (see SyncAckWaiter). */
export interface SecondaryAcks {
  isWanted(secondaryId: string): boolean;
  ack(secondaryId: string, walIndex: number): void;
}

/**
 * The primary's side of the replication channel on the cluster port: HTTP/2 over mutual TLS
 * (server certificate and client certificates from the primary's private CA). One connection
 * per secondary multiplexes the WAL stream, bootstrap/resync transfers and forwarded writes.
 */
export class ClusterServer {
  private server: Http2SecureServer | undefined;
  private isAttached = false;
  readonly connections = new Map<string, SecondaryConnection>();
  private readonly sessions = new Map<string, Set<http2.Http2Session>>();
  private readonly log: Logger;

  constructor(private readonly options: ClusterServerOptions) {
    this.log = options.logger.child({ module: 'replication-server' });
  }

  /**
   * Binds the cluster port. `initial` supplies the TLS material of a role not committed yet (the
   * listener is bound before the role is stored, so a port in use changes nothing); until then
   * `state()` answers undefined and every peer is refused.
   */
  async start(host: string, port: number, initial?: PrimaryState): Promise<void> {
    const state = initial ?? this.options.state();
    if (state === undefined) throw new Error('cluster server needs primary state');
    const shared = this.options.sharedPort;
    if (shared !== undefined) {
      const tls = { key: state.server.keyPem, cert: state.server.certPem, ca: state.ca.certPem };
      await shared.attach(undefined, { tls, handle: (req, res) => this.onRequest(req, res) });
      this.isAttached = true;
      return;
    }
    const server = http2.createSecureServer({
      key: state.server.keyPem,
      cert: state.server.certPem,
      ca: state.ca.certPem,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.3',
    });
    server.on('session', (session) => session.on('error', () => undefined));
    server.on('request', (req, res) => this.onRequest(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
  }

  private onRequest(req: Http2ServerRequest, res: Http2ServerResponse): void {
    this.route(req, res).catch((err) => {
      this.log.warn({ err: String(err), path: req.url }, 'cluster request failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: ['internal error'] }));
    });
  }

  async stop(): Promise<void> {
    if (this.isAttached) {
      this.isAttached = false;
      for (const set of this.sessions.values()) for (const s of set) s.destroy();
      await this.options.sharedPort?.detach(undefined);
      return;
    }
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    for (const set of this.sessions.values()) for (const s of set) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Cuts a revoked secondary's connections at once. */
  disconnect(secondaryId: string): void {
    for (const s of this.sessions.get(secondaryId) ?? []) s.destroy();
    this.sessions.delete(secondaryId);
    const conn = this.connections.get(secondaryId);
    if (conn) conn.connected = false;
  }

  private authenticate(req: Http2ServerRequest): KnownSecondary | undefined {
    const state = this.options.state();
    const socket = req.socket as unknown as TLSSocket;
    const peer = socket.getPeerCertificate?.(true);
    if (state === undefined || peer === undefined || peer.raw === undefined) return undefined;
    const serial = certificateSerial(peer.raw);
    return Object.values(state.secondaries).find((s) => s.certSerial.replace(/^0+/, '') === serial);
  }

  private async route(req: Http2ServerRequest, res: Http2ServerResponse): Promise<void> {
    const secondary = this.authenticate(req);
    if (secondary === undefined) {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: ['unknown or revoked secondary'] }));
      req.stream.session?.close();
      return;
    }
    const session = req.stream.session;
    if (session) {
      let set = this.sessions.get(secondary.id);
      if (set === undefined) this.sessions.set(secondary.id, (set = new Set()));
      set.add(session);
      session.once('close', () => set?.delete(session));
      watchSessionLiveness(session);
    }
    const url = new URL(req.url, 'https://cluster');
    const epochHeader = Number(req.headers['x-ferry-epoch'] ?? 0);
    const state = this.options.state() as PrimaryState;
    if (epochHeader > state.epoch) {
      res.writeHead(409, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: ['this primary has been superseded by a newer epoch'] }));
      this.options.onNewerEpoch(epochHeader);
      return;
    }
    // Each secondary receives its own keyset (DR: everything; performance: less its paths filter).
    const keyset = this.keysetOf(secondary);
    switch (`${req.method} ${url.pathname}`) {
      case 'GET /v1/replication/stream':
        return this.stream(secondary, req, res, Number(url.searchParams.get('from') ?? '0'));
      case 'POST /v1/replication/ack': {
        // The secondary has committed everything up to wal_index to its own storage.
        const body = (await readJson(req).catch(() => ({}))) as { wal_index?: unknown };
        if (typeof body.wal_index !== 'number') return json(res, 400, { errors: ['ack: wal_index must be a number'] });
        this.options.acks?.ack(secondary.id, body.wal_index);
        res.writeHead(204);
        res.end();
        return;
      }
      case 'POST /v1/replication/fence':
        // Reached only when the caller's epoch is not newer (a newer one was handled above).
        return json(res, 200, { epoch: state.epoch });
      case 'GET /v1/replication/bootstrap':
        return this.bootstrap(secondary, keyset, res);
      case 'POST /v1/replication/forward':
        return this.forward(req, res);
      case `POST ${LOGIN_ENTITY_PATH}`:
        return this.loginEntity(req, res);
      case 'GET /v1/replication/merkle/buckets':
        return json(res, 200, {
          buckets: this.options.wal.merkle.bucketDigest(keyset).toString('base64'),
          last_wal: this.options.wal.lastWal,
          root: this.options.wal.merkle.root(keyset),
          keyset_version: keysetVersion(secondary),
          filtered_mounts: filteredMountPaths(secondary, this.options.core),
        });
      case 'POST /v1/replication/merkle/leaves': {
        const body = (await readJson(req)) as { buckets?: number[] };
        return json(res, 200, { leaves: this.options.wal.merkle.leafDigests(keyset, new Set(body.buckets ?? [])).toString('base64') });
      }
      case `POST ${SUB_BUCKETS_PATH}`:
        return answer(res, answerSubBuckets(this.options.wal.merkle, keyset, await readJson(req).catch(() => null)));
      case `POST ${SUB_LEAVES_PATH}`:
        return answer(res, answerSubLeaves(this.options.wal.merkle, keyset, await readJson(req).catch(() => null)));
      case 'POST /v1/replication/fetch': {
        // Keys are named by digest (see MerkleIndex.leafDigests); unknown digests are deleted keys.
        const body = (await readJson(req)) as { key_digests?: string[] };
        const wanted = new Set(body.key_digests ?? []);
        const entries: Record<string, string> = {};
        for (const key of await this.options.wal.keysWithDigests(keyset, wanted)) {
          const value = await this.options.wal.get(key);
          if (value !== undefined && keyset.includes(key)) entries[key] = value.toString('base64');
        }
        return json(res, 200, { entries });
      }
      default:
        return json(res, 404, { errors: ['unknown replication endpoint'] });
    }
  }

  /** The secondary's keyset as its stored kind and filter decide now (the current mount tables resolve filter paths). */
  private keysetOf(secondary: KnownSecondary): Keyset {
    return keysetOf(secondary, this.options.core);
  }

  /** The secondary as the primary's state knows it now (undefined once revoked). */
  private known(id: string): KnownSecondary | undefined {
    return this.options.state()?.secondaries[id];
  }

  private async bootstrap(secondary: KnownSecondary, keyset: Keyset, res: Http2ServerResponse): Promise<void> {
    const state = this.options.state() as PrimaryState;
    const header: BootstrapHeader = {
      root_key: this.options.core.seal.currentRootKey().toString('base64'),
      cluster_id: state.clusterId,
      epoch: state.epoch,
      last_wal: this.options.wal.lastWal,
      keyset_version: keysetVersion(secondary),
      filtered_mounts: filteredMountPaths(secondary, this.options.core),
      ...(this.options.devRootToken === undefined ? {} : { dev_root_token: this.options.devRootToken }),
    };
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    // A secondary that goes away mid-transfer ends the scan (no writer left waiting for 'drain').
    if (!(await writeOrClose(res, JSON.stringify(header) + '\n'))) return;
    let after: string | undefined;
    for (;;) {
      const batch = await this.options.wal.scan('', { ...(after === undefined ? {} : { after }), limit: 1000 });
      if (batch.length === 0) break;
      let chunk = '';
      for (const e of batch) if (keyset.includes(e.key)) chunk += JSON.stringify([e.key, e.value.toString('base64')]) + '\n';
      if (chunk !== '' && !(await writeOrClose(res, chunk))) return;
      after = batch[batch.length - 1]?.key;
    }
    res.end();
  }

  private async stream(secondary: KnownSecondary, req: Http2ServerRequest, res: Http2ServerResponse, from: number): Promise<void> {
    const wal = this.options.wal;
    const oldest = wal.oldestRetainedWal;
    const after = Math.max(0, from - 1);
    if (after < wal.lastWal && (oldest === 0 || after + 1 < oldest)) {
      return json(res, 410, { errors: ['requested WAL index is no longer retained'], oldest_wal: oldest, last_wal: wal.lastWal });
    }
    // Data shipped under another keyset (its filter or kind changed since): resync first.
    const version = keysetVersion(secondary);
    if (String(req.headers['x-ferry-keyset'] ?? UNFILTERED_VERSION) !== version) {
      return json(res, 410, { errors: ['this secondary keyset changed: resync'], oldest_wal: oldest, last_wal: wal.lastWal });
    }
    const conn: SecondaryConnection = this.connections.get(secondary.id) ?? {
      id: secondary.id,
      connected: true,
      lastHeartbeat: new Date().toISOString(),
      apiAddress: '',
      clusterAddress: '',
      lastAckedWal: after,
      bytesStreamed: 0,
      chunksStreamed: 0,
      openStreams: 0,
    };
    conn.openStreams += 1;
    conn.connected = true;
    conn.apiAddress = String(req.headers['x-ferry-api-addr'] ?? '');
    conn.clusterAddress = String(req.headers['x-ferry-cluster-addr'] ?? '');
    this.connections.set(secondary.id, conn);
    // Asking from `from` says everything before it is committed there: an acknowledgement.
    this.options.acks?.ack(secondary.id, after);
    const isAckWanted = this.options.acks?.isWanted(secondary.id) === true;
    // Binary frames for a secondary that asks for them; NDJSON (entries as JSON) for one of an older build.
    const accept = String(req.headers.accept ?? '');
    const isDigested = accept.includes(WAL_FRAMES_DIGESTED_CONTENT_TYPE);
    const isBinary = isDigested || accept.includes(WAL_FRAMES_CONTENT_TYPE);
    res.writeHead(200, { 'content-type': isDigested ? WAL_FRAMES_DIGESTED_CONTENT_TYPE : isBinary ? WAL_FRAMES_CONTENT_TYPE : 'application/x-ndjson' });
    const control = (frame: object): Buffer | string => (isBinary ? frameChunk([Buffer.from(JSON.stringify(frame))]) : JSON.stringify(frame) + '\n');
    let sent = after;
    let closed = false;
    let wake: (() => void) | undefined;
    const onWal = () => {
      replicationTrace.mark('wal', 0, wal.lastWal, secondary.id);
      wake?.();
    };
    wal.on('wal', onWal);
    const heartbeat = setInterval(() => wake?.(), HEARTBEAT_MS);
    const finish = () => {
      closed = true;
      wake?.();
    };
    res.on('close', finish);
    req.on('aborted', finish);
    let heartbeatDue = true;
    // A DR secondary's lag is its recovery point: it keeps the short period under load.
    const cadence = new StreamCadence(secondary.kind !== 'dr');
    const heartbeatTimer = setInterval(() => {
      heartbeatDue = true;
    }, HEARTBEAT_MS);
    try {
      while (!closed) {
        const entries = sent < wal.lastWal ? await wal.readWalSerialized(sent, STREAM_BATCH) : [];
        const known = this.known(secondary.id);
        if ((entries.length > 0 && (entries[0] as { index: number }).index !== sent + 1) || (known !== undefined && keysetVersion(known) !== version)) {
          // The retained log moved past this secondary while it streamed, or its keyset changed: make it resync.
          await writeOrClose(res, control({ type: 'gone', last_wal: wal.lastWal }));
          break;
        }
        // Resolved after reading the entries: a mount they write to is already in the mount table.
        const keyset = this.keysetOf(known ?? secondary);
        const payloads: Buffer[] = [];
        let lines = '';
        for (const entry of entries) {
          const bytes = filterWalEntry(entry, keyset);
          if (isDigested) payloads.push(bytes);
          else if (isBinary) payloads.push(withoutDigests(bytes));
          else lines += `{"type":"wal","entry":${walEntryToJson(decodeWalEntry(bytes))}}\n`;
          sent = entry.index;
        }
        if (heartbeatDue || entries.length === 0) {
          const addrs = this.options.clusterAddrs?.() ?? [];
          const heartbeat = {
            type: 'heartbeat',
            last_wal: wal.lastWal,
            epoch: (this.options.state() as PrimaryState).epoch,
            time: new Date().toISOString(),
            filtered_mounts: filteredMountPaths(known ?? secondary, this.options.core),
            ...(isAckWanted ? { acks_wanted: true } : {}),
          };
          const text = JSON.stringify(addrs.length > 0 ? { ...heartbeat, cluster_addrs: addrs } : heartbeat);
          if (isBinary) payloads.push(Buffer.from(text));
          else lines += text + '\n';
          heartbeatDue = false;
        }
        const chunk = isBinary ? frameChunk(payloads) : lines;
        const first = (entries[0] as { index: number } | undefined)?.index ?? 0;
        if (entries.length > 0) replicationTrace.mark('encoded', first, sent, secondary.id);
        // Back-pressure waits here; a secondary that disconnects meanwhile ends the loop at once.
        cadence.sent(entries.length, performance.now());
        if (!(await writeOrClose(res, chunk))) break;
        if (entries.length > 0) replicationTrace.mark('written', first, sent, secondary.id);
        conn.bytesStreamed += Buffer.byteLength(chunk);
        if (entries.length > 0) conn.chunksStreamed += 1;
        conn.lastHeartbeat = new Date().toISOString();
        conn.lastAckedWal = sent;
        if (sent >= wal.lastWal && !closed) {
          await new Promise<void>((resolve) => (wake = resolve));
          // Not when clients wait for this secondary's acknowledgement (synchronous DR).
          const coalesceMs = cadence.waitMs(performance.now());
          if (!isAckWanted && coalesceMs > 0) await new Promise<void>((resolve) => setTimeout(resolve, coalesceMs));
        }
        wake = undefined;
      }
    } finally {
      clearInterval(heartbeat);
      clearInterval(heartbeatTimer);
      wal.off('wal', onWal);
      res.off('close', finish);
      req.off('aborted', finish);
      // A newer stream of the same secondary may have started meanwhile: it keeps it connected.
      conn.openStreams -= 1;
      conn.connected = conn.openStreams > 0;
      if (!res.writableEnded) res.end();
    }
  }

  /** A write forwarded by a secondary: decided and authorised here, on the state it changes. */
  private async forward(req: Http2ServerRequest, res: Http2ServerResponse): Promise<void> {
    let body: unknown;
    try {
      body = await readJson(req);
    } catch {
      return json(res, 400, { errors: ['forwarded request: invalid JSON'] });
    }
    const answer = await handleForwardedRequest(
      this.options.core,
      body,
      () => this.options.wal.lastWal,
      (err) => this.log.error({ err: String(err) }, 'forwarded request failed'),
    );
    json(res, 200, answer);
  }

  /** A secondary's first login of a name: the entity is made here, where identity is written. */
  private async loginEntity(req: Http2ServerRequest, res: Http2ServerResponse): Promise<void> {
    let body: unknown;
    try {
      body = await readJson(req);
    } catch {
      return json(res, 400, { errors: ['login entity request: invalid JSON'] });
    }
    try {
      const answer = await handleLoginEntityRequest(this.options.core, body, () => this.options.wal.lastWal);
      json(res, answer.status, answer.body);
    } catch (err) {
      this.log.error({ err: String(err) }, 'login entity request failed');
      json(res, 500, { errors: ['internal error'] });
    }
  }
}

function json(res: Http2ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function answer(res: Http2ServerResponse, reply: SubBucketAnswer): void {
  if (reply.status !== 200) return json(res, reply.status, { errors: reply.errors });
  res.writeHead(200, { 'content-type': MERKLE_BYTES_CONTENT_TYPE });
  res.end(reply.body);
}

async function readJson(req: Http2ServerRequest): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024 * 1024) throw new Error('replication request too large');
    chunks.push(chunk as Buffer);
  }
  return chunks.length === 0 ? {} : JSON.parse(Buffer.concat(chunks).toString('utf8'));
}
