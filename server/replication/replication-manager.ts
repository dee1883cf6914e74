import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import type { Logger } from 'pino';
import { encryptWithStoredKeyring, KEYRING_PATH } from '../core/barrier.js';
import type { Core } from '../core/core.js';
import type { LogicalRequest } from '../core/logical.js';
import type { ReplicationMode, ReplicationView } from '../core/replication-role.js';
import { parseDurationSeconds } from '../core/duration.js';
import { invalidRequest, VaultError } from '../core/vault-error.js';
import { wrapResponse } from '../core/wrapping/response-wrapper.js';
import type { StorageOp } from '../storage/backend.js';
import { SerialQueue } from '../storage/serial-queue.js';
import { isActivationBundle, type ActivationBundle, type BootstrapHeader } from './activation-bundle.js';
import { BodyTooLargeError, MAX_API_ANSWER_BYTES, readBoundedBody } from './bounded-body.js';
import { ClusterCa } from './cluster-ca.js';
import { ClusterClient } from './cluster-client.js';
import { ClusterServer } from './cluster-server.js';
import { forwardedRequestOf, type ForwardedAnswer } from './forwarded-request.js';
import { isReplicatedKey } from './replication-filter.js';
import { isDetached, loadReplicationState, STATE_KEY, type PrimaryState, type ReplicationState, type SecondaryState } from './replication-state.js';
import { SecondaryStream } from './secondary-stream.js';
import type { WalStorage } from './wal-storage.js';

export interface ReplicationOptions {
  readonly core: Core;
  readonly wal: WalStorage;
  readonly logger: Logger;
  readonly apiAddr: string;
  readonly clusterAddr: string;
  /** Dev mode: the root token id a dev secondary adopts. */
  readonly devRootToken?: string;
  readonly isDev: boolean;
}

export const WARNINGS = {
  primaryEnable: 'This cluster is being enabled as a primary for replication. Vault will be unavailable for a brief period and will resume service shortly.',
  secondaryEnable:
    'Vault has successfully found secondary information; it may take a while to perform setup tasks. Vault will be unavailable until these tasks and initial sync complete.',
  disable: 'This cluster is having replication disabled. Vault will be unavailable for a brief period and will resume service shortly.',
  demote: 'This cluster is being demoted to a replication secondary. Vault will be unavailable for a brief period and will resume service shortly.',
  promote: 'This cluster is being promoted to a replication primary. Vault will be unavailable for a brief period and will resume service shortly.',
  otherSecondaries: 'Other secondaries of the previous primary must be pointed at this cluster with a new secondary token and secondary/update-primary.',
} as const;

const READ_AFTER_WRITE_WAIT_MS = 2000;

function hostPort(addr: string): { host: string; port: number } {
  const url = new URL(/^[a-z]+:\/\//.test(addr) ? addr : `https://${addr}`);
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 8201) };
}

/**
 * The replication engine of one cluster: its role, the cluster listener when primary, the
 * stream when secondary, activation, forwarding and status. Implements the core's
 * ReplicationView so the core and sys/ paths can ask for the mode.
 */
export class ReplicationManager implements ReplicationView {
  private state: ReplicationState = { role: 'disabled' };
  private server: ClusterServer | undefined;
  private secondaryStream: SecondaryStream | undefined;
  private activating = false;
  private readonly log: Logger;
  /** Role changes and secondary bookkeeping are read-modify-write of one state: one at a time. */
  private readonly changes = new SerialQueue();

  constructor(readonly options: ReplicationOptions) {
    this.log = options.logger.child({ module: 'replication' });
    options.core.replication = this;
    options.core.addLifecycleHook({ postUnseal: () => this.resume(), preSeal: () => this.pause() });
  }

  mode(): ReplicationMode {
    if (this.activating) return 'bootstrapping';
    return this.state.role;
  }

  get current(): ReplicationState {
    return this.state;
  }

  /** After unseal: load the stored role and start serving or streaming. */
  private async resume(): Promise<void> {
    await this.run(await loadReplicationState(this.options.core.barrier));
  }

  /** Adopts `state` in memory and starts what it runs: the cluster listener or the stream. */
  private async run(state: ReplicationState): Promise<void> {
    this.state = state;
    if (state.role === 'primary') {
      this.options.wal.setRole('primary', state.epoch);
      this.server = await this.bindClusterServer(state);
    } else if (state.role === 'secondary') {
      this.options.wal.setRole('secondary', state.epoch);
      if (!isDetached(state)) this.startStream(state);
    } else {
      this.options.wal.setRole('off', 0);
    }
  }

  /**
   * Undoes a role change that failed part-way: stops whatever the new role had started (and a
   * listener bound for it) and runs the previous state again. The state write is each change's
   * commit point, so a change that failed before or at it left the previous state in storage.
   */
  private async restore(previous: ReplicationState, bound?: ClusterServer): Promise<void> {
    await bound?.stop();
    await this.pause();
    try {
      await this.run(previous);
      this.log.warn({ role: previous.role }, 'role change failed; previous replication state restored');
    } catch (err) {
      this.log.error({ err: String(err) }, 'role change failed and the previous replication state could not be restarted');
    }
  }

  private fenceNotifier: { stop: () => void } | undefined;

  private async pause(): Promise<void> {
    this.fenceNotifier?.stop();
    this.fenceNotifier = undefined;
    await this.server?.stop();
    this.server = undefined;
    await this.secondaryStream?.stop();
    this.secondaryStream = undefined;
  }

  /**
   * Binds the cluster listener with `state`'s TLS material. A port in use or an address that
   * cannot be bound is the caller's mistake (a 400 naming the address), never a half-done role.
   */
  private async bindClusterServer(state: PrimaryState): Promise<ClusterServer> {
    const { host, port } = hostPort(this.options.clusterAddr);
    const server = new ClusterServer({
      core: this.options.core,
      wal: this.options.wal,
      logger: this.options.logger,
      state: () => (this.state.role === 'primary' ? this.state : undefined),
      onNewerEpoch: (epoch) => {
        void this.changes.run(() => this.fenceNow(epoch)).catch((err: unknown) => this.log.error({ err: String(err) }, 'fencing failed'));
      },
      ...(this.options.devRootToken === undefined ? {} : { devRootToken: this.options.devRootToken }),
    });
    const shown = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    try {
      await server.start(host, port, state);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') throw invalidRequest(`cluster address ${shown} is already in use`);
      if (code === 'EADDRNOTAVAIL' || code === 'EACCES') throw invalidRequest(`cannot listen on cluster address ${shown}: ${code}`);
      throw err;
    }
    this.log.info({ cluster_addr: this.options.clusterAddr }, 'replication cluster listener started');
    return server;
  }

  private startStream(state: SecondaryState): void {
    this.secondaryStream = new SecondaryStream({
      core: this.options.core,
      wal: this.options.wal,
      logger: this.options.logger,
      initial: state,
      apiAddr: this.options.apiAddr,
      clusterAddr: this.options.clusterAddr,
      onState: (next: SecondaryState) => {
        this.state = next;
      },
    });
    this.secondaryStream.start();
  }

  private async saveState(next: ReplicationState, extraOps: StorageOp[] = []): Promise<void> {
    const { core } = this.options;
    const value = core.barrier.encryptFor(STATE_KEY, Buffer.from(JSON.stringify(next)));
    await this.options.wal.applyRemote([...extraOps, { op: 'put', key: STATE_KEY, value }]);
    this.state = next;
  }

  // ---- primary ----

  enablePrimary(primaryClusterAddr: string): Promise<string[]> {
    return this.changes.run(() => this.enablePrimaryNow(primaryClusterAddr));
  }

  private async enablePrimaryNow(primaryClusterAddr: string): Promise<string[]> {
    if (this.state.role === 'secondary')
      throw invalidRequest(
        'cannot enable replication as a primary on a replication secondary; a cluster has exactly one role, and there is never more than one primary',
      );
    if (this.state.role === 'primary') throw invalidRequest('replication is already enabled as a primary on this cluster');
    const clusterId = randomUUID();
    const ca = await ClusterCa.create(clusterId);
    const { host } = hostPort(primaryClusterAddr || this.options.clusterAddr);
    const hosts = [...new Set([host, '127.0.0.1', 'localhost'])];
    const server = await ClusterCa.fromPem(ca.ca).issueServer(hosts);
    const next: PrimaryState = {
      role: 'primary',
      clusterId,
      epoch: 1,
      primaryClusterAddr,
      ca: ca.ca,
      server: { certPem: server.certPem, keyPem: server.keyPem },
      secondaries: {},
    };
    // The listener first: a cluster address in use refuses the change before anything is stored.
    const listener = await this.bindClusterServer(next);
    const previous = this.state;
    try {
      await this.options.wal.resetWal();
      await this.saveState(next);
    } catch (err) {
      await this.restore(previous, listener);
      throw err;
    }
    this.options.wal.setRole('primary', next.epoch);
    this.server = listener;
    this.log.info({ cluster_id: clusterId }, 'replication enabled as primary');
    return [WARNINGS.primaryEnable];
  }

  secondaryToken(id: string, ttl: string): Promise<Awaited<ReturnType<typeof wrapResponse>>> {
    return this.changes.run(() => this.secondaryTokenNow(id, ttl));
  }

  private async secondaryTokenNow(id: string, ttl: string): Promise<Awaited<ReturnType<typeof wrapResponse>>> {
    const state = this.requirePrimary();
    if (id.trim() === '') throw invalidRequest('missing required field "id"');
    if (!/^[A-Za-z0-9_.\-]{1,128}$/.test(id)) throw invalidRequest('invalid secondary id: use letters, digits, ".", "_" or "-"');
    if (state.secondaries[id] !== undefined) throw invalidRequest(`a secondary with id "${id}" already exists; revoke it first or choose another id`);
    const ttlSeconds = parseDurationSeconds(ttl === '' ? '30m' : ttl, 'ttl');
    if (ttlSeconds <= 0) throw invalidRequest('ttl must be positive');
    const client = await ClusterCa.fromPem(state.ca).issueClient(id);
    const bundle: ActivationBundle = {
      id,
      cluster_id: state.clusterId,
      primary_cluster_addr: state.primaryClusterAddr || this.options.clusterAddr,
      primary_api_addr: this.options.apiAddr,
      ca_cert: state.ca.certPem,
      client_cert: client.certPem,
      client_key: client.keyPem,
      epoch: state.epoch,
    };
    const wrapInfo = await wrapResponse(
      this.options.core,
      { data: { ...bundle } },
      { ttlSeconds, creationPath: 'sys/replication/primary/secondary-token', format: 'jwt' },
    );
    const now = Date.now();
    await this.saveState({
      ...state,
      secondaries: {
        ...state.secondaries,
        [id]: { id, certSerial: client.serial, issuedAt: new Date(now).toISOString(), tokenExpiresAt: new Date(now + ttlSeconds * 1000).toISOString() },
      },
    });
    return wrapInfo;
  }

  revokeSecondary(id: string): Promise<void> {
    return this.changes.run(() => this.revokeSecondaryNow(id));
  }

  private async revokeSecondaryNow(id: string): Promise<void> {
    const state = this.requirePrimary();
    if (state.secondaries[id] === undefined) throw invalidRequest(`no secondary with id "${id}"`);
    const secondaries = { ...state.secondaries };
    delete secondaries[id];
    await this.saveState({ ...state, secondaries });
    this.server?.disconnect(id);
    this.server?.connections.delete(id);
  }

  disablePrimary(): Promise<string[]> {
    return this.changes.run(() => this.disablePrimaryNow());
  }

  private async disablePrimaryNow(): Promise<string[]> {
    const previous = this.requirePrimary();
    await this.pause();
    try {
      await this.saveState({ role: 'disabled' });
    } catch (err) {
      await this.restore(previous);
      throw err;
    }
    this.options.wal.setRole('off', 0);
    await this.options.wal.resetWal();
    return [WARNINGS.disable];
  }

  private requirePrimary(): PrimaryState {
    if (this.state.role !== 'primary') throw invalidRequest('this cluster is not a replication primary');
    return this.state;
  }

  // ---- secondary ----

  /**
   * Activates this cluster as a secondary. Everything is validated first (token shape, type,
   * expiry, the unwrap at the primary, the bootstrap download); only then is storage wiped and
   * replaced, in one transaction, by the primary's replicated state and this cluster's new role.
   */
  enableSecondary(token: string, primaryApiAddr: string, ca: TrustOptions): Promise<string[]> {
    return this.changes.run(() => this.enableSecondaryNow(token, primaryApiAddr, ca));
  }

  private async enableSecondaryNow(token: string, primaryApiAddr: string, ca: TrustOptions): Promise<string[]> {
    if (this.state.role === 'primary') throw invalidRequest('this cluster is a replication primary; disable or demote it before enabling it as a secondary');
    if (this.state.role === 'secondary') throw invalidRequest('this cluster is already a replication secondary; use update-primary to change its primary');
    if (this.activating) throw invalidRequest('an activation is already in progress');
    const claims = checkActivationToken(token);
    const apiAddr = primaryApiAddr || claims.addr;
    if (apiAddr === '') throw invalidRequest('the activation token carries no primary API address; set primary_api_addr');
    this.activating = true;
    try {
      const bundle = await unwrapAtPrimary(apiAddr, token, ca);
      const client = new ClusterClient(
        bundle.primary_cluster_addr,
        { caCertPem: bundle.ca_cert, client: { certPem: bundle.client_cert, keyPem: bundle.client_key } },
        () => ({ 'x-ferry-epoch': String(bundle.epoch) }),
      );
      let header: BootstrapHeader | undefined;
      const entries: StorageOp[] = [];
      try {
        let status = 0;
        const transfer = client.stream(
          '/v1/replication/bootstrap',
          (s) => (status = s),
          async (lines) => {
            for (const line of lines) {
              if (header === undefined) {
                header = JSON.parse(line) as BootstrapHeader;
                continue;
              }
              const [key, value] = JSON.parse(line) as [string, string];
              if (isReplicatedKey(key)) entries.push({ op: 'put', key, value: Buffer.from(value, 'base64') });
            }
          },
        );
        await transfer.done;
        if (status !== 200 || header === undefined)
          throw new VaultError('invalid_request', `error fetching secondary bootstrap package from ${bundle.primary_cluster_addr}: status ${status}`);
      } catch (err) {
        if (err instanceof VaultError) throw err;
        throw new VaultError('invalid_request', `error fetching secondary bootstrap package from ${bundle.primary_cluster_addr}: ${(err as Error).message}`);
      } finally {
        client.close();
      }
      const boot = header as BootstrapHeader;
      const rootKey = Buffer.from(boot.root_key, 'base64');
      const keyring = entries.find((e) => e.op === 'put' && e.key === KEYRING_PATH);
      if (keyring === undefined || keyring.op !== 'put') throw new VaultError('invalid_request', 'bootstrap package has no keyring');
      const next: SecondaryState = {
        role: 'secondary',
        clusterId: bundle.cluster_id,
        epoch: boot.epoch,
        secondaryId: bundle.id,
        primaryClusterAddr: bundle.primary_cluster_addr,
        primaryApiAddr: apiAddr,
        caCertPem: bundle.ca_cert,
        client: { certPem: bundle.client_cert, keyPem: bundle.client_key },
        lastRemoteWal: boot.last_wal,
      };
      const stateValue = encryptWithStoredKeyring(keyring.value, rootKey, STATE_KEY, Buffer.from(JSON.stringify(next)));
      // Point of no return: the wipe, the primary's state and our new role commit together.
      const { core } = this.options;
      const previousRootKey = Buffer.from(core.seal.currentRootKey());
      await core.sealCore();
      try {
        await this.options.wal.applyRemote([{ op: 'delete-prefix', prefix: '' }, ...entries, { op: 'put', key: STATE_KEY, value: stateValue }]);
      } catch (err) {
        // The transaction did not commit: storage still holds this cluster as it was; unseal it again.
        this.activating = false;
        await core.seal.unsealWithRootKey(previousRootKey);
        await core.postUnseal();
        throw err;
      } finally {
        previousRootKey.fill(0);
      }
      await core.seal.unsealWithRootKey(rootKey);
      this.activating = false;
      await core.postUnseal();
      if (this.options.isDev && boot.dev_root_token !== undefined) {
        await core.tokens.create({ id: boot.dev_root_token, policies: ['root'], path: 'auth/token/root', displayName: 'root' });
      }
      this.log.info({ secondary_id: bundle.id, cluster_id: bundle.cluster_id }, 'replication enabled as secondary');
      return [WARNINGS.secondaryEnable];
    } finally {
      this.activating = false;
    }
  }

  disableSecondary(): Promise<string[]> {
    return this.changes.run(() => this.disableSecondaryNow());
  }

  private async disableSecondaryNow(): Promise<string[]> {
    if (this.state.role !== 'secondary') throw invalidRequest('this cluster is not a replication secondary');
    const previous = this.state;
    await this.pause();
    try {
      await this.saveState({ role: 'disabled' });
    } catch (err) {
      await this.restore(previous);
      throw err;
    }
    this.options.wal.setRole('off', 0);
    return [WARNINGS.disable];
  }

  // ---- lifecycle: demote, promote, update-primary, fencing ----

  demotePrimary(): Promise<string[]> {
    return this.changes.run(() => this.demotePrimaryNow());
  }

  /** The primary becomes a secondary that follows nobody; it keeps its cluster id and epoch. */
  private async demotePrimaryNow(): Promise<string[]> {
    const state = this.requirePrimary();
    await this.pause();
    try {
      await this.saveState(detachedSecondary(state.clusterId, state.epoch, this.options.wal.lastWal));
    } catch (err) {
      await this.restore(state);
      throw err;
    }
    this.options.wal.setRole('secondary', state.epoch);
    this.log.info({ epoch: state.epoch }, 'replication primary demoted');
    return [WARNINGS.demote];
  }

  /** A primary that learns of a newer epoch stops acting as primary at once (never two primaries). */
  private async fenceNow(epoch: number): Promise<void> {
    if (this.state.role !== 'primary' || epoch <= this.state.epoch) return;
    const clusterId = this.state.clusterId;
    await this.pause();
    await this.saveState({ ...detachedSecondary(clusterId, epoch, this.options.wal.lastWal), fencedByEpoch: epoch });
    this.options.wal.setRole('secondary', epoch);
    this.log.warn({ epoch }, 'a newer replication primary exists; this cluster stopped acting as primary');
  }

  promoteSecondary(primaryClusterAddr: string, force: boolean): Promise<string[]> {
    return this.changes.run(() => this.promoteSecondaryNow(primaryClusterAddr, force));
  }

  /**
   * The secondary becomes the primary of the same replication set under a new epoch. Without
   * `force` it refuses while it is still connected to a live primary: demote that one first.
   * The old primary is told of the new epoch (now, and again until it answers) and steps down.
   */
  private async promoteSecondaryNow(primaryClusterAddr: string, force: boolean): Promise<string[]> {
    if (this.state.role !== 'secondary') throw invalidRequest('this cluster is not a replication secondary');
    const old = this.state;
    if (!force && this.secondaryStream?.isConnected) {
      throw invalidRequest(
        'this secondary is still connected to a live primary; demote the primary first, or promote with force=true (writes not yet replicated here may be lost, and the old primary will be fenced)',
      );
    }
    const epoch = old.epoch + 1;
    const ca = await ClusterCa.create(old.clusterId);
    const { host } = hostPort(primaryClusterAddr || this.options.clusterAddr);
    const server = await ClusterCa.fromPem(ca.ca).issueServer([...new Set([host, '127.0.0.1', 'localhost'])]);
    const next: PrimaryState = {
      role: 'primary',
      clusterId: old.clusterId,
      epoch,
      primaryClusterAddr,
      ca: ca.ca,
      server: { certPem: server.certPem, keyPem: server.keyPem },
      secondaries: {},
    };
    // The listener first, while the stream still runs: a cluster address in use changes nothing.
    const listener = await this.bindClusterServer(next);
    await this.pause();
    try {
      await this.options.wal.resetWal();
      this.options.wal.setLastWal(old.lastRemoteWal);
      await this.saveState(next);
    } catch (err) {
      await this.restore(old, listener);
      throw err;
    }
    this.options.wal.setRole('primary', epoch);
    this.server = listener;
    if (!isDetached(old)) this.fenceNotifier = notifyOldPrimary(old, epoch, this.log);
    this.log.info({ epoch }, 'replication secondary promoted to primary');
    return [WARNINGS.promote, WARNINGS.otherSecondaries];
  }

  updatePrimary(token: string, primaryApiAddr: string, ca: TrustOptions): Promise<string[]> {
    return this.changes.run(() => this.updatePrimaryNow(token, primaryApiAddr, ca));
  }

  /**
   * Points a secondary (or a demoted or fenced primary) at a primary of the same replication set,
   * without a wipe: the stream restarts with a Merkle sync, since WAL indexes of different
   * primaries do not line up. An empty token forgets the current primary.
   */
  private async updatePrimaryNow(token: string, primaryApiAddr: string, ca: TrustOptions): Promise<string[]> {
    if (this.state.role !== 'secondary') throw invalidRequest('this cluster is not a replication secondary');
    const current = this.state;
    if (token === '') {
      await this.pause();
      try {
        await this.saveState(detachedSecondary(current.clusterId, current.epoch, current.lastRemoteWal));
      } catch (err) {
        await this.restore(current);
        throw err;
      }
      return [];
    }
    const claims = checkActivationToken(token);
    const apiAddr = primaryApiAddr || claims.addr;
    if (apiAddr === '') throw invalidRequest('the activation token carries no primary API address; set primary_api_addr');
    const bundle = await unwrapAtPrimary(apiAddr, token, ca);
    if (bundle.cluster_id !== current.clusterId) {
      throw invalidRequest('the token belongs to a different replication set (cluster id differs); use secondary/enable, which wipes this cluster');
    }
    if (bundle.epoch < current.epoch) throw invalidRequest(`the token comes from a primary of an older replication epoch (${bundle.epoch} < ${current.epoch})`);
    await this.pause();
    const next: SecondaryState = {
      role: 'secondary',
      clusterId: current.clusterId,
      epoch: bundle.epoch,
      secondaryId: bundle.id,
      primaryClusterAddr: bundle.primary_cluster_addr,
      primaryApiAddr: apiAddr,
      caCertPem: bundle.ca_cert,
      client: { certPem: bundle.client_cert, keyPem: bundle.client_key },
      lastRemoteWal: current.lastRemoteWal,
      needsResync: true,
    };
    try {
      await this.saveState(next);
    } catch (err) {
      await this.restore(current);
      throw err;
    }
    this.options.wal.setRole('secondary', next.epoch);
    this.startStream(next);
    this.log.info({ secondary_id: bundle.id, epoch: bundle.epoch }, 'replication secondary now follows a new primary');
    return [];
  }

  /** Rebuilds the Merkle index from storage. */
  async reindex(): Promise<string[]> {
    return this.changes.run(async () => {
      await this.options.wal.open();
      return ['Merkle index rebuilt from storage'];
    });
  }

  /** Restarts a secondary's stream (after a stuck or failed sync). */
  async recover(): Promise<string[]> {
    return this.changes.run(async () => {
      if (this.state.role !== 'secondary' || isDetached(this.state)) return ['nothing to recover: this cluster is not streaming from a primary'];
      await this.pause();
      this.startStream(this.state);
      return ['replication stream restarted'];
    });
  }

  /** Prometheus text exposition of the replication gauges and counters. */
  metrics(): string {
    const lines: string[] = [];
    const gauge = (name: string, help: string, value: number, type = 'gauge') =>
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value}`);
    const wal = this.options.wal;
    const role = this.state.role;
    gauge('ferry_replication_mode', 'Replication mode: 0 disabled, 1 primary, 2 secondary', role === 'primary' ? 1 : role === 'secondary' ? 2 : 0);
    gauge('ferry_replication_epoch', 'Replication fencing epoch', role === 'disabled' ? 0 : this.state.epoch);
    gauge('ferry_replication_merkle_keys', 'Replicated keys in the Merkle index', wal.merkle.size);
    if (this.state.role === 'primary') {
      const conns = [...(this.server?.connections.values() ?? [])];
      gauge('ferry_replication_last_wal', 'Last WAL index written by this primary', wal.lastWal);
      gauge('ferry_replication_oldest_retained_wal', 'Oldest WAL index still retained', wal.oldestRetainedWal);
      gauge('ferry_replication_known_secondaries', 'Secondaries with a token issued and not revoked', Object.keys(this.state.secondaries).length);
      gauge('ferry_replication_connected_secondaries', 'Secondaries streaming now', conns.filter((c) => c.connected).length);
      gauge(
        'ferry_replication_open_streams',
        'WAL stream loops running on this primary (each with its timers)',
        conns.reduce((a, c) => a + c.openStreams, 0),
      );
      gauge(
        'ferry_replication_bytes_streamed_total',
        'Bytes of WAL stream sent to secondaries',
        conns.reduce((a, c) => a + c.bytesStreamed, 0),
        'counter',
      );
      for (const c of conns) lines.push(`ferry_replication_secondary_lag_entries{secondary_id="${c.id}"} ${Math.max(0, wal.lastWal - c.lastAckedWal)}`);
    } else if (this.state.role === 'secondary') {
      const s = this.secondaryStream;
      gauge('ferry_replication_last_remote_wal', 'Last WAL index applied from the primary', this.state.lastRemoteWal);
      gauge(
        'ferry_replication_lag_entries',
        "WAL entries behind the primary's last heartbeat",
        Math.max(0, (s?.primaryLastWal ?? 0) - this.state.lastRemoteWal),
      );
      gauge('ferry_replication_connected', '1 when streaming from the primary', s?.isConnected ? 1 : 0);
      gauge('ferry_replication_bytes_received_total', 'Bytes of WAL stream received', s?.bytesReceived ?? 0, 'counter');
      gauge('ferry_replication_forwarded_requests_total', 'Requests forwarded to the primary', this.forwardedRequests, 'counter');
      gauge('ferry_replication_merkle_sync_total_keys', 'Keys to fetch in the running Merkle sync', s?.syncProgress?.sync_total_keys ?? 0);
      gauge('ferry_replication_merkle_sync_progress_keys', 'Keys fetched so far in the running Merkle sync', s?.syncProgress?.sync_progress ?? 0);
    }
    return lines.join('\n') + '\n';
  }

  // ---- forwarding ----

  /** Requests this secondary forwarded to its primary (a counter, for metrics). */
  private forwardedRequests = 0;

  /**
   * Forwards a write of replicated state to the primary and waits (bounded) until it streamed back.
   * The caller's token use was already taken here, where the token lives.
   */
  async forward(req: LogicalRequest): Promise<{ status: number; body: Buffer; warnings: string[] }> {
    const stream = this.secondaryStream;
    if (this.state.role === 'secondary' && isDetached(this.state)) {
      throw new VaultError(
        'read_only',
        this.state.fencedByEpoch !== undefined
          ? `this cluster stopped acting as primary: a newer primary (replication epoch ${this.state.fencedByEpoch}) exists; replicated writes are refused until this cluster follows it (secondary/update-primary)`
          : 'this cluster is a replication secondary without a primary (demoted); replicated writes are refused until it follows a primary (secondary/update-primary)',
      );
    }
    if (this.state.role !== 'secondary' || stream === undefined) throw new VaultError('read_only', 'cannot write to readonly storage');
    // Who the caller is and what it asked for; the primary decides create-vs-update and authorises.
    const fwd = forwardedRequestOf(req);
    this.forwardedRequests++;
    let answer: ForwardedAnswer;
    try {
      const res = await stream.client.request('POST', '/v1/replication/forward', fwd);
      if (res.status !== 200) throw new Error(`primary answered ${res.status}`);
      answer = JSON.parse(res.body.toString('utf8')) as ForwardedAnswer;
    } catch (err) {
      throw new VaultError('upstream', `error forwarding the request to the primary: ${(err as Error).message}`);
    }
    const caughtUp = await stream.waitForWal(answer.walIndex, READ_AFTER_WRITE_WAIT_MS);
    const warnings = caughtUp ? [] : ['the write was accepted by the primary but has not replicated to this secondary yet'];
    return { status: answer.status, body: answer.body === null ? Buffer.alloc(0) : Buffer.from(JSON.stringify(answer.body)), warnings };
  }

  // ---- status ----

  status(): Record<string, unknown> {
    const wal = this.options.wal;
    const state = this.state;
    if (this.activating) return { mode: 'bootstrapping', state: 'bootstrapping' };
    if (state.role === 'primary') {
      const conns = this.server?.connections ?? new Map();
      return {
        mode: 'primary',
        cluster_id: state.clusterId,
        known_secondaries: Object.keys(state.secondaries).sort(),
        secondaries: Object.keys(state.secondaries)
          .sort()
          .map((id) => {
            const c = conns.get(id);
            return {
              node_id: id,
              api_address: c?.apiAddress ?? '',
              cluster_address: c?.clusterAddress ?? '',
              connection_status: c?.connected ? 'connected' : 'disconnected',
              last_heartbeat: c?.lastHeartbeat ?? '',
            };
          }),
        last_wal: wal.lastWal,
        last_performance_wal: wal.lastWal,
        merkle_root: wal.merkle.root(),
        primary_cluster_addr: state.primaryClusterAddr,
        state: 'running',
        epoch: state.epoch,
      };
    }
    if (state.role === 'secondary') {
      const s = this.secondaryStream;
      return {
        mode: 'secondary',
        cluster_id: state.clusterId,
        secondary_id: state.secondaryId,
        known_primary_cluster_addrs: isDetached(state) ? [] : [state.primaryClusterAddr],
        primary_cluster_addr: state.primaryClusterAddr,
        primaries: [
          {
            api_address: state.primaryApiAddr,
            cluster_address: state.primaryClusterAddr,
            connection_status: s?.isConnected ? 'connected' : 'disconnected',
            last_heartbeat: s?.lastHeartbeat ?? '',
          },
        ],
        last_remote_wal: state.lastRemoteWal,
        merkle_root: wal.merkle.root(),
        state: s?.streamState ?? 'idle',
        connection_state: isDetached(state) ? 'shutdown' : s?.isConnected ? 'ready' : 'transient_failure',
        ...(state.fencedByEpoch === undefined ? {} : { fenced_by_epoch: state.fencedByEpoch }),
        epoch: state.epoch,
        ...(s?.syncProgress ? { merkle_sync_progress: s.syncProgress } : {}),
        // What the last Merkle resync fetched from the primary (zeros until one has run).
        merkle_sync_last: { keys: s?.lastResyncKeys ?? 0, bytes: s?.lastResyncBytes ?? 0 },
      };
    }
    return { mode: 'disabled' };
  }
}

interface ActivationClaims {
  readonly addr: string;
}

/** Checks what the secondary can check itself before any network call: shape, algorithm, type, time. */
export function checkActivationToken(token: string): ActivationClaims {
  if (typeof token !== 'string' || token.split('.').length !== 3) throw invalidRequest('invalid activation token: not a signed JWT');
  let header: ReturnType<typeof decodeProtectedHeader>;
  let claims: ReturnType<typeof decodeJwt>;
  try {
    header = decodeProtectedHeader(token);
    claims = decodeJwt(token);
  } catch {
    throw invalidRequest('invalid activation token: malformed JWT');
  }
  if (header.alg !== 'ES512') throw invalidRequest('invalid activation token: unexpected signing algorithm');
  if (claims.type !== 'wrapping') throw invalidRequest('invalid activation token: not a wrapping token');
  const now = Math.floor(Date.now() / 1000);
  if (typeof claims.exp !== 'number' || claims.exp < now - 5) throw invalidRequest('invalid activation token: expired');
  if (typeof claims.nbf === 'number' && claims.nbf > now + 30) throw invalidRequest('invalid activation token: not yet valid');
  return { addr: typeof claims.addr === 'string' ? claims.addr : '' };
}

/** How a secondary verifies the primary's API over https: `ca_file` and/or `ca_path`, else system roots. */
export interface TrustOptions {
  readonly caFile: string;
  readonly caPath: string;
}

/** The CA certificates of `ca_file` (one PEM file) and `ca_path` (a directory of PEM files). */
function trustAnchors({ caFile, caPath }: TrustOptions): Buffer[] | undefined {
  const out: Buffer[] = [];
  try {
    if (caFile !== '') out.push(readFileSync(caFile));
    if (caPath !== '') for (const name of readdirSync(caPath).sort()) out.push(readFileSync(join(caPath, name)));
  } catch (err) {
    throw invalidRequest(`cannot read the CA certificates given in ca_file/ca_path: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  return out.length > 0 ? out : undefined;
}

/**
 * Unwraps the activation token on the primary's API (TLS verified with ca_file when https). The
 * answer is read up to MAX_API_ANSWER_BYTES and refused past it, never truncated; an answer
 * that is not the expected JSON is a 400 that says so.
 */
async function unwrapAtPrimary(apiAddr: string, token: string, trust: TrustOptions): Promise<ActivationBundle> {
  const url = new URL('/v1/sys/wrapping/unwrap', apiAddr);
  const body = '{}';
  const ca = trustAnchors(trust);
  const result = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-vault-token': token },
        timeout: 15_000,
        ...(ca ? { ca } : {}),
      },
      (res) => {
        const declared = Number(res.headers['content-length'] ?? 0);
        if (declared > MAX_API_ANSWER_BYTES) {
          res.destroy();
          reject(new BodyTooLargeError(MAX_API_ANSWER_BYTES));
          return;
        }
        readBoundedBody(res, MAX_API_ANSWER_BYTES).then((buf) => resolve({ status: res.statusCode ?? 0, text: buf.toString('utf8') }), reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body);
  }).catch((err: Error) => {
    if (err instanceof BodyTooLargeError) {
      throw invalidRequest(`error unwrapping secondary token at ${url.origin}: the primary's answer exceeds the ${MAX_API_ANSWER_BYTES}-byte limit`);
    }
    throw invalidRequest(`error unwrapping secondary token at ${url.origin}: ${err.message}`);
  });
  if (result.status !== 200) {
    let messages: string[] = [];
    try {
      messages = (JSON.parse(result.text) as { errors?: string[] }).errors ?? [];
    } catch {
      /* not JSON */
    }
    throw invalidRequest(`error response unwrapping secondary token; status code is ${result.status}, message is "${messages.join('; ')}"`);
  }
  let data: unknown;
  try {
    data = (JSON.parse(result.text) as { data?: unknown } | null)?.data;
  } catch {
    throw invalidRequest(`error unwrapping secondary token at ${url.origin}: the answer is not valid JSON`);
  }
  if (!isActivationBundle(data)) throw invalidRequest('the unwrapped secondary token is not a replication activation bundle');
  return data;
}

function detachedSecondary(clusterId: string, epoch: number, lastWal: number): SecondaryState {
  return {
    role: 'secondary',
    clusterId,
    epoch,
    secondaryId: '',
    primaryClusterAddr: '',
    primaryApiAddr: '',
    caCertPem: '',
    client: { certPem: '', keyPem: '' },
    lastRemoteWal: lastWal,
    needsResync: true,
  };
}

/**
 * Tells the previous primary (over the channel it issued us credentials for) that a newer
 * epoch exists, retrying until it answers, so a primary that was down during the promotion
 * steps down as soon as it is back.
 */
function notifyOldPrimary(old: SecondaryState, epoch: number, log: Logger): { stop: () => void } {
  let stopped = false;
  const client = new ClusterClient(old.primaryClusterAddr, { caCertPem: old.caCertPem, client: old.client }, () => ({ 'x-ferry-epoch': String(epoch) }));
  void (async () => {
    let delayMs = 200;
    while (!stopped) {
      try {
        const res = await client.request('POST', '/v1/replication/fence', {}, 5000);
        if (res.status === 409 || res.status === 200 || res.status === 403) {
          log.info({ status: res.status }, 'previous primary told of the new epoch');
          break;
        }
      } catch {
        /* unreachable for now: try again */
      }
      await new Promise((r) => setTimeout(r, delayMs));
      delayMs = Math.min(5000, delayMs * 2);
    }
    client.close();
  })();
  return {
    stop: () => {
      stopped = true;
      client.close();
    },
  };
}
