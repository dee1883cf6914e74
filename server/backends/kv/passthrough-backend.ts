import { hasEntry, type LogicalStorage } from '../../core/barrier.js';
import type { LogicalBackend } from '../../core/logical-backend.js';
import type { LogicalRequest, LogicalResponse } from '../../core/logical.js';
import { invalidRequest, notFound, VaultError } from '../../core/vault-error.js';
import { assertSecretPath, listPrefix } from './secret-path.js';

/** Picks the storage a request works on: a mount's view for KV v1, the caller's own view for cubbyhole. */
export type StorageResolver = (req: LogicalRequest) => LogicalStorage;

/**
 * An unversioned key/value store where the request body is the secret: KV version 1 and the
 * cubbyhole. Not a PathTable, because every body field is data here, not a parameter to warn about.
 *
 * - read: `data` is the stored map; a missing key is 404 `{"errors":[]}`.
 * - create/update: stores the whole body (an empty body is 400 "missing data fields").
 * - delete: removes the key (idempotent).
 * - list: `{keys}` of the immediate children (sub-folders end in '/'); empty is 404.
 */
export class PassthroughBackend implements LogicalBackend {
  constructor(private readonly storageFor: StorageResolver) {}

  async handleRequest(req: LogicalRequest, relativePath: string): Promise<LogicalResponse | undefined> {
    const storage = this.storageFor(req);
    switch (req.operation) {
      case 'list': {
        const keys = await storage.list(listPrefix(relativePath));
        if (keys.length === 0) throw notFound();
        return { data: { keys } };
      }
      case 'read': {
        assertSecretPath(relativePath);
        const raw = await storage.get(relativePath);
        if (raw === undefined) throw notFound();
        return { data: JSON.parse(raw.toString('utf8')) as Record<string, unknown> };
      }
      case 'create':
      case 'update': {
        assertSecretPath(relativePath);
        if (Object.keys(req.data).length === 0) throw invalidRequest('missing data fields');
        await storage.put(relativePath, Buffer.from(JSON.stringify(req.data)));
        return undefined;
      }
      case 'delete': {
        assertSecretPath(relativePath);
        await storage.delete(relativePath);
        return undefined;
      }
      case 'patch':
        throw new VaultError('unsupported_operation', 'unsupported operation');
    }
  }

  async existenceCheck(req: LogicalRequest, relativePath: string): Promise<boolean | undefined> {
    if (relativePath === '' || relativePath.endsWith('/')) return undefined;
    assertSecretPath(relativePath);
    return hasEntry(this.storageFor(req), relativePath);
  }
}
