import type { BackendFactory } from '../../core/core.js';
import { PathTable } from '../../core/path-table.js';
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
 * key) are writes of replicated state and go to the primary. Plaintexts, keys and ciphertexts
 * are never logged.
 */
export const transitBackend: BackendFactory = ({ storage }) => {
  const store = new TransitKeyStore(storage);
  return new PathTable([...transitKeyPaths(store), ...transitEncryptionPaths(store), ...transitSigningPaths(store)]);
};
