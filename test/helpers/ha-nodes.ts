import { expect } from 'chai';
import { type ServerHandle, waitFor } from './test-cluster.js';

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

/**
 * Waits until exactly one of `nodes` is active (health 200) and the others are standbys (429), and
 * answers the active node and a standby.
 */
export async function activeAndStandby(nodes: readonly ServerHandle[]): Promise<[ServerHandle, ServerHandle]> {
  const active = await waitFor(
    async () => {
      const codes = await Promise.all(nodes.map(async (n) => (await n.request('GET', 'sys/health', { token: null })).status));
      return codes.filter((c) => c === 200).length === 1 && codes.every((c) => c === 200 || c === 429) ? nodes[codes.indexOf(200)] : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 100, description: 'one active node, one standby' },
  );
  return [active, nodes.find((n) => n !== active) as ServerHandle];
}
