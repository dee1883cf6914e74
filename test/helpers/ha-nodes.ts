import { expect } from 'chai';
import type { ServerHandle } from './test-cluster.js';

/**
 * Initializes an HA cluster through its first node (all nodes share one storage) and unseals every
 * node with the same keys, as an operator does; each handle learns the root token and the keys.
 */
export async function initializeHaNodes(nodes: readonly ServerHandle[], shares: number, threshold: number): Promise<void> {
  const first = nodes[0];
  if (first === undefined) throw new Error('no nodes to initialize');
  const init = await first.request('PUT', 'sys/init', { token: null, body: { secret_shares: shares, secret_threshold: threshold } });
  expect(init.status, init.text).to.equal(200);
  for (const node of nodes) {
    node.rootToken = init.body.root_token as string;
    node.unsealKeys = init.body.keys_base64 as string[];
    node.unsealThreshold = threshold;
    await node.unseal();
  }
}
