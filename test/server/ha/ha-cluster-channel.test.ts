import { expect } from 'chai';
import { pino } from 'pino';
import { FORWARDED_FOR_HEADER, HaClusterChannel, LOCAL_FORWARDING_KEY_HEADER } from '../../../server/ha/ha-cluster-channel.js';
import { ClusterPortForwarder, type StandbyRequest } from '../../../server/ha/standby-forwarder.js';
import { SharedClusterPort } from '../../../server/replication/cluster-port.js';
import { VaultError } from '../../../server/core/vault-error.js';
import { startInProcessCore, type InProcessCore } from '../../helpers/in-process-core.js';
import { startLoopbackServer, type LoopbackServer } from '../../helpers/loopback-server.js';
import { freePort } from '../../helpers/test-cluster.js';

/**
 * The forwarding channel end to end inside one process: a standby's ClusterPortForwarder, the
 * active's HaClusterChannel on a real cluster port (mutual TLS from the HA CA in a real barrier),
 * and a loopback HTTP server standing in for the active's API listener.
 */
describe('HaClusterChannel and ClusterPortForwarder', function () {
  this.timeout(20_000);
  let env: InProcessCore;
  let api: LoopbackServer;
  let port: SharedClusterPort;
  let clusterAddr: string;
  let active: HaClusterChannel;
  let standby: HaClusterChannel;
  let forwarder: ClusterPortForwarder;
  const log = pino({ level: 'silent' });
  const request = (overrides: Partial<StandbyRequest> = {}): StandbyRequest => ({
    method: 'PUT',
    url: '/v1/kv/app?x=1&y=2',
    headers: {
      'x-vault-token': 'client-token',
      'content-type': 'application/json',
      connection: 'keep-alive',
      [FORWARDED_FOR_HEADER]: '10.9.9.9',
      [LOCAL_FORWARDING_KEY_HEADER]: 'spoofed',
    },
    body: Buffer.from('{"value":"v"}'),
    remoteAddress: '192.0.2.7',
    ...overrides,
  });

  beforeEach(async () => {
    env = await startInProcessCore();
    api = await startLoopbackServer((req, res) => {
      res.writeHead(req.method === 'PUT' ? 204 : 200, { 'content-type': 'application/json', location: '/somewhere' });
      res.end(req.method === 'PUT' ? '' : '{"data":{"ok":true}}');
    });
    const listen = await freePort();
    clusterAddr = `https://127.0.0.1:${listen}`;
    port = new SharedClusterPort('127.0.0.1', listen);
    active = new HaClusterChannel(env.core, 'active-node', port, log, () => undefined);
    active.setLocalApi(api.address);
    await active.startServing('cluster-1');
    standby = new HaClusterChannel(env.core, 'standby-node', undefined, log, () => undefined);
    forwarder = new ClusterPortForwarder({
      activeNode: async () => ({ apiAddr: 'http://198.51.100.1:8200', clusterAddr }),
      forwardingCredentials: () => standby.clientCredentials(),
    });
  });
  afterEach(async () => {
    forwarder.close();
    await active.stopServing();
    await api.close();
    await env.core.sealCore();
  });

  it('replays method, path, query, headers and body at the active, with the client address it vouches for', async () => {
    const answer = await forwarder.forward(request());
    expect(answer.status).to.equal(204);
    const seen = api.seen[0];
    expect(seen?.method).to.equal('PUT');
    expect(seen?.url).to.equal('/v1/kv/app?x=1&y=2');
    expect(seen?.body).to.equal('{"value":"v"}');
    expect(seen?.headers['x-vault-token']).to.equal('client-token');
    expect(seen?.headers['content-type']).to.equal('application/json');
    // The client's own claims are dropped; the standby's view of the client and the active's own key are set.
    expect(seen?.headers[FORWARDED_FOR_HEADER]).to.equal('192.0.2.7');
    expect(active.isLocalForwardingKey(seen?.headers[LOCAL_FORWARDING_KEY_HEADER] as string)).to.equal(true);
    expect(active.isLocalForwardingKey('spoofed')).to.equal(false);
    expect(standby.isLocalForwardingKey(seen?.headers[LOCAL_FORWARDING_KEY_HEADER] as string), 'the key is per process').to.equal(false);
  });

  it('relays the answer: status, content type, location and body', async () => {
    const answer = await forwarder.forward(request({ method: 'GET', body: Buffer.alloc(0) }));
    expect(answer.status).to.equal(200);
    expect(answer.headers).to.deep.equal({ 'content-type': 'application/json', location: '/somewhere' });
    expect(answer.body.toString()).to.equal('{"data":{"ok":true}}');
  });

  it('answers 307 to the active API address when asked not to forward, without contacting it', async () => {
    const answer = await forwarder.forward(request({ headers: { 'x-vault-no-request-forwarding': 'true' } }));
    expect(answer).to.include({ status: 307 });
    expect(answer.headers.location).to.equal('http://198.51.100.1:8200/v1/kv/app?x=1&y=2');
    expect(api.seen).to.have.length(0);
  });

  it('a former active (its forwarding service closed) is not reached: the standby reports no active node', async () => {
    await active.stopServing();
    // The port is gone with the last tenant: the forwarder gets no answer and says so (503, no active node).
    const failure = await forwarder.forward(request()).catch((err: unknown) => err);
    expect(failure).to.be.instanceOf(VaultError);
    expect((failure as VaultError).code).to.equal('sealed');
    expect(api.seen).to.have.length(0);
  });
});
