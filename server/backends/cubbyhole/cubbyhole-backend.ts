import { StorageView } from '../../core/barrier.js';
import type { BackendFactory, Core } from '../../core/core.js';
import type { LogicalRequest } from '../../core/logical.js';
import { layout } from '../../core/storage-layout.js';
import { permissionDenied } from '../../core/vault-error.js';
import { PassthroughBackend } from '../kv/passthrough-backend.js';

/** The storage of one token's cubbyhole: under `local/cubbyhole/<token hash>/`, never replicated. */
export function cubbyholeView(core: Core, tokenHash: string): StorageView {
  return new StorageView(core.barrier, `${layout.cubbyhole}${tokenHash}/`);
}

/** Cores whose token store already removes cubbyholes on revocation (the factory runs on every unseal). */
const hooked = new WeakSet<Core>();

/**
 * The `cubbyhole/` built-in: private key/value storage per token. Each request sees only the
 * caller's own cubbyhole, keyed by its token hash; no policy can reach another token's. Revoking a
 * token destroys its cubbyhole. Register with `core.registerBuiltin('cubbyhole/', cubbyholeBackend)`.
 */
export const cubbyholeBackend: BackendFactory = ({ core }) => {
  if (!hooked.has(core)) {
    hooked.add(core);
    core.tokens.onRevoke(async (entry) => {
      await core.barrier.transaction([{ op: 'delete-prefix', prefix: `${layout.cubbyhole}${entry.hash}/` }]);
    });
  }
  return new PassthroughBackend((req: LogicalRequest) => {
    const hash = req.auth?.tokenHash;
    if (hash === undefined || hash === '') throw permissionDenied();
    return cubbyholeView(core, hash);
  });
};
