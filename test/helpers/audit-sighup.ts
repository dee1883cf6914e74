import { type ServerHandle, waitFor } from './test-cluster.js';

/**
 * Sends SIGHUP, as logrotate would after moving an audit file, and waits until the server has let
 * go of its open audit files (its log says so): the next entry opens each path anew.
 */
export async function reopenAuditFiles(server: ServerHandle): Promise<void> {
  const count = (): number => (server.logs().match(/reopened audit devices/g) ?? []).length;
  const before = count();
  if (server.process === undefined || !server.process.kill('SIGHUP')) throw new Error('server process is not running');
  await waitFor(() => count() > before, { description: 'the server to reopen its audit files after SIGHUP' });
}
