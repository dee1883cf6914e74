import type { Socket } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { Core } from '../core/core.js';
import type { LogicalRequest } from '../core/logical.js';
import { isVaultError, VaultError } from '../core/vault-error.js';
import { isServedOnStandby, type StandbyRouting } from '../ha/standby-forwarder.js';
import { logicalRequestFromHttp } from './logical-request-from-http.js';
import { PROVIDER_RELEASE_PREFIX, providerReleaseHandler } from './provider-release-route.js';
import { renderResponse } from './render-response.js';
import { SNAPSHOT_FORCE_PATH, SNAPSHOT_PATH, snapshotHandler } from './snapshot-route.js';
import { defaultUiAssetsDir, PEER_READABLE_STATUS_PATHS, UI_PREFIX, uiHandler } from './ui-route.js';
import type { SnapshotManager } from '../replication/snapshot-manager.js';

/** Default request body limit, as Vault's `max_request_size`. */
export const MAX_REQUEST_BYTES = 32 * 1024 * 1024;

/** The answer of the primary to a request forwarded from a secondary. */
export interface ForwardedResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/**
 * Sends a request that hit replicated state on a secondary to the primary. Installed by the
 * replication layer; absent when this cluster is not a secondary.
 */
export type RequestForwarder = (req: LogicalRequest, rawBody: Buffer, method: string) => Promise<ForwardedResponse>;

export interface AppOptions {
  readonly core: Core;
  readonly logger: Logger;
  readonly forwarder?: () => RequestForwarder | undefined;
  /** With HA: a standby forwards requests to the active node. */
  readonly standby?: StandbyRouting;
  /**
   * Counts the write requests being handled (from routing to the core's answer), so the storage's
   * group commit can wait briefly for writes that are about to queue (commit siblings).
   */
  readonly writeRequests?: { begin(connection: object): void; end(connection: object): void; forget(connection: object): void };
  /** Serve this folder of provider releases under /terraform/providers/ (`provider_release_dir`). */
  readonly providerReleaseDir?: string;
  /** Serves `sys/storage/raft/snapshot` (streaming, so ahead of the body parser). */
  readonly snapshots?: SnapshotManager;
  /** The dashboard's built assets served under /ui/ (default: dist/ui/). */
  readonly uiAssetsDir?: string;
}

/**
 * Vault's error envelope. The Content-Type is exactly `application/json`, as Vault sends it: some
 * clients (hvac) read `errors` only when the header matches that string.
 */
function sendError(res: Response, err: VaultError): void {
  const body = JSON.stringify({ errors: err.code === 'not_found' && err.message === '' ? [] : err.messages });
  res.status(err.status).setHeader('Content-Type', 'application/json').setHeader('Content-Length', Buffer.byteLength(body)).end(body);
}

/** The Express app serving Vault's HTTP API under `/v1/`. The only module that knows Express. */
export function createApp(options: AppOptions): express.Express {
  const { core } = options;
  const logger = options.logger.child({ module: 'http' });
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // A body declared larger than the limit is refused at once, as Vault does: the body parser alone
  // answers only after every declared byte arrived, so a client that declares more than it sends
  // would wait for nothing. Node discards the unread body afterwards (no reset racing the answer).
  if (options.snapshots !== undefined) {
    const serveSnapshot = snapshotHandler(core, options.snapshots, options.logger);
    app.all([SNAPSHOT_PATH, SNAPSHOT_FORCE_PATH], (req, res, next) => void serveSnapshot(req, res).catch(next));
  }
  app.use((req: Request, res: Response, next: NextFunction) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > MAX_REQUEST_BYTES) {
      sendError(res, new VaultError('payload_too_large', 'http: request body too large'));
      return;
    }
    next();
  });
  app.use(express.raw({ type: () => true, limit: MAX_REQUEST_BYTES }));
  app.get(PEER_READABLE_STATUS_PATHS, (_req, res, next) => {
    res.setHeader('access-control-allow-origin', '*');
    next();
  });

  const writeRequests = options.writeRequests;
  const watchedConnections = new WeakSet<Socket>();
  const handleCounted = async (logical: LogicalRequest, connection: Socket) => {
    if (writeRequests === undefined || logical.operation === 'read' || logical.operation === 'list') return core.handleRequest(logical);
    if (!watchedConnections.has(connection)) {
      watchedConnections.add(connection);
      connection.once('close', () => writeRequests.forget(connection));
    }
    writeRequests.begin(connection);
    try {
      return await core.handleRequest(logical);
    } finally {
      writeRequests.end(connection);
    }
  };

  app.all('/v1/{*path}', async (req: Request, res: Response, next: NextFunction) => {
    const requestId = core.newRequestId();
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    let logical: LogicalRequest | undefined;
    try {
      const standby = options.standby;
      if (standby?.isStandby() === true && !isServedOnStandby(req.originalUrl)) {
        const answer = await standby.forwarder.forward({
          method: req.method,
          url: req.originalUrl,
          headers: req.headers,
          body: rawBody,
          remoteAddress: req.socket.remoteAddress ?? '',
        });
        for (const [k, v] of Object.entries(answer.headers)) res.setHeader(k, v);
        res.status(answer.status).end(answer.body);
        return;
      }
      logical = logicalRequestFromHttp(req, requestId, rawBody);
      const vouchedFor = standby?.trustedClientAddress(req.headers);
      if (vouchedFor !== undefined) logical = { ...logical, remoteAddress: vouchedFor };
      const route = core.isSealed ? undefined : core.route(logical.path);
      const response = await handleCounted(logical, req.socket);
      renderResponse(
        res,
        requestId,
        response,
        route?.entry.builtin ? (route.entry.type === 'system' ? 'system' : route.entry.type) : (route?.entry.type ?? ''),
      );
    } catch (err) {
      const forward = options.forwarder?.();
      if (isVaultError(err) && err.code === 'read_only' && forward !== undefined && logical !== undefined) {
        try {
          const answer = await forward(logical, rawBody, req.method);
          for (const [k, v] of Object.entries(answer.headers)) res.setHeader(k, v);
          res.status(answer.status).send(answer.body);
          return;
        } catch (forwardErr) {
          next(forwardErr);
          return;
        }
      }
      next(err);
    }
  });

  if (options.providerReleaseDir !== undefined) {
    const serveRelease = providerReleaseHandler(options.providerReleaseDir);
    app.all(`${PROVIDER_RELEASE_PREFIX}{*path}`, (req, res, next) => void serveRelease(req, res).catch(next));
  }

  const serveUi = uiHandler(options.uiAssetsDir ?? defaultUiAssetsDir());
  app.all(['/ui', `${UI_PREFIX}{*path}`], (req, res, next) => void serveUi(req, res).catch(next));

  app.all('/{*path}', (_req, res) => {
    sendError(res, new VaultError('not_found', ''));
  });

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (isVaultError(err)) {
      if (err.status >= 500) logger.warn({ code: err.code, path: req.path, msg: err.message }, 'request failed');
      sendError(res, err);
      return;
    }
    const typed = err as { type?: string; status?: number };
    if (typed?.type === 'entity.too.large') {
      sendError(res, new VaultError('payload_too_large', 'http: request body too large'));
      return;
    }
    if (typeof typed?.status === 'number' && typed.status >= 400 && typed.status < 500) {
      sendError(res, new VaultError('invalid_request', 'invalid request'));
      return;
    }
    const id = core.newRequestId();
    logger.error(
      { err: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : String(err), error_id: id, path: req.path },
      'internal error',
    );
    sendError(res, new VaultError('internal', `internal error; error id ${id}`));
  });
  return app;
}
