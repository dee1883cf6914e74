import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
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
import { ClusterCa } from './cluster-ca.js';
import { ClusterClient } from './cluster-client.js';
import { ClusterServer, type ForwardedAnswer, type ForwardedRequest } from './cluster-server.js';
import { isReplicatedKey } from './replication-filter.js';
import { loadReplicationState, STATE_KEY, type PrimaryState, type ReplicationState, type SecondaryState } from './replication-state.js';
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
  secondaryEnable: 'Vault has successfully found secondary information; it may take a while to perform setup tasks. Vault will be unavailable until these tasks and initial sync complete.',
  disable: 'This cluster is having replication disabled. Vault will be unavailable for a brief period and will resume service shortly.',
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
    this.state = await loadReplicationState(this.options.core.barrier);
    if (this.state.role === 'primary') {
      this.options.wal.setRole('primary', this.state.epoch);
      await this.startServer();
    } else if (this.state.role === 'secondary') {
      this.options.wal.setRole('secondary', this.state.epoch);
      this.startStream(this.state);
    } else {
      this.options.wal.setRole('off', 0);
    }
  }

  private async pause(): Promise<void> {
    await this.server?.stop();
    this.server = undefined;
    await this.secondaryStream?.stop();
    this.secondaryStream = undefined;
  }

  private async startServer(): Promise<void> {
    const { host, port } = hostPort(this.options.clusterAddr);
    this.server = new ClusterServer({
      core: this.options.core,
      wal: this.options.wal,
      logger: this.options.logger,
      state: () => (this.state.role === 'primary' ? this.state : undefined),
      ...(this.options.devRootToken === undefined ? {} : { devRootToken: this.options.devRootToken }),
    });
    await this.server.start(host, port);
    this.log.info({ cluster_addr: this.options.clusterAddr }, 'replication cluster listener started');
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
    if (this.state.role === 'secondary') throw invalidRequest('cannot enable replication as a primary on a replication secondary; a cluster has exactly one role, and there is never more than one primary');
    if (this.state.role === 'primary') throw invalidRequest('replication is already enabled as a primary on this cluster');
    const clusterId = randomUUID();
    const ca = await ClusterCa.create(clusterId);
    const { host } = hostPort(primaryClusterAddr || this.options.clusterAddr);
    const hosts = [...new Set([host, '127.0.0.1', 'localhost'])];
    const server = await ClusterCa.fromPem(ca.ca).issueServer(hosts);
    await this.options.wal.resetWal();
    const next: PrimaryState = { role: 'primary', clusterId, epoch: 1, primaryClusterAddr, ca: ca.ca, server: { certPem: server.certPem, keyPem: server.keyPem }, secondaries: {} };
    await this.saveState(next);
    this.options.wal.setRole('primary', next.epoch);
    await this.startServer();
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
    const wrapInfo = await wrapResponse(this.options.core, { data: { ...bundle } }, { ttlSeconds, creationPath: 'sys/replication/primary/secondary-token', format: 'jwt' });
    const now = Date.now();
    await this.saveState({
      ...state,
      secondaries: { ...state.secondaries, [id]: { id, certSerial: client.serial, issuedAt: new Date(now).toISOString(), tokenExpiresAt: new Date(now + ttlSeconds * 1000).toISOString() } },
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
    this.requirePrimary();
    await this.pause();
    await this.saveState({ role: 'disabled' });
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
  enableSecondary(token: string, primaryApiAddr: string, caFile: string): Promise<string[]> {
    return this.changes.run(() => this.enableSecondaryNow(token, primaryApiAddr, caFile));
  }

  private async enableSecondaryNow(token: string, primaryApiAddr: string, caFile: string): Promise<string[]> {
    if (this.state.role === 'primary') throw invalidRequest('this cluster is a replication primary; disable or demote it before enabling it as a secondary');
    if (this.state.role === 'secondary') throw invalidRequest('this cluster is already a replication secondary; use update-primary to change its primary');
    if (this.activating) throw invalidRequest('an activation is already in progress');
    const claims = checkActivationToken(token);
    const apiAddr = primaryApiAddr || claims.addr;
    if (apiAddr === '') throw invalidRequest('the activation token carries no primary API address; set primary_api_addr');
    this.activating = true;
    try {
      const bundle = await unwrapAtPrimary(apiAddr, token, caFile);
      const client = new ClusterClient(bundle.primary_cluster_addr, { caCertPem: bundle.ca_cert, client: { certPem: bundle.client_cert, keyPem: bundle.client_key } }, () => ({ 'x-ferry-epoch': String(bundle.epoch) }));
      let header: BootstrapHeader | undefined;
      const entries: StorageOp[] = [];
      try {
        let status = 0;
        const transfer = client.stream('/v1/replication/bootstrap', (s) => (status = s), async (line) => {
          if (header === undefined) {
            header = JSON.parse(line) as BootstrapHeader;
            return;
          }
          const [key, value] = JSON.parse(line) as [string, string];
          if (isReplicatedKey(key)) entries.push({ op: 'put', key, value: Buffer.from(value, 'base64') });
        });
        await transfer.done;
        if (status !== 200 || header === undefined) throw new VaultError('invalid_request', `error fetching secondary bootstrap package from ${bundle.primary_cluster_addr}: status ${status}`);
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
      await core.sealCore();
      await this.options.wal.applyRemote([{ op: 'delete-prefix', prefix: '' }, ...entries, { op: 'put', key: STATE_KEY, value: stateValue }]);
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
    await this.pause();
    await this.saveState({ role: 'disabled' });
    this.options.wal.setRole('off', 0);
    return [WARNINGS.disable];
  }

  // ---- forwarding ----

  /** Forwards a write of replicated state to the primary and waits (bounded) until it streamed back. */
  async forward(req: LogicalRequest): Promise<{ status: number; body: Buffer; warnings: string[] }> {
    const stream = this.secondaryStream;
    if (this.state.role !== 'secondary' || stream === undefined) throw new VaultError('read_only', 'cannot write to readonly storage');
    const fwd: ForwardedRequest = {
      operation: req.operation,
      path: req.path,
      data: req.data,
      clientToken: '',
      ...(req.auth === undefined ? {} : { auth: req.auth }),
      ...(req.wrapTtlSeconds === undefined ? {} : { wrapTtlSeconds: req.wrapTtlSeconds }),
    };
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
        secondaries: Object.keys(state.secondaries).sort().map((id) => {
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
        known_primary_cluster_addrs: [state.primaryClusterAddr],
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
        connection_state: s?.isConnected ? 'ready' : 'transient_failure',
        epoch: state.epoch,
        ...(s?.syncProgress ? { merkle_sync_progress: s.syncProgress } : {}),
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

/** Unwraps the activation token on the primary's API (TLS verified with ca_file when https). */
async function unwrapAtPrimary(apiAddr: string, token: string, caFile: string): Promise<ActivationBundle> {
  const url = new URL('/v1/sys/wrapping/unwrap', apiAddr);
  const body = '{}';
  const ca = caFile === '' ? undefined : readFileSync(caFile);
  const result = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-vault-token': token }, timeout: 15_000, ...(ca ? { ca } : {}) }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c.length + text.length > 1 << 20 ? '' : c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body);
  }).catch((err: Error) => {
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
  const data = (JSON.parse(result.text) as { data?: unknown }).data;
  if (!isActivationBundle(data)) throw invalidRequest('the unwrapped secondary token is not a replication activation bundle');
  return data;
}
