import { expect } from 'chai';
import { parseWalState } from '../../server/core/wal-state.js';
import { activeAndStandby as activeAndStandbyOf, initializeHaNodes } from '../helpers/ha-nodes.js';
import { startPostgresCluster, type PostgresCluster } from '../helpers/postgres-cluster.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { startDevServer, startSqliteServer, waitFor, type ServerHandle } from '../helpers/test-cluster.js';

const MISSING = 'required index state not present';

/** The replicated WAL index a state names (read as a client reads it: without the key). */
function replicatedIndexOf(header: string | null): number {
  expect(header, 'an X-Vault-Index header').to.be.a('string');
  const parsed = parseWalState(header as string, undefined);
  if (!parsed.ok) throw new Error(`unreadable X-Vault-Index: ${parsed.reason}`);
  return parsed.state.replicatedIndex;
}

/** The same state with another replicated index, its HMAC left as it was (what a forger can do). */
function withIndex(header: string, index: number): string {
  const decoded = Buffer.from(header, 'base64').toString('utf8').split(':');
  decoded[3] = String(index);
  return Buffer.from(decoded.join(':'), 'utf8').toString('base64');
}

describe('X-Vault-Index: read-your-writes across performance replication (e2e)', function () {
  this.timeout(90_000);
  let primary: ServerHandle;
  let secondary: ServerHandle;
  let unrelated: ServerHandle;
  let proxy: TcpProxy;

  before(async () => {
    [primary, secondary, unrelated] = await Promise.all([
      startDevServer({ rootTokenId: 'idx' }),
      startDevServer({ rootTokenId: 'idx' }),
      startDevServer({ rootTokenId: 'idx' }),
    ]);
    proxy = await startTcpProxy({ port: primary.clusterPort });
    const enable = await primary.request('POST', 'sys/replication/primary/enable', { body: { primary_cluster_addr: `https://127.0.0.1:${proxy.port}` } });
    expect(enable.status, enable.text).to.be.within(200, 204);
    const token = (await primary.request('POST', 'sys/replication/primary/secondary-token', { body: { id: 'idx' } })).body.wrap_info.token;
    expect((await secondary.request('POST', 'sys/replication/secondary/enable', { body: { token } })).status).to.equal(200);
    await waitFor(
      async () => ((await secondary.request('GET', 'sys/replication/status', { token: null })).body.data.state === 'stream-wals' ? true : undefined),
      { timeoutMs: 20_000, description: 'the secondary to stream' },
    );
  });

  after(async () => {
    proxy?.heal();
    await proxy?.close();
    await Promise.all([primary?.stop(), secondary?.stop(), unrelated?.stop()]);
  });

  it("answers a write on the primary with the state of that write: the primary's WAL index of it", async () => {
    const put = await primary.request('POST', 'secret/data/idx/one', { body: { data: { v: 1 } } });
    expect(put.status, put.text).to.equal(200);
    const index = replicatedIndexOf(put.headers.get('x-vault-index'));
    expect(index).to.equal((await primary.request('GET', 'sys/replication/status')).body.data.last_wal);
    // A read changes nothing: no state.
    expect((await primary.request('GET', 'secret/data/idx/one')).headers.get('x-vault-index')).to.equal(null);
  });

  it('serves a read carrying the state on the secondary once replicated; 412 while cut off, 200 after the cut heals', async () => {
    const first = await primary.request('POST', 'secret/data/idx/two', { body: { data: { v: 'before' } } });
    const firstState = first.headers.get('x-vault-index') as string;
    const read = await waitFor(
      async () => {
        const res = await secondary.request('GET', 'secret/data/idx/two', { headers: { 'X-Vault-Index': firstState } });
        if (res.status === 412) return undefined;
        return res;
      },
      { timeoutMs: 20_000, description: 'the secondary to reach the first state' },
    );
    expect(read.status, read.text).to.equal(200);
    expect(read.body.data.data).to.deep.equal({ v: 'before' });

    proxy.cut('blackhole');
    const second = await primary.request('POST', 'secret/data/idx/two', { body: { data: { v: 'after' } } });
    expect(second.status).to.equal(200);
    const secondState = second.headers.get('x-vault-index') as string;
    expect(replicatedIndexOf(secondState)).to.be.greaterThan(replicatedIndexOf(firstState));
    for (let i = 0; i < 3; i++) {
      const refused = await secondary.request('GET', 'secret/data/idx/two', { headers: { 'X-Vault-Index': secondState } });
      expect(refused.status, refused.text).to.equal(412);
      expect(refused.body).to.deep.equal({ errors: [MISSING] });
    }
    // Without the header the secondary still serves what it has (eventual consistency).
    expect((await secondary.request('GET', 'secret/data/idx/two')).body.data.data).to.deep.equal({ v: 'before' });

    proxy.heal();
    const healed = await waitFor(
      async () => {
        const res = await secondary.request('GET', 'secret/data/idx/two', { headers: { 'X-Vault-Index': secondState } });
        return res.status === 412 ? undefined : res;
      },
      { timeoutMs: 30_000, description: 'the secondary to reach the second state after the cut healed' },
    );
    expect(healed.status, healed.text).to.equal(200);
    expect(healed.body.data.data).to.deep.equal({ v: 'after' });
  });

  it('answers a write forwarded by the secondary with the primary state, which the secondary then serves', async () => {
    const put = await secondary.request('POST', 'secret/data/idx/forwarded', { body: { data: { v: 'via secondary' } } });
    expect(put.status, put.text).to.equal(200);
    const state = put.headers.get('x-vault-index') as string;
    expect(replicatedIndexOf(state)).to.be.greaterThan(0);
    const read = await secondary.request('GET', 'secret/data/idx/forwarded', { headers: { 'X-Vault-Index': state } });
    expect(read.status, read.text).to.equal(200);
    expect(read.body.data.data).to.deep.equal({ v: 'via secondary' });
  });

  it('refuses an altered, malformed or foreign state with 400, never echoing it, and changes nothing', async () => {
    const put = await primary.request('POST', 'secret/data/idx/three', { body: { data: { v: 3 } } });
    const state = put.headers.get('x-vault-index') as string;
    const altered = withIndex(state, replicatedIndexOf(state) - 1);
    const unrelatedWrite = await unrelated.request('POST', 'sys/replication/primary/enable', { body: {} });
    expect(unrelatedWrite.status, unrelatedWrite.text).to.be.within(200, 204);
    const foreign = (await unrelated.request('POST', 'secret/data/elsewhere', { body: { data: { v: 1 } } })).headers.get('x-vault-index') as string;
    expect(replicatedIndexOf(foreign)).to.be.greaterThan(0);
    for (const node of [primary, secondary]) {
      for (const value of [altered, 'bm90IGEgc3RhdGU=', '%%%', foreign]) {
        const res = await node.request('POST', 'secret/data/idx/three', { body: { data: { v: 'overwritten' } }, headers: { 'X-Vault-Index': value } });
        expect(res.status, `${value}: ${res.text}`).to.equal(400);
        expect(res.text).to.not.include(value);
      }
    }
    expect((await primary.request('GET', 'secret/data/idx/three')).body.data.data).to.deep.equal({ v: 3 });
    // A state of the primary's own set is refused by the unrelated cluster too.
    expect((await unrelated.request('GET', 'secret/data/elsewhere', { headers: { 'X-Vault-Index': state } })).status).to.equal(400);
  });
});

describe('X-Vault-Index through an HA standby (e2e)', function () {
  this.timeout(180_000);
  let pg: PostgresCluster;
  let nodes: ServerHandle[] = [];

  const activeAndStandby = (): Promise<[ServerHandle, ServerHandle]> => activeAndStandbyOf(nodes);

  before(async () => {
    pg = await startPostgresCluster();
    const db = await pg.createDatabase();
    const storage = `storage "postgresql" {\n  connection_url = "${db.url}"\n  ha_enabled = "true"\n}`;
    nodes = [await startSqliteServer({ storage, initialize: false }), await startSqliteServer({ storage, initialize: false })];
    await initializeHaNodes(nodes, 1, 1);
    const [active] = await activeAndStandby();
    for (const [path, body] of [
      ['sys/mounts/kv', { type: 'kv', options: { version: '2' } }],
      ['sys/replication/primary/enable', {}],
    ] as const) {
      const res = await active.request('POST', path, { body });
      expect(res.status, `${path}: ${res.text}`).to.be.within(200, 204);
    }
  });

  after(async () => {
    for (const n of nodes) await n.stop();
    await pg?.stop();
  });

  it('relays the state of a write made through the standby, and has the active node decide a state sent through it', async () => {
    const [active, standby] = await activeAndStandby();
    const put = await standby.request('POST', 'kv/data/ha', { body: { data: { v: 'through the standby' } } });
    expect(put.status, put.text).to.equal(200);
    const state = put.headers.get('x-vault-index') as string;
    expect(replicatedIndexOf(state)).to.equal((await active.request('GET', 'sys/replication/status')).body.data.last_wal);
    // A standby serves no reads itself (it forwards every request), so `forward-active-node` is
    // what it does anyway: the active node, which holds every write, serves the read.
    const read = await standby.request('GET', 'kv/data/ha', { headers: { 'X-Vault-Index': state, 'X-Vault-Inconsistent': 'forward-active-node' } });
    expect(read.status, read.text).to.equal(200);
    expect(read.body.data.data).to.deep.equal({ v: 'through the standby' });
    // The header reaches the active node and is honoured there: an altered state is refused.
    const altered = await standby.request('GET', 'kv/data/ha', { headers: { 'X-Vault-Index': withIndex(state, replicatedIndexOf(state) + 1) } });
    expect(altered.status, altered.text).to.equal(400);
  });
});
