/**
 * What a DR secondary answers: status, health and seal paths, and the DR operation paths that
 * authenticate with a DR operation token. Every other request, whatever its token, is refused
 * with Vault's error until the cluster is promoted.
 */
const SERVED_ON_DR_SECONDARY: ReadonlySet<string> = new Set([
  'sys/health',
  'sys/seal-status',
  'sys/unseal',
  'sys/init',
  'sys/leader',
  'sys/replication/status',
  'sys/replication/performance/status',
  'sys/replication/dr/status',
  'sys/replication/dr/secondary/promote',
  'sys/replication/dr/secondary/disable',
  'sys/replication/dr/secondary/update-primary',
  'sys/replication/dr/secondary/recover',
  'sys/replication/dr/secondary/reindex',
  'sys/replication/dr/secondary/operation-token/delete',
  'sys/replication/dr/secondary/generate-operation-token/attempt',
  'sys/replication/dr/secondary/generate-operation-token/update',
]);

/** Vault's answer to any other request on a DR secondary (a 400). */
export const DR_SECONDARY_REFUSAL = 'path disabled in replication DR secondary mode';

/** True for a request path a DR secondary serves. */
export function isServedOnDrSecondary(path: string): boolean {
  return SERVED_ON_DR_SECONDARY.has(path.replace(/\/+$/, ''));
}
