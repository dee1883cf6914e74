import { expect } from 'chai';
import { waitFor, type ServerHandle } from './test-cluster.js';

export interface ActivationOptions {
  /** Which replication the primary (already enabled for it) shares: performance by default. */
  readonly kind?: 'performance' | 'dr';
  /** How long the secondary may take to stream WALs. */
  readonly timeoutMs?: number;
}

/**
 * Activates `secondary` as a secondary of `primary` with a fresh token for `id`, and records on its
 * handle what the activation changed: it carries the primary's keyring and seal configuration now
 * (the primary's unseal keys are the cluster's) and its own root token is gone. Returns once the
 * secondary streams WALs.
 */
export async function activateSecondary(primary: ServerHandle, secondary: ServerHandle, id: string, options: ActivationOptions = {}): Promise<void> {
  const base = options.kind === 'dr' ? 'sys/replication/dr' : 'sys/replication';
  const token = await primary.request('POST', `${base}/primary/secondary-token`, { body: { id } });
  expect(token.status, token.text).to.equal(200);
  const enable = await secondary.request('POST', `${base}/secondary/enable`, { body: { token: token.body.wrap_info.token } });
  expect(enable.status, enable.text).to.be.within(200, 204);
  secondary.unsealKeys = primary.unsealKeys;
  secondary.unsealThreshold = primary.unsealThreshold;
  secondary.rootToken = '';
  await waitFor(async () => (await secondary.request('GET', `${base}/status`, { token: null })).body.data?.state === 'stream-wals', {
    timeoutMs: options.timeoutMs ?? 15_000,
    description: `secondary ${id} to stream WALs`,
  });
}
