import { randomBytes } from 'node:crypto';
import type { DestinationStream, Logger } from 'pino';
import type { ServerConfig } from './config/server-config.js';
import type { Core } from './core/core.js';
import { createCore } from './core/create-core.js';
import { layout } from './core/storage-layout.js';
import { eventLoopDelay } from './core/event-loop-delay.js';
import { createApp } from './http/app.js';
import { listen, type Listener } from './http/listener.js';
import { createRootLogger } from './log.js';
import type { StorageBackend } from './storage/backend.js';
import { CachedBackend } from './storage/cached-backend.js';
import { MemoryBackend } from './storage/memory-backend.js';
import { PostgresqlBackend } from './storage/postgresql-backend.js';
import { PostgresqlHaLock } from './storage/postgresql-ha-lock.js';
import { SqliteBackend } from './storage/sqlite-backend.js';
import { WriteRequestsInFlight } from './storage/write-requests-in-flight.js';
import { resolveSqlitePath } from './storage/sqlite-path.js';
import { HaManager } from './ha/ha-manager.js';
import { standbyRouting } from './ha/standby-forwarder.js';
import { ReplicationManager } from './replication/replication-manager.js';
import { parseClusterAddress } from './replication/cluster-address.js';
import { SharedClusterPort } from './replication/cluster-port.js';
import { replicationPaths } from './replication/replication-paths.js';
import { WalStorage } from './replication/wal-storage.js';
import { INDEX_RESPONSE_HEADER } from './core/index-consistency.js';

export interface DevOptions {
  readonly rootTokenId?: string;
}

export interface StartOptions {
  /** Where log lines go (the server command passes a LogGate); stderr by default. */
  readonly logDestination?: DestinationStream;
}

export interface RunningServer {
  readonly core: Core;
  readonly apiAddr: string;
  readonly clusterAddr: string;
  readonly port: number;
  readonly logger: Logger;
  /** Dev mode only: the unseal key and root token, for the banner. */
  readonly dev?: { unsealKey: string; rootToken: string };
  stop(): Promise<void>;
}

function splitHostPort(address: string): { host: string; port: number } {
  const match = /^\[?([^\]]*?)\]?:(\d+)$/.exec(address);
  if (match === null) throw new Error(`invalid listen address "${address}": expected host:port`);
  return { host: match[1] as string, port: Number(match[2]) };
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** The address to reach a listener bound to `host` from the same machine. */
function loopbackFor(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  return host === '::' ? '::1' : host;
}

async function openStorage(config: ServerConfig, logger: Logger, writeRequests: WriteRequestsInFlight): Promise<StorageBackend> {
  const storage = config.storage;
  switch (storage.type) {
    case 'sqlite':
      return SqliteBackend.open({ path: await resolveSqlitePath(storage.path), writeRequests });
    case 'postgresql':
      return PostgresqlBackend.open({
        connectionUrl: storage.connectionUrl,
        table: storage.table,
        maxParallel: storage.maxParallel,
        ...(storage.maxIdleConnections === undefined ? {} : { maxIdleConnections: storage.maxIdleConnections }),
        logger,
      });
    case 'inmem':
      return new MemoryBackend();
  }
}

/**
 * Composition root: config → log → storage → core (`createCore`: services and backends) →
 * replication (attached to the core) → HTTP. Returns once the API listener is up.
 */
export async function startServer(config: ServerConfig, dev?: DevOptions, options: StartOptions = {}): Promise<RunningServer> {
  const logger = createRootLogger(config.logLevel, {
    format: config.logFormat,
    ...(options.logDestination === undefined ? {} : { destination: options.logDestination }),
  });
  const { host, port: requestedPort } = splitHostPort(config.listener.address);
  eventLoopDelay.start();
  // Counted by the HTTP layer, read by the storage's group commit (commit siblings).
  const writeRequests = new WriteRequestsInFlight();
  const storage = await openStorage(config, logger, writeRequests);
  // Replication sees every physical write: WAL on a primary, read-only replicated keys on a secondary.
  // Writes are written through to the cache, but not the replication bookkeeping (the WAL).
  const cache = new CachedBackend(storage, undefined, [layout.replication]);
  const physical = new WalStorage(cache, config.replication.walRetentionEntries);
  await physical.open();
  const scheme = config.listener.tlsDisable ? 'http' : 'https';
  // The API port is known only after listening when 0 is requested; tests always pass a port.
  const apiAddr = config.apiAddr ?? `${scheme}://${hostForUrl(host)}:${requestedPort}`;
  const clusterAddr = config.clusterAddr ?? `https://${hostForUrl(host)}:${requestedPort + 1}`;
  const core = createCore({
    physical,
    logger,
    clusterName: config.clusterName ?? `ferry-cluster-${randomBytes(4).toString('hex')}`,
    apiAddr,
    clusterAddr,
    isDev: dev !== undefined,
  });

  const isHa = config.storage.type === 'postgresql' && config.storage.haEnabled && storage instanceof PostgresqlBackend;
  // With HA the cluster port carries request forwarding beside replication.
  const clusterListen = parseClusterAddress(clusterAddr);
  const clusterPort = isHa ? new SharedClusterPort(clusterListen.host, clusterListen.port) : undefined;
  const replication = new ReplicationManager({
    core,
    wal: physical,
    logger,
    apiAddr,
    clusterAddr,
    isDev: dev !== undefined,
    ...(dev?.rootTokenId === undefined ? {} : { devRootToken: dev.rootTokenId }),
    ...(config.replication.preWipeSnapshotDir === undefined ? {} : { preWipeSnapshotDir: config.replication.preWipeSnapshotDir }),
    ...(config.replication.drSynchronous === undefined ? {} : { drSynchronous: config.replication.drSynchronous }),
    ...(clusterPort === undefined ? {} : { sharedPort: clusterPort }),
  });
  // Replication needs the core, so it is built after it and attached here, explicitly.
  core.attachReplication(replication, replicationPaths(replication));

  let ha: HaManager | undefined;
  if (isHa && storage instanceof PostgresqlBackend) {
    const lock = await PostgresqlHaLock.open({ pool: storage.pool, table: config.storage.haTable, logger });
    ha = new HaManager({
      core,
      lock,
      storage,
      cache,
      wal: physical,
      logger,
      apiAddr,
      clusterAddr,
      ...(clusterPort === undefined ? {} : { sharedPort: clusterPort }),
    });
    core.attachHa(ha);
  }

  let devInfo: RunningServer['dev'];
  if (dev !== undefined) {
    const init = await core.initialize(1, 1, { stayUnsealed: true, ...(dev.rootTokenId ? { rootTokenId: dev.rootTokenId } : {}) });
    devInfo = { unsealKey: (init.keys[0] as Buffer).toString('base64'), rootToken: init.rootToken };
    if (core.hasBackendType('kv')) {
      await core.handleRequest({
        id: core.newRequestId(),
        operation: 'update',
        path: 'sys/mounts/secret',
        data: { type: 'kv', options: { version: '2' }, description: 'key/value secret storage' },
        clientToken: init.rootToken,
        query: {},
        headers: {},
        remoteAddress: '127.0.0.1',
      });
    }
  }

  const app = createApp({
    core,
    logger,
    writeRequests,
    snapshots: replication.snapshots,
    ...(config.providerReleaseDir === undefined ? {} : { providerReleaseDir: config.providerReleaseDir }),
    ...(ha === undefined ? {} : { standby: standbyRouting(ha) }),
    forwarder: () =>
      replication.current.role === 'secondary'
        ? async (req) => {
            const answer = await replication.forward(req);
            const headers: Record<string, string> = answer.body.length > 0 ? { 'content-type': 'application/json' } : {};
            if (answer.indexState !== undefined) headers[INDEX_RESPONSE_HEADER] = answer.indexState;
            return { status: answer.status, headers, body: answer.body };
          }
        : undefined,
  });
  const listener: Listener = await listen(app, {
    host,
    port: requestedPort,
    ...(config.listener.tlsDisable ? {} : { tls: { certFile: config.listener.tlsCertFile as string, keyFile: config.listener.tlsKeyFile as string } }),
  });
  ha?.channel.setLocalApi(`${config.listener.tlsDisable ? 'http' : 'https'}://${hostForUrl(loopbackFor(host))}:${listener.port}`);
  logger.info({ api_addr: apiAddr, cluster_addr: clusterAddr, storage: physical.kind }, 'server listening');

  return {
    core,
    apiAddr,
    clusterAddr,
    port: listener.port,
    logger,
    ...(devInfo ? { dev: devInfo } : {}),
    stop: async () => {
      await listener.close();
      await core.sealCore().catch((err: unknown) => logger.warn({ err: String(err) }, 'sealing on stop failed'));
      await ha?.stop();
      await physical.close();
    },
  };
}
