import { expect } from 'chai';
import http2 from 'node:http2';
import { ClusterCa } from '../../server/replication/cluster-ca.js';
import { startPostgresCluster, type PostgresCluster } from '../helpers/postgres-cluster.js';
import { freePort, startSqliteServer, type ServerHandle } from '../helpers/test-cluster.js';
import { activeAndStandby as activeAndStandbyOf, initializeHaNodes } from '../helpers/ha-nodes.js';

/** What the standbys ask for on the cluster port (`HA_SERVER_NAME`). */
const HA_SERVER_NAME = 'ferry-ha-forwarding';

/**
 * Standbys forward over the cluster port with mutual TLS (the cluster's HA CA), not over the
 * active's API address: here every node advertises an API address nobody listens on.
 */
describe('HA: request forwarding over the cluster port (e2e)', function () {
  this.timeout(180_000);
  let pg: PostgresCluster;
  let nodes: ServerHandle[] = [];
  let closedApiAddr: string;

  const activeAndStandby = (): Promise<[ServerHandle, ServerHandle]> => activeAndStandbyOf(nodes);

  /** One request on the cluster port of `node`, as a peer with `tls` (answers the status, or the connection's error). */
  const clusterRequest = async (node: ServerHandle, tls: http2.SecureClientSessionOptions): Promise<number | Error> => {
    const session = http2.connect(`https://127.0.0.1:${node.clusterPort}`, { servername: HA_SERVER_NAME, minVersion: 'TLSv1.3', ...tls });
    try {
      return await new Promise<number | Error>((resolve) => {
        session.on('error', (err) => resolve(err));
        const stream = session.request({ ':method': 'GET', ':path': '/v1/sys/mounts', 'x-vault-token': node.rootToken });
        stream.on('response', (h) => resolve(Number(h[':status'])));
        stream.on('error', (err) => resolve(err));
        stream.on('close', () => resolve(new Error('closed')));
        session.on('close', () => resolve(new Error('closed')));
        setTimeout(() => resolve(new Error('no answer')), 10_000).unref();
        stream.end();
      });
    } finally {
      session.destroy();
    }
  };

  before(async () => {
    pg = await startPostgresCluster();
    const db = await pg.createDatabase();
    const storage = `storage "postgresql" {\n  connection_url = "${db.url}"\n  ha_enabled = "true"\n}`;
    closedApiAddr = `http://127.0.0.1:${await freePort()}`;
    nodes = [
      await startSqliteServer({ storage, initialize: false, advertisedApiAddr: closedApiAddr }),
      await startSqliteServer({ storage, initialize: false, advertisedApiAddr: closedApiAddr }),
    ];
    await initializeHaNodes(nodes, 1, 1);
    const [active] = await activeAndStandby();
    expect((await active.request('POST', 'sys/mounts/kv', { body: { type: 'kv' } })).status).to.equal(204);
  });
  after(async () => {
    for (const n of nodes) await n.stop();
    await pg?.stop();
  });

  it('forwards writes and reads through the standby with method, path, query, headers and body intact', async () => {
    const [active, standby] = await activeAndStandby();
    expect((await standby.request('GET', 'sys/leader', { token: null })).body.leader_address).to.equal(closedApiAddr);
    const put = await standby.request('PUT', 'kv/app/one', { body: { value: 'through the cluster port' } });
    expect(put.status, put.text).to.equal(204);
    expect((await active.request('GET', 'kv/app/one')).body.data).to.deep.equal({ value: 'through the cluster port' });
    const listed = await standby.request('GET', 'kv/app?list=true');
    expect(listed.status, listed.text).to.equal(200);
    expect(listed.body.data.keys).to.deep.equal(['one']);
    // A header the backend acts on: response wrapping is asked for with X-Vault-Wrap-TTL.
    const wrapped = await standby.request('GET', 'kv/app/one', { headers: { 'X-Vault-Wrap-TTL': '60' } });
    expect(wrapped.body.wrap_info?.ttl, wrapped.text).to.equal(60);
    const bad = await standby.request('PUT', 'kv/app/two', { body: '{not json' });
    expect(bad.status).to.equal(400);
    expect(bad.body).to.have.property('errors');
    expect(standby.logs()).to.not.include(standby.rootToken);
  });

  it('measures what forwarding adds to a write (sequential KV writes, direct vs through the standby)', async () => {
    const [active, standby] = await activeAndStandby();
    const median = async (node: ServerHandle, prefix: string): Promise<number> => {
      const times: number[] = [];
      for (let i = 0; i < 100; i++) {
        const started = process.hrtime.bigint();
        const res = await node.request('PUT', `kv/bench/${prefix}-${i}`, { body: { value: 'x' } });
        times.push(Number(process.hrtime.bigint() - started) / 1e6);
        expect(res.status, res.text).to.equal(204);
      }
      return times.sort((a, b) => a - b)[times.length / 2] as number;
    };
    const direct = await median(active, 'direct');
    const forwarded = await median(standby, 'forwarded');
    console.log(`      KV write, median of 100: ${direct.toFixed(2)} ms on the active, ${forwarded.toFixed(2)} ms through the standby`);
  });

  it('keeps the client address for CIDR-bound tokens', async () => {
    const [active, standby] = await activeAndStandby();
    const token = async (cidr: string): Promise<string> => {
      const role = await active.request('POST', `auth/token/roles/bound-${cidr.replace(/[./]/g, '-')}`, { body: { token_bound_cidrs: [cidr] } });
      expect(role.status, role.text).to.equal(204);
      const created = await active.request('POST', `auth/token/create/bound-${cidr.replace(/[./]/g, '-')}`, { body: {} });
      expect(created.status, created.text).to.equal(200);
      return created.body.auth.client_token as string;
    };
    expect((await standby.request('GET', 'auth/token/lookup-self', { token: await token('127.0.0.1/32') })).status).to.equal(200);
    expect((await standby.request('GET', 'auth/token/lookup-self', { token: await token('10.0.0.0/8') })).status).to.equal(403);
  });

  it('answers 307 to the advertised API address with X-Vault-No-Request-Forwarding', async () => {
    const [, standby] = await activeAndStandby();
    const res = await standby.request('GET', 'kv/app/one?x=1', { headers: { 'X-Vault-No-Request-Forwarding': 'true' } });
    expect(res.status).to.equal(307);
    expect(res.headers.get('location')).to.equal(`${closedApiAddr}/v1/kv/app/one?x=1`);
  });

  it('refuses a peer without a certificate of the cluster’s HA CA', async () => {
    const [active] = await activeAndStandby();
    const stranger = await ClusterCa.create('stranger');
    const client = await stranger.issueClient('intruder');
    // Without a client certificate, and with one of another CA: no request gets through.
    for (const tls of [
      { ca: stranger.ca.certPem, rejectUnauthorized: false },
      { ca: stranger.ca.certPem, cert: client.certPem, key: client.keyPem, rejectUnauthorized: false },
    ]) {
      const answer = await clusterRequest(active, tls);
      expect(answer instanceof Error || answer === 403, String(answer)).to.equal(true);
    }
    // And the client does not trust the active either unless it knows the CA.
    const untrusted = await clusterRequest(active, { ca: stranger.ca.certPem, cert: client.certPem, key: client.keyPem });
    expect(untrusted).to.be.instanceOf(Error);
    // A standby of the cluster gets through the same port (the forwarding test above), so the port is the one refusing.
    expect(active.logs()).to.not.include(active.rootToken);
  });
});
