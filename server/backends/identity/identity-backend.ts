import type { BackendFactory } from '../../core/core.js';
import { PathTable } from '../../core/path-table.js';

/**
 * The built-in `identity/` mount. Ferry has no entities or groups yet: the mount exists (Vault
 * clients expect it in `sys/mounts`) and every path under it answers 404.
 */
export const identityBackend: BackendFactory = () => new PathTable([]);
