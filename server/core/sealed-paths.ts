/** Paths below `sys/` that answer while sealed (and without a token). */
const SEALED_PATHS: ReadonlySet<string> = new Set([
  'sys/seal-status',
  'sys/health',
  'sys/init',
  'sys/unseal',
  'sys/leader',
  'sys/replication/status',
  'sys/replication/performance/status',
  'sys/replication/dr/status',
]);

/** True for a request path the system backend serves while the core is sealed. */
export function answersWhileSealed(path: string): boolean {
  return SEALED_PATHS.has(path) || path.startsWith('sys/generate-root/');
}
