import type { BackendFactory } from '../../core/core.js';
import { PathTable } from '../../core/path-table.js';
import { AUTO_ROTATE_CHECK_MS, rotateDueKeys } from './transit-auto-rotate.js';
import { transitEncryptionPaths } from './transit-encryption-paths.js';
import { transitKeyPaths } from './transit-key-paths.js';
import { TransitKeyStore } from './transit-key-store.js';
import { transitSigningPaths } from './transit-signing-paths.js';

/**
 * The transit secrets engine (mount type `transit`): encryption as a service with named, versioned
 * keys that never leave the server unless marked exportable. Every primitive is Node's crypto
 * (AES-GCM, ChaCha20-Poly1305, Ed25519, ECDSA, RSA, HMAC, HKDF, the CSPRNG).
 *
 * Keys live in the mount's storage inside the barrier, so they replicate with a non-local mount:
 * a ciphertext made on the primary decrypts on a secondary, and a rotation on the primary is used
 * there at once. Key changes on a secondary (create, rotate, config, an encrypt that creates its
 * key) are writes of replicated state and go to the primary. Keys with an `auto_rotate_period`
 * are rotated by the primary once a minute checks them due. Plaintexts, keys and ciphertexts are
 * never logged.
 */
export const transitBackend: BackendFactory = ({ storage, logger }) => {
  const store = new TransitKeyStore(storage);
  let checking: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    checking ??= rotateDueKeys(store, Date.now(), logger).finally(() => (checking = undefined));
  }, AUTO_ROTATE_CHECK_MS);
  timer.unref();
  const table = new PathTable([...transitKeyPaths(store), ...transitEncryptionPaths(store), ...transitSigningPaths(store)]);
  return {
    handleRequest: (req, relativePath) => table.handleRequest(req, relativePath),
    existenceCheck: (req, relativePath) => table.existenceCheck(req, relativePath),
    unauthenticatedPaths: [],
    sudoPaths: [],
    cleanup: async () => {
      clearInterval(timer);
      await checking;
    },
  };
};
