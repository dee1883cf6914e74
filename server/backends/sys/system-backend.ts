import type { BackendFactory } from '../../core/core.js';
import { PathTable } from '../../core/path-table.js';
import { Rekey } from '../../core/rekey.js';
import { auditPaths } from './sys-audit-paths.js';
import { generateRootPaths } from './sys-generate-root-paths.js';
import { leasePaths } from './sys-leases-paths.js';
import { mountPaths } from './sys-mount-paths.js';
import { policyPaths } from './sys-policy-paths.js';
import { rekeyPaths } from './sys-rekey-paths.js';
import { haPaths } from './sys-ha-paths.js';
import { sealPaths } from './sys-seal-paths.js';
import { snapshotPaths } from './sys-snapshot-paths.js';
import { wrappingPaths } from './sys-wrapping-paths.js';

/** Unauthenticated system paths (relative to `sys/`), as Vault lists them. */
export const SYS_UNAUTHENTICATED = [
  'init',
  'unseal',
  'seal-status',
  'health',
  'leader',
  'generate-root/attempt',
  'generate-root/update',
  'rekey/init',
  'rekey/update',
  'rekey/verify',
  'wrapping/lookup',
  'replication/status',
  'replication/performance/status',
  'replication/dr/status',
  // A DR secondary's operation paths authenticate with a DR operation token in the body.
  'replication/dr/secondary/promote',
  'replication/dr/secondary/disable',
  'replication/dr/secondary/update-primary',
  'replication/dr/secondary/recover',
  'replication/dr/secondary/reindex',
  'replication/dr/secondary/operation-token/delete',
  'replication/dr/secondary/generate-operation-token/attempt',
  'replication/dr/secondary/generate-operation-token/update',
];

/**
 * Paths that need `sudo` on top of the capability for the operation: Vault's system backend
 * `PathsSpecial.Root`, plus `seal` and `step-down`, which Vault hard-codes as sudo. A trailing `*`
 * is a prefix. Matched against the path as the ACL sees it, so a LIST of `leases/lookup` is
 * `leases/lookup/` and needs sudo. `mounts/*` is deliberately absent (enabling a secrets engine is
 * an ordinary grant in Vault); `auth/*` is present (enabling or tuning an auth method needs sudo),
 * while reading `sys/auth` does not.
 */
export const SYS_SUDO = [
  'auth/*',
  'remount',
  'audit',
  'audit/*',
  'raw',
  'raw/*',
  'replication/primary/secondary-token',
  'replication/performance/primary/secondary-token',
  'replication/dr/primary/secondary-token',
  'replication/performance/primary/paths-filter/*',
  'replication/reindex',
  'replication/dr/reindex',
  'replication/performance/reindex',
  'rotate',
  'config/cors',
  'config/auditing/*',
  'config/ui/headers/*',
  'plugins/catalog/*',
  'revoke-prefix/*',
  'revoke-force/*',
  'leases/revoke-prefix/*',
  'leases/revoke-force/*',
  'leases/lookup/*',
  'leases',
  'internal/inspect/*',
  'seal',
  'step-down',
  'rekey/backup',
  'storage/raft/snapshot',
  'storage/raft/snapshot-force',
];

/**
 * The system backend mounted at `sys/`: every family of paths, each from its own file and given
 * the core service it serves, plus the paths of the layers above the core (replication).
 */
export const systemBackend: BackendFactory = ({ core }) => {
  // A rekey attempt lives as long as this backend: until the next seal, which wipes it.
  const rekey = new Rekey(core);
  const table = new PathTable(
    [
      ...sealPaths(core),
      ...haPaths(core),
      ...rekeyPaths(core, rekey),
      ...mountPaths(core),
      ...policyPaths(core),
      ...auditPaths(core.audit),
      ...wrappingPaths(core.wrapper),
      ...leasePaths(core.expiration),
      ...generateRootPaths(core.generateRoot),
      ...snapshotPaths(),
      ...core.extraSystemPaths(),
    ],
    SYS_UNAUTHENTICATED,
    SYS_SUDO,
  );
  return Object.assign(table, { cleanup: async () => rekey.wipe() });
};
