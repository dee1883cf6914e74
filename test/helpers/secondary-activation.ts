import { expect } from 'chai';
import { waitFor, type ServerHandle } from './test-cluster.js';

/**
 * Activates `secondary` as a performance secondary of `primary` (already a primary) with a fresh
 * token for `id`, and records on its handle what the activation changed: it carries the primary's
 * keyring and seal configuration now (the primary's unseal keys are the cluster's) and its own root
 * token is gone. Returns once the secondary streams WALs.
 */
export async function activateSecondary(primary: ServerHandle, secondary: ServerHandle, id: string, timeoutMs = 15_000): Promise<void> {
  const token = await primary.request('POST', 'sys/replication/primary/secondary-token', { body: { id } });
  expect(token.status, token.text).to.equal(200);
  const enable = await secondary.request('POST', 'sys/replication/secondary/enable', { body: { token: token.body.wrap_info.token } });
  expect(enable.status, enable.text).to.be.within(200, 204);
  secondary.unsealKeys = primary.unsealKeys;
  secondary.unsealThreshold = primary.unsealThreshold;
  secondary.rootToken = '';
  await waitFor(async () => (await secondary.request('GET', 'sys/replication/status', { token: null })).body.data?.state === 'stream-wals', {
    timeoutMs,
    description: `secondary ${id} to stream WALs`,
  });
}
