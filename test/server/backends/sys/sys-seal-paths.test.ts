import { expect } from 'chai';
import { startInProcessCore, type InProcessCore } from '../../../helpers/in-process-core.js';

const flat = (res: { raw?: { body: string; status?: number } } | undefined): Record<string, unknown> =>
  JSON.parse(res?.raw?.body ?? 'null') as Record<string, unknown>;
const CLUSTER_INFO = 'local/core/cluster/info';

describe('sys/seal-status and sys/health while the keyring and storage disagree', () => {
  let env: InProcessCore;
  let other: InProcessCore;

  beforeEach(async () => {
    env = await startInProcessCore();
    other = await startInProcessCore();
    await env.core.clusterId();
  });
  afterEach(async () => {
    await env.core.sealCore();
    await other.core.sealCore();
  });

  it('answers without cluster_id, never an error, when the cluster id cannot be decrypted (a standby a tick behind)', async () => {
    await other.core.clusterId();
    // The entry as another keyring wrote it: what a standby sees right after an activation.
    await env.physical.put(CLUSTER_INFO, (await other.physical.get(CLUSTER_INFO)) as Buffer);
    const status = flat(await env.call('read', 'sys/seal-status', { token: '' }));
    expect(status).to.include({ sealed: false });
    expect(status).to.not.have.property('cluster_id');
    const health = await env.call('read', 'sys/health', { token: '' });
    expect(health?.raw?.status ?? 200).to.equal(200);
    expect(flat(health)).to.not.have.property('cluster_id');
  });

  it('carries the reason in warnings while a node that sealed itself stays sealed, and drops it once unsealed', async () => {
    await env.core.sealWithReason('the keyring changed');
    expect(flat(await env.call('read', 'sys/seal-status', { token: '' }))).to.deep.include({ sealed: true, warnings: ['the keyring changed'] });
    await env.core.seal.submitShare(env.unsealKeys[0] as Buffer);
    await env.core.postUnseal();
    expect(flat(await env.call('read', 'sys/seal-status', { token: '' }))).to.not.have.property('warnings');
  });
});
