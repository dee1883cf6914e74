import { expect } from 'chai';
import { TransportError } from '../../server/api-client/transport-error.js';
import { VaultClient } from '../../server/api-client/vault-client.js';
import { startPostgresCluster, type PostgresCluster } from '../helpers/postgres-cluster.js';
import { startSqliteServer, waitFor, type ServerHandle } from '../helpers/test-cluster.js';
import { initializeHaNodes } from '../helpers/ha-nodes.js';

/**
 * Issue #13, replication across HA failovers: a 2-node primary cluster (one PostgreSQL database)
 * replicates to a 2-node secondary cluster (a second database of the same throwaway PostgreSQL).
 * Writers put unique values through both primary nodes while the primary's active node is killed
 * (kill -9), then the secondary's; each killed node comes back as a standby. A write history
 * records every write as ok (acknowledged), fail (certainly not applied) or unknown; afterwards
 * both clusters hold every acknowledged write and no failed one, with equal values everywhere and
 * equal Merkle roots within 10 s of the load stopping.
 */
describe('HA replication across failovers: 2-node primary → 2-node secondary on PostgreSQL (e2e)', function () {
  this.timeout(300_000);

  const MOUNT = 'hist';
  const READER = { username: 'checker', password: 'checker-pass-13a' };
  const WRITE_TIMEOUT_MS = 2_000;
  const WRITE_PAUSE_MS = 20;
  const CONVERGE_BUDGET_MS = 10_000;
  const ACKS_PER_PHASE = 60;

  type Outcome = 'invoked' | 'ok' | 'fail' | 'unknown';
  interface Operation {
    readonly key: string;
    readonly value: string;
    outcome: Outcome;
  }

  let pg: PostgresCluster;
  let primaries: ServerHandle[] = [];
  let secondaries: ServerHandle[] = [];
  const ops: Operation[] = [];
  const acked = (): number => ops.filter((op) => op.outcome === 'ok').length;
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

  async function call(server: ServerHandle, method: string, path: string, options: { token?: string | null; body?: unknown; timeoutMs?: number } = {}) {
    const token = options.token === undefined ? server.rootToken : options.token;
    const client = new VaultClient({ address: server.addr, timeoutMs: options.timeoutMs ?? 5_000 });
    const res = await client.send(method, path, { token: token || null, body: options.body });
    return { status: res.status, body: (res.text === '' ? undefined : (res.json ?? res.text)) as any, text: res.text };
  }
  const health = async (node: ServerHandle): Promise<number> => (await call(node, 'GET', 'sys/health', { token: null }).catch(() => ({ status: 0 }))).status;
  async function replicationStatus(node: ServerHandle): Promise<Record<string, any>> {
    const res = await call(node, 'GET', 'sys/replication/status', { token: null });
    if (res.status !== 200) throw new Error(`replication status answered ${res.status}`);
    return res.body.data as Record<string, any>;
  }
  /** The one node of `nodes` answering 200 on sys/health while the others answer 429 (or are down). */
  const activeOf = (nodes: ServerHandle[], timeoutMs = 30_000): Promise<ServerHandle> =>
    waitFor(
      async () => {
        const codes = await Promise.all(nodes.map(async (n) => [n, n.process === undefined ? -1 : await health(n)] as const));
        const active = codes.filter(([, c]) => c === 200);
        return active.length === 1 && codes.every(([, c]) => c === 200 || c === 429 || c === -1) ? active[0]?.[0] : undefined;
      },
      { timeoutMs, intervalMs: 50, description: 'exactly one active node' },
    );
  const clusterAddr = (node: ServerHandle): string => `https://127.0.0.1:${node.clusterPort}`;

  /** Starts two HA nodes on a fresh database; `init` of the first; both unsealed. */
  async function startHaPair(): Promise<ServerHandle[]> {
    const db = await pg.createDatabase();
    const storage = `storage "postgresql" {\n  connection_url = "${db.url}"\n  ha_enabled = "true"\n}`;
    const nodes = [await startSqliteServer({ storage, initialize: false }), await startSqliteServer({ storage, initialize: false })];
    await initializeHaNodes(nodes, 3, 2);
    return nodes;
  }

  async function write(server: ServerHandle, op: Operation): Promise<void> {
    try {
      const res = await call(server, 'POST', `${MOUNT}/data/${op.key}`, { body: { data: { v: op.value } }, timeoutMs: WRITE_TIMEOUT_MS });
      op.outcome = res.status === 200 || res.status === 204 ? 'ok' : res.status >= 400 && res.status < 500 ? 'fail' : 'unknown';
    } catch (err) {
      // Refused: the request never left this process. Anything else may have reached a server.
      op.outcome = err instanceof TransportError && err.code === 'ECONNREFUSED' ? 'fail' : 'unknown';
    }
  }

  /** Two writers, each alternating between the primary's nodes (a standby forwards to the active). */
  function startWriters(): { done: Promise<void>; stop: () => void } {
    let stopped = false;
    const writer = async (w: number): Promise<void> => {
      for (let n = 0; !stopped; n++) {
        const op: Operation = { key: `w${w}-${n}`, value: `w${w}-${n}-${Math.random().toString(36).slice(2)}`, outcome: 'invoked' };
        ops.push(op);
        await write(primaries[(n + w) % primaries.length] as ServerHandle, op);
        await sleep(op.outcome === 'ok' ? WRITE_PAUSE_MS : 100);
      }
    };
    const done = Promise.all([writer(0), writer(1)]).then(() => undefined);
    return { done, stop: () => (stopped = true) };
  }
  const waitForAcks = (count: number, what: string) =>
    waitFor(() => acked() >= count, { timeoutMs: 60_000, description: `${count} acknowledged writes ${what}` });

  /** Kills the active node of `nodes`; resolves with it and the kill time once its process is gone. */
  async function killActive(nodes: ServerHandle[]): Promise<{ killed: ServerHandle; killedAt: number }> {
    const killed = await activeOf(nodes);
    await killed.kill9();
    return { killed, killedAt: Date.now() };
  }

  /** Once the secondary's active has applied the primary's WAL up to what the primary's active has now. */
  async function secondaryCaughtUp(): Promise<void> {
    const target = (await replicationStatus(await activeOf(primaries))).last_wal as number;
    await waitFor(
      async () => {
        const s = await replicationStatus(await activeOf(secondaries, 2_000));
        return s.state === 'stream-wals' && (s.last_remote_wal as number) >= target;
      },
      { timeoutMs: 30_000, intervalMs: 25, description: `the secondary to apply WAL ${target}` },
    );
  }

  before(async () => {
    pg = await startPostgresCluster();
    primaries = await startHaPair();
    secondaries = await startHaPair();
    const primary = await activeOf(primaries);
    const setup: Array<[string, unknown]> = [
      [`sys/mounts/${MOUNT}`, { type: 'kv', options: { version: '2' } }],
      ['sys/policies/acl/hist-reader', { policy: `path "${MOUNT}/data/*" {\n  capabilities = ["read"]\n}\n` }],
      ['sys/auth/userpass', { type: 'userpass' }],
      [`auth/userpass/users/${READER.username}`, { password: READER.password, policies: 'hist-reader' }],
      ['sys/replication/primary/enable', {}],
    ];
    for (const [path, body] of setup) {
      const res = await call(primary, 'POST', path, { body });
      expect(res.status, `${path}: ${res.text}`).to.be.within(200, 204);
    }
    const token = await call(primary, 'POST', 'sys/replication/primary/secondary-token', { body: { id: 'dc2' } });
    expect(token.status, token.text).to.equal(200);
    const secondary = await activeOf(secondaries);
    const enable = await call(secondary, 'POST', 'sys/replication/secondary/enable', { body: { token: token.body.wrap_info.token }, timeoutMs: 30_000 });
    expect(enable.status, enable.text).to.be.within(200, 204);
    // The secondary cluster now has the primary's keyring. Its standby is restarted and unsealed with
    // the primary's keys (Vault's documented step), so this test does not lean on the keyring
    // handover, which test/e2e/ha-secondary-activation.test.ts proves on its own.
    for (const node of secondaries) {
      node.unsealKeys = primary.unsealKeys;
      node.rootToken = '';
      if (node !== secondary) await node.restart();
    }
    await waitFor(async () => (await replicationStatus(secondary)).state === 'stream-wals', { timeoutMs: 20_000, description: 'the secondary to stream' });
  });
  after(async () => {
    for (const node of [...primaries, ...secondaries]) await node.stop();
    await pg?.stop();
  });

  it('the secondary learns every primary node’s cluster address (known_primary_cluster_addrs)', async () => {
    const secondary = await activeOf(secondaries);
    const status = await waitFor(
      async () => {
        const s = await replicationStatus(secondary);
        return (s.known_primary_cluster_addrs as string[]).length === 2 ? s : undefined;
      },
      { timeoutMs: 15_000, description: 'both primary nodes in known_primary_cluster_addrs' },
    );
    const primary = await activeOf(primaries);
    expect(status.known_primary_cluster_addrs).to.deep.equal([clusterAddr(primary), ...primaries.filter((n) => n !== primary).map(clusterAddr)]);
    expect(status.primary_cluster_addr).to.equal(clusterAddr(primary));
    expect(status.primaries[0].connection_status).to.equal('connected');
  });

  it('under a steady write load, kill -9 of each active in turn: 0 acknowledged writes lost, none failed applied, converged within 10 s', async () => {
    const writers = startWriters();
    try {
      await waitForAcks(ACKS_PER_PHASE, 'before the primary failover');
      // 1. The primary's active dies; the other node takes over and the secondary follows it.
      const primaryKill = await killActive(primaries);
      const ackedAtKill = acked();
      await waitForAcks(ackedAtKill + 1, 'after the primary failover');
      const primaryFailoverMs = Date.now() - primaryKill.killedAt;
      const newPrimary = await activeOf(primaries);
      await secondaryCaughtUp();
      const secondaryFollowMs = Date.now() - primaryKill.killedAt;
      const following = await replicationStatus(await activeOf(secondaries));
      expect(following.primary_cluster_addr, 'the secondary streams from the new active node').to.equal(clusterAddr(newPrimary));
      await primaryKill.killed.restart();
      expect(await activeOf(primaries), 'the restarted node is a standby').to.equal(newPrimary);
      await waitForAcks(acked() + ACKS_PER_PHASE, 'after the primary failover');

      // 2. The secondary's active dies; its standby takes over and resumes the stream.
      const secondaryKill = await killActive(secondaries);
      const newSecondary = await activeOf(secondaries);
      const secondaryFailoverMs = Date.now() - secondaryKill.killedAt;
      await secondaryCaughtUp();
      const secondaryResumeMs = Date.now() - secondaryKill.killedAt;
      await secondaryKill.killed.restart();
      expect(await activeOf(secondaries), 'the restarted node is a standby').to.equal(newSecondary);
      await waitForAcks(acked() + ACKS_PER_PHASE, 'after the secondary failover');
      writers.stop();
      await writers.done;

      // 3. Converged: equal Merkle roots, everything applied, within the budget.
      const stoppedAt = Date.now();
      let last = '';
      await waitFor(
        async () => {
          const [p, s] = await Promise.all([replicationStatus(await activeOf(primaries)), replicationStatus(await activeOf(secondaries))]);
          last = `primary last_wal=${p.last_wal} merkle=${p.merkle_root}; secondary last_remote_wal=${s.last_remote_wal} merkle=${s.merkle_root}`;
          return s.last_remote_wal >= p.last_wal && p.merkle_root === s.merkle_root;
        },
        { timeoutMs: CONVERGE_BUDGET_MS, intervalMs: 50, description: `primary and secondary to converge (last: ${last})` },
      ).catch((err: Error) => Promise.reject(new Error(`${err.message}; last: ${last}`)));
      const convergeMs = Date.now() - stoppedAt;
      const count = (o: Outcome) => ops.filter((op) => op.outcome === o).length;
      console.log(
        `      ${ops.length} writes: ${count('ok')} ok / ${count('fail')} fail / ${count('unknown') + count('invoked')} unknown\n` +
          `      primary failover: first acknowledged write ${primaryFailoverMs} ms after kill -9 of its active; the secondary applied the new active's WAL ${secondaryFollowMs} ms after it\n` +
          `      secondary failover: new active ${secondaryFailoverMs} ms after kill -9 of its active; stream resumed and caught up ${secondaryResumeMs} ms after it\n` +
          `      converged (equal Merkle roots) ${convergeMs} ms after the load stopped`,
      );

      // 4. The history, checked on both clusters' active nodes.
      const login = await call(newSecondary, 'POST', `auth/userpass/login/${READER.username}`, { token: null, body: { password: READER.password } });
      expect(login.status, login.text).to.equal(200);
      const readers: Array<[ServerHandle, string]> = [
        [await activeOf(primaries), newPrimary.rootToken],
        [newSecondary, login.body.auth.client_token as string],
      ];
      const present: Set<string>[] = [];
      for (const [node, token] of readers) {
        const lost: string[] = [];
        const phantom: string[] = [];
        const here = new Set<string>();
        for (let k = 0; k < ops.length; k += 16) {
          await Promise.all(
            ops.slice(k, k + 16).map(async (op) => {
              const res = await call(node, 'GET', `${MOUNT}/data/${op.key}`, { token });
              if (res.status !== 200 && res.status !== 404) throw new Error(`reading ${op.key}: ${res.status} ${res.text}`);
              const value = res.status === 200 ? (res.body?.data?.data?.v as unknown) : undefined;
              if (value !== undefined && value !== op.value) throw new Error(`${op.key} holds a value no writer wrote`);
              if (value !== undefined) here.add(op.key);
              // KV v2: a write applied twice (a forwarded request replayed, say) would show as a second version.
              if (value !== undefined) expect(res.body.data.metadata.version, `${op.key}'s version`).to.equal(1);
              if (op.outcome === 'ok' && value === undefined) lost.push(op.key);
              if (op.outcome === 'fail' && value !== undefined) phantom.push(op.key);
            }),
          );
        }
        expect(lost, `acknowledged writes missing at ${node.addr}`).to.deep.equal([]);
        expect(phantom, `failed writes present at ${node.addr}`).to.deep.equal([]);
        present.push(here);
      }
      expect([...(present[1] ?? [])].sort(), 'the secondary holds exactly the primary’s writes').to.deep.equal([...(present[0] ?? [])].sort());
      expect(primaryFailoverMs).to.be.at.most(10_000);
      expect(convergeMs).to.be.at.most(CONVERGE_BUDGET_MS);
    } finally {
      writers.stop();
      await writers.done;
    }
  });
});
