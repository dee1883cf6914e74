import { expect } from 'chai';
import { generateRoot } from '../helpers/generate-root.js';
import { startPostgresCluster, type PostgresCluster } from '../helpers/postgres-cluster.js';
import { startSqliteServer, waitFor, type ServerHandle } from '../helpers/test-cluster.js';
import { initializeHaNodes } from '../helpers/ha-nodes.js';

/** A node's heartbeat lapses after three lock TTLs (3 s each): the active forgets a node paused that long. */
const HEARTBEAT_LAPSE_MS = 10_000;

/**
 * The guide's open problem: a secondary cluster with standbys is activated. The standbys were
 * unsealed with the cluster's own keys; activation replaces the keyring with the primary's. A
 * standby follows the new keyring without an operator (the active hands it over, encrypted to the
 * standby's own node key), so it can take over when the active dies right after; one that could
 * not get it seals itself and says why.
 */
describe('HA: activating a secondary cluster with standbys (e2e)', function () {
  this.timeout(240_000);
  let pg: PostgresCluster;
  let primary: ServerHandle;
  let nodes: ServerHandle[] = [];

  const health = async (node: ServerHandle): Promise<number> => {
    try {
      return (await node.request('GET', 'sys/health', { token: null })).status;
    } catch {
      return 0;
    }
  };
  const activeOf = (candidates: readonly ServerHandle[]): Promise<ServerHandle> =>
    waitFor(
      async () => {
        const codes = await Promise.all(candidates.map(async (n) => [n, await health(n)] as const));
        const active = codes.filter(([, c]) => c === 200);
        return active.length === 1 && codes.every(([, c]) => c === 200 || c === 429) ? active[0]?.[0] : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, description: 'exactly one active node and the rest standbys' },
    );

  before(async () => {
    pg = await startPostgresCluster();
    const db = await pg.createDatabase();
    const storage = `storage "postgresql" {\n  connection_url = "${db.url}"\n  ha_enabled = "true"\n}`;
    primary = await startSqliteServer();
    const mount = await primary.request('POST', 'sys/mounts/kv', { body: { type: 'kv' } });
    expect(mount.status, mount.text).to.equal(204);
    expect((await primary.request('PUT', 'kv/replicated', { body: { value: 'from the primary' } })).status).to.equal(204);
    const enabled = await primary.request('POST', 'sys/replication/primary/enable');
    expect(enabled.status, enabled.text).to.be.within(200, 204);
    // The secondary cluster: three nodes on one database, each unsealed with the cluster's own keys.
    nodes = [];
    for (let i = 0; i < 3; i++) nodes.push(await startSqliteServer({ storage, initialize: false }));
    await initializeHaNodes(nodes, 3, 2);
    await activeOf(nodes);
  });
  after(async () => {
    for (const n of nodes) await n.stop();
    await primary?.stop();
    await pg?.stop();
  });

  it('after activation and a kill -9 of the active, a standby takes over with the primary keyring; one paused through it seals itself and says why', async () => {
    const active = await activeOf(nodes);
    const [standby, paused] = nodes.filter((n) => n !== active) as [ServerHandle, ServerHandle];
    // One standby sleeps through the activation long enough to be forgotten by the active.
    const pausedPid = paused.process?.pid as number;
    process.kill(pausedPid, 'SIGSTOP');
    try {
      await waitFor(
        async () => {
          const listed = (await active.request('GET', 'sys/ha-status')).body.data.nodes as { api_address: string }[];
          return listed.every((n) => n.api_address !== paused.addr) ? true : undefined;
        },
        { timeoutMs: HEARTBEAT_LAPSE_MS + 10_000, intervalMs: 250, description: 'the paused node forgotten by the active' },
      );
      const token = await primary.request('POST', 'sys/replication/primary/secondary-token', { body: { id: 'dc2' } });
      expect(token.status, token.text).to.equal(200);
      const enable = await active.request('POST', 'sys/replication/secondary/enable', { body: { token: token.body.wrap_info.token } });
      expect(enable.status, enable.text).to.be.within(200, 204);
      await active.kill9();
    } finally {
      process.kill(pausedPid, 'SIGCONT');
    }

    // The standby takes over on its own: no unseal, the primary's data served.
    await waitFor(async () => ((await health(standby)) === 200 ? true : undefined), { timeoutMs: 30_000, intervalMs: 100, description: 'the standby active' });
    const seal = (await standby.request('GET', 'sys/seal-status', { token: null })).body;
    expect(seal.sealed).to.equal(false);
    expect(seal).to.not.have.property('warnings');
    const root = await generateRoot(standby, primary.unsealKeys.slice(0, 2));
    expect(root.token, `generate-root with the primary's keys: ${JSON.stringify(root)}`).to.be.a('string');
    const read = await waitFor(
      async () => {
        const res = await standby.request('GET', 'kv/replicated', { token: root.token as string });
        return res.status === 200 ? res : undefined;
      },
      { timeoutMs: 20_000, description: 'the replicated secret on the new active' },
    );
    expect(read.body.data).to.deep.equal({ value: 'from the primary' });
    expect(standby.logs()).to.match(/followed the keyring handed over by the active node/);

    // The paused node missed the handover: it seals itself, says why, and answers as a sealed node.
    const reason = await waitFor(
      async () => {
        const status = (await paused.request('GET', 'sys/seal-status', { token: null })).body;
        return status.sealed === true && Array.isArray(status.warnings) ? (status.warnings as string[]) : undefined;
      },
      { timeoutMs: 20_000, description: 'the paused node sealed with a reason' },
    );
    expect(reason.join(' ')).to.match(/keyring/);
    expect(paused.logs()).to.match(/sealing: .*keyring/);
    const answer = await paused.request('GET', 'kv/replicated', { token: root.token as string });
    expect(answer.status, answer.text).to.equal(503);
    // With the primary's keys it unseals again and becomes a standby of the new active.
    paused.unsealKeys = primary.unsealKeys;
    await paused.unseal();
    expect(await health(paused)).to.equal(429);
    expect((await paused.request('GET', 'sys/seal-status', { token: null })).body).to.not.have.property('warnings');
    const forwarded = await paused.request('GET', 'kv/replicated', { token: root.token as string });
    expect(forwarded.body.data).to.deep.equal({ value: 'from the primary' });
    for (const log of [standby.logs(), paused.logs()])
      for (const key of [...primary.unsealKeys, ...(nodes[0]?.unsealKeys ?? [])]) expect(log).to.not.include(key);
  });
});

/** The same watch on a primary (or unreplicated) cluster: a standby follows a rotation and then a rekey made on the active. */
describe('HA: standbys follow a rotation and a rekey (e2e)', function () {
  this.timeout(180_000);
  let pg: PostgresCluster;
  let nodes: ServerHandle[] = [];

  before(async () => {
    pg = await startPostgresCluster();
    const db = await pg.createDatabase();
    const storage = `storage "postgresql" {\n  connection_url = "${db.url}"\n  ha_enabled = "true"\n}`;
    nodes = [await startSqliteServer({ storage, initialize: false }), await startSqliteServer({ storage, initialize: false })];
    await initializeHaNodes(nodes, 3, 2);
  });
  after(async () => {
    for (const n of nodes) await n.stop();
    await pg?.stop();
  });

  it('takes over after kill -9 of the active that rotated and rekeyed, with the new unseal keys valid on a restart', async () => {
    const active = await waitFor(
      async () => {
        for (const n of nodes) if ((await n.request('GET', 'sys/health', { token: null })).status === 200) return n;
        return undefined;
      },
      { timeoutMs: 30_000, description: 'an active node' },
    );
    const standby = nodes.find((n) => n !== active) as ServerHandle;
    expect((await active.request('POST', 'sys/mounts/kv', { body: { type: 'kv' } })).status).to.equal(204);
    expect((await active.request('PUT', 'kv/before', { body: { value: 'term 1' } })).status).to.equal(204);
    expect((await active.request('PUT', 'sys/rotate')).status).to.equal(204);
    expect((await active.request('PUT', 'kv/rotated', { body: { value: 'term 2' } })).status).to.equal(204);
    // Let the standby see the rotation before the rekey re-seals the keyring with a new root key.
    await waitFor(() => standby.logs().includes('followed a change of the keyring'), { timeoutMs: 10_000, description: 'the standby followed the rotation' });
    const start = await active.request('PUT', 'sys/rekey/init', { body: { secret_shares: 2, secret_threshold: 2 } });
    expect(start.status, start.text).to.equal(200);
    let done = start;
    for (const key of active.unsealKeys.slice(0, 2)) done = await active.request('PUT', 'sys/rekey/update', { body: { key, nonce: start.body.nonce } });
    expect(done.body.complete, done.text).to.equal(true);
    const newKeys = done.body.keys_base64 as string[];
    await waitFor(() => standby.logs().split('followed a change of the keyring').length > 2, {
      timeoutMs: 10_000,
      description: 'the standby followed the rekey',
    });
    await active.kill9();
    await waitFor(async () => ((await standby.request('GET', 'sys/health', { token: null })).status === 200 ? true : undefined), {
      timeoutMs: 30_000,
      intervalMs: 100,
      description: 'the standby active',
    });
    for (const [key, value] of [
      ['before', 'term 1'],
      ['rotated', 'term 2'],
    ] as const) {
      const res = await standby.request('GET', `kv/${key}`);
      expect(res.body?.data, `${key}: ${res.status} ${res.text}`).to.deep.equal({ value });
    }
    expect((await standby.request('PUT', 'kv/after', { body: { value: 'written by the new active' } })).status).to.equal(204);
    // The old active comes back: the rekeyed keys unseal it, and it is a standby of the new active.
    active.unsealKeys = newKeys;
    await active.restart();
    expect((await active.request('GET', 'sys/health', { token: null })).status).to.equal(429);
    expect((await active.request('GET', 'kv/after')).body.data).to.deep.equal({ value: 'written by the new active' });
  });
});
