import type { LogicalRequest, LogicalResponse } from './logical.js';

/**
 * A mounted backend (secrets engine, auth method, or the system backend). The router hands it
 * requests with the mount prefix removed.
 */
export interface LogicalBackend {
  handleRequest(req: LogicalRequest, relativePath: string): Promise<LogicalResponse | undefined>;
  /** For writes: does the target exist? Decides whether the ACL checks `create` or `update`. */
  existenceCheck?(req: LogicalRequest, relativePath: string): Promise<boolean | undefined>;
  /** Relative path globs (trailing `*` = prefix) reachable without a token. */
  readonly unauthenticatedPaths?: readonly string[];
  /** Relative path globs that need `sudo` in addition to the operation's capability. */
  readonly sudoPaths?: readonly string[];
  /** Revokes a lease this backend issued (internal data as returned in SecretResponse.internal). */
  revokeLease?(internal: Record<string, unknown>): Promise<void>;
  /**
   * Storage under this backend's view changed underneath it (a replicated change, later an HA
   * standby's view): drop whatever is cached for `key` (relative to the view; `''` means
   * everything). Called by the core's invalidation dispatcher.
   */
  invalidate?(key: string): Promise<void>;
  /** Called when the mount is removed or the core seals. */
  cleanup?(): Promise<void>;
}

/** Matches Vault's special-path globs: exact, or prefix when the glob ends in `*`. */
export function matchesPathGlob(globs: readonly string[] | undefined, path: string): boolean {
  if (globs === undefined) return false;
  return globs.some((glob) => (glob.endsWith('*') ? path.startsWith(glob.slice(0, -1)) : path === glob));
}
