import type { BackendFactory } from '../../core/core.js';
import { PathTable } from '../../core/path-table.js';
import { mountPaths } from './sys-mount-paths.js';
import { policyPaths } from './sys-policy-paths.js';
import { sealPaths } from './sys-seal-paths.js';

/** Unauthenticated system paths (relative to `sys/`), as Vault lists them. */
export const SYS_UNAUTHENTICATED = [
  'init',
  'unseal',
  'seal-status',
  'health',
  'leader',
  'generate-root/attempt',
  'generate-root/update',
  'wrapping/lookup',
  'replication/status',
  'replication/performance/status',
  'replication/dr/status',
];

/** Paths that need `sudo` on top of the capability for the operation (Vault's PathsSpecial.Root). */
export const SYS_SUDO = [
  'audit',
  'audit/*',
  'raw',
  'raw/*',
  'rotate',
  'seal',
  'step-down',
  'leases/lookup/*',
  'leases/revoke-prefix/*',
  'leases/revoke-force/*',
  'revoke-prefix/*',
  'revoke-force/*',
  'replication/primary/secondary-token',
  'replication/performance/primary/secondary-token',
  'replication/dr/primary/secondary-token',
  'replication/reindex',
  'replication/performance/reindex',
  'replication/dr/reindex',
];

/** The system backend mounted at `sys/`: every family of paths, composed from its own file. */
export const systemBackend: BackendFactory = ({ core }) =>
  new PathTable(
    [...sealPaths(core), ...mountPaths(core), ...policyPaths(core), ...core.systemPathProviders.flatMap((provide) => provide(core))],
    SYS_UNAUTHENTICATED,
    SYS_SUDO,
  );
