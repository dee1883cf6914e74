import { approleBackend } from '../backends/approle/approle-backend.js';
import { cubbyholeBackend } from '../backends/cubbyhole/cubbyhole-backend.js';
import { identityBackend } from '../backends/identity/identity-backend.js';
import { kvBackend } from '../backends/kv/kv-backend.js';
import { systemBackend } from '../backends/sys/system-backend.js';
import { tokenBackend } from '../backends/token/token-backend.js';
import { transitBackend } from '../backends/transit/transit-backend.js';
import { userpassBackend } from '../backends/userpass/userpass-backend.js';
import { Core, type BackendFactory, type CoreOptions } from './core.js';

/** The built-in mounts, bound by path: always present, never enabled or disabled by a client. */
const BUILTIN_BACKENDS: Readonly<Record<string, BackendFactory>> = {
  'sys/': systemBackend,
  'auth/token/': tokenBackend,
  'cubbyhole/': cubbyholeBackend,
  'identity/': identityBackend,
};

/** The mountable engine and auth method types, by `type`. */
export const STANDARD_BACKENDS: Readonly<Record<string, BackendFactory>> = {
  kv: kvBackend,
  userpass: userpassBackend,
  transit: transitBackend,
  approle: approleBackend,
};

export interface CreateCoreOptions extends CoreOptions {
  /** Mountable backend types; default `STANDARD_BACKENDS` (tests add or replace types). */
  readonly backends?: Readonly<Record<string, BackendFactory>>;
}

/**
 * The one way to build a core (used by `server/main.ts` and `test/helpers/in-process-core.ts`).
 * The core constructor creates its services as typed fields in Vault's unseal order
 * (mount tables and router → policy store → token store → expiration manager → audit broker,
 * then the response wrapper and root token generation); this adds the built-in mounts and the
 * mountable backend types. The core comes back sealed and uninitialized. Replication, built
 * after the core, is attached with `core.attachReplication`.
 */
export function createCore(options: CreateCoreOptions): Core {
  const { backends = STANDARD_BACKENDS, ...coreOptions } = options;
  const core = new Core(coreOptions);
  for (const [path, factory] of Object.entries(BUILTIN_BACKENDS)) core.registerBuiltin(path, factory);
  for (const [type, factory] of Object.entries(backends)) core.registerBackend(type, factory);
  return core;
}
