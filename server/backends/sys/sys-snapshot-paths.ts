import type { PathDefinition } from '../../core/path-table.js';

/**
 * `sys/storage/raft/snapshot` and `snapshot-force` as the core sees them: a gate. The HTTP layer
 * (server/http/snapshot-route.ts) sends each snapshot request through the core first, so token,
 * ACL with sudo, bound CIDRs, token uses and audit apply exactly as for any request, and streams
 * the body itself only once the gate answered.
 */
export function snapshotPaths(): PathDefinition[] {
  const pass = async () => undefined;
  return [
    { pattern: 'storage/raft/snapshot', operations: { read: pass, update: pass } },
    { pattern: 'storage/raft/snapshot-force', operations: { update: pass } },
  ];
}
