import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import type { Core } from '../core/core.js';
import { readSnapshotFile } from '../core/snapshot/snapshot-reader.js';
import { VaultError } from '../core/vault-error.js';
import type { SnapshotManager } from '../replication/snapshot-manager.js';
import { logicalRequestFromHttp } from './logical-request-from-http.js';

/** Vault's snapshot paths (integrated storage), so Vault's clients and runbooks work unchanged. */
export const SNAPSHOT_PATH = '/v1/sys/storage/raft/snapshot';
export const SNAPSHOT_FORCE_PATH = '/v1/sys/storage/raft/snapshot-force';

/** The largest snapshot upload accepted (it is spooled to a temporary file, not held in memory). */
const MAX_UPLOAD_BYTES = 8 * 1024 * 1024 * 1024;

/**
 * `GET sys/storage/raft/snapshot` streams a snapshot; `POST sys/storage/raft/snapshot` (and
 * `snapshot-force`, which also takes a snapshot of another cluster) restores one. Both need a
 * token with `sudo` on the path; each passes the core's gate path (and so the audit log) first. Served before the body parser: the upload streams
 * to a temporary file, is verified whole, and only then restored.
 */
export function snapshotHandler(core: Core, snapshots: SnapshotManager, logger: Logger): (req: Request, res: Response) => Promise<void> {
  const log = logger.child({ module: 'http' });
  return async (req, res) => {
    const isForce = req.path === SNAPSHOT_FORCE_PATH;
    if (req.method === 'GET' && !isForce) {
      await passGate(core, req);
      await saveTo(snapshots, res);
      return;
    }
    if (req.method !== 'POST' && req.method !== 'PUT') throw new VaultError('unsupported_operation', 'unsupported operation');
    await passGate(core, req);
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > MAX_UPLOAD_BYTES) throw new VaultError('payload_too_large', 'http: request body too large');
    const spool = join(tmpdir(), `ferry-restore-${randomUUID()}.snap`);
    try {
      let received = 0;
      req.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > MAX_UPLOAD_BYTES) req.destroy(new VaultError('payload_too_large', 'http: request body too large'));
      });
      await pipeline(req, createWriteStream(spool, { mode: 0o600 }));
      const snapshot = await readSnapshotFile(spool);
      const outcome = await snapshots.restore(snapshot, isForce);
      log.info({ keys: outcome.keyCount, unsealed: outcome.isUnsealed }, 'snapshot restore finished');
      const body = JSON.stringify({
        request_id: core.newRequestId(),
        data: { key_count: outcome.keyCount, sealed: !outcome.isUnsealed },
        warnings: outcome.warnings,
      });
      res.status(200).setHeader('Content-Type', 'application/json').end(body);
    } finally {
      await rm(spool, { force: true });
    }
  };
}

/** The request through the core's gate path first (sys-snapshot-paths.ts): token, ACL with sudo, audit. */
async function passGate(core: Core, req: Request): Promise<void> {
  await core.handleRequest(logicalRequestFromHttp(req, core.newRequestId(), Buffer.alloc(0)));
}

/** Streams with backpressure; a failure after the first byte cuts the connection (the file then has no checksum line). */
async function saveTo(snapshots: SnapshotManager, res: Response): Promise<void> {
  let started = false;
  try {
    await snapshots.save(async (chunk) => {
      if (!started) {
        started = true;
        res.status(200).setHeader('Content-Type', 'application/octet-stream');
      }
      if (res.destroyed) throw new Error('client went away');
      if (!res.write(chunk)) await new Promise<void>((resolve) => res.once('drain', resolve).once('close', resolve));
    });
    res.end();
  } catch (err) {
    if (!started) throw err;
    res.destroy();
  }
}
