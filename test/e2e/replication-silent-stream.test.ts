import { expect } from 'chai';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { startDevServer, waitFor, type ServerHandle } from '../helpers/test-cluster.js';

/**
 * Regression: a replication stream that goes silent without FIN or RST (the primary's host
 * vanishes, a NAT entry is dropped) used to be trusted forever. The secondary now notices the
 * missing heartbeats, redials, and catches up.
 */
describe('replication: a silent (half-open) stream is detected and redialled', function () {
  this.timeout(60_000);
  let primary: ServerHandle;
  let secondary: ServerHandle;
  let proxy: TcpProxy;

  after(async () => {
    await proxy?.close();
    await Promise.all([primary?.stop(), secondary?.stop()]);
  });

  it('replicates a write made after the channel went silent, within a few heartbeats', async () => {
    [primary, secondary] = await Promise.all([startDevServer({ rootTokenId: 'silent' }), startDevServer({ rootTokenId: 'silent' })]);
    proxy = await startTcpProxy({ port: primary.clusterPort });
    await primary.request('POST', 'sys/replication/primary/enable', { body: { primary_cluster_addr: `https://127.0.0.1:${proxy.port}` } });
    const token = (await primary.request('POST', 'sys/replication/primary/secondary-token', { body: { id: 'silent' } })).body.wrap_info.token;
    expect((await secondary.request('POST', 'sys/replication/secondary/enable', { body: { token } })).status).to.equal(200);
    await waitFor(
      async () => ((await secondary.request('GET', 'sys/replication/status', { token: null })).body.data.state === 'stream-wals' ? true : undefined),
      { timeoutMs: 15_000 },
    );
    const forwardedBefore = proxy.stats.forwarded;

    proxy.freeze();
    expect((await primary.request('POST', 'secret/data/after-silence', { body: { data: { v: 'arrived' } } })).status).to.equal(200);
    const started = Date.now();
    await waitFor(async () => ((await secondary.request('GET', 'secret/data/after-silence')).status === 200 ? true : undefined), {
      timeoutMs: 20_000,
      description: 'the write to replicate after the stream went silent',
    });
    const elapsedMs = Date.now() - started;
    console.log(`      silent stream: redialled and replicated ${elapsedMs} ms after the channel went silent`);
    expect(proxy.stats.forwarded).to.be.greaterThan(forwardedBefore);
    expect((await secondary.request('GET', 'secret/data/after-silence')).body.data.data.v).to.equal('arrived');
  });
});
