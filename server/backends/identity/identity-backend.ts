import type { BackendFactory } from '../../core/core.js';
import { PathTable } from '../../core/path-table.js';
import { entityPaths } from './entity-paths.js';
import { groupPaths } from './group-paths.js';
import { lookupPaths } from './lookup-paths.js';

/**
 * The built-in `identity/` mount: entities, entity aliases, groups, group aliases and lookup,
 * served from the core's identity store (replicated state; logins create entities there).
 */
export const identityBackend: BackendFactory = ({ core }) =>
  new PathTable([...entityPaths(core.identity), ...groupPaths(core.identity), ...lookupPaths(core.identity)]);
