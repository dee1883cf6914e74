import autocannon from 'autocannon';
import pg from 'pg';
import { VaultClient } from '../server/api-client/vault-client.js';
import { api, BenchServer, stopAllBenchServers, waitUntil } from './bench-cluster.js';
import { startBenchPostgres } from './bench-postgres.js';

/**
 * Bench suite `ha` (issue #13): on one throwaway local PostgreSQL,
 * - failover: three nodes, `kill -9` of the active N times; from the kill to the first write
 *   acknowledged by the new active (median, max); the killed node rejoins before the next kill;
 * - KV write throughput of a node on PostgreSQL storage ÷ one on SQLite storage (autocannon, as the KV
 *   suite), interleaved rounds, medians;
 * - PostgreSQL's own single-row commit rate (`pg` loop, autocommit INSERTs, synchronous_commit=on) with
 *   1 and with as many connections as the load generator, beside it.
 */
const DURATION_S = Number(process.env.FERRY_BENCH_SECONDS ?? '5');
const ROUNDS = Number(process.env.FERRY_BENCH_ROUNDS ?? '3');
const KILLS = Number(process.env.FERRY_BENCH_HA_KILLS ?? '5');
const CONNECTIONS = 10;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function healthCode(node: BenchServer): Promise<number> {
  const res = await new VaultClient({ address: node.addr, timeoutMs: 1_000 }).send('GET', 'sys/health').catch(() => undefined);
  return res?.status ?? 0;
}

/** The one node answering 200 once every other node answers 429. */
async function settledActive(nodes: BenchServer[]): Promise<BenchServer> {
  let active: BenchServer | undefined;
  let codes: number[] = [];
  await waitUntil(
    async () => {
      codes = await Promise.all(nodes.map(healthCode));
      const actives = nodes.filter((_, i) => codes[i] === 200);
      active = actives[0];
      return actives.length === 1 && codes.every((c) => c === 200 || c === 429);
    },
    30_000,
    'one active node and the rest standbys',
    100,
  ).catch((err: Error) => {
    throw new Error(`${err.message} (sys/health answers: ${codes.join(', ')})`);
  });
  return active as BenchServer;
}

/** A write through any of `nodes` (round robin), true when acknowledged. */
async function tryWrite(node: BenchServer, token: string, key: string): Promise<boolean> {
  const res = await new VaultClient({ address: node.addr, token, timeoutMs: 2_000 }).send('PUT', `kv/${key}`, { body: { value: key } }).catch(() => undefined);
  return res?.status === 204;
}

async function measureFailovers(url: string): Promise<number[]> {
  const storage = `storage "postgresql" {\n  connection_url = "${url}"\n  ha_enabled = "true"\n}`;
  const nodes: BenchServer[] = [];
  for (let i = 0; i < 3; i++) nodes.push(await BenchServer.start({ storage, initialize: false }));
  const first = nodes[0] as BenchServer;
  const init = await api(first.addr, 'PUT', 'sys/init', '', { secret_shares: 1, secret_threshold: 1 });
  for (const node of nodes) {
    node.rootToken = init.root_token;
    node.unsealKey = init.keys_base64[0];
    await node.unseal();
  }
  const token = first.rootToken;
  await api((await settledActive(nodes)).addr, 'POST', 'sys/mounts/kv', token, { type: 'kv' });
  const failoverMs: number[] = [];
  let seq = 0;
  for (let kill = 0; kill < KILLS; kill++) {
    const active = await settledActive(nodes);
    const survivors = nodes.filter((n) => n !== active);
    if (!(await tryWrite(active, token, `before-${kill}`))) throw new Error('the active node refused a write before the kill');
    await active.kill9();
    const killedAt = performance.now();
    const deadline = killedAt + 30_000;
    for (;;) {
      const node = survivors[seq++ % survivors.length] as BenchServer;
      if (await tryWrite(node, token, `after-${kill}-${seq}`)) break;
      if (performance.now() > deadline) throw new Error('no write acknowledged within 30 s of the kill');
      await new Promise((r) => setTimeout(r, 10));
    }
    failoverMs.push(performance.now() - killedAt);
    await active.restart(); // rejoins as a standby
  }
  for (const node of nodes) await node.dispose();
  return failoverMs;
}

async function writeLoad(node: BenchServer): Promise<number> {
  const result = await autocannon({
    url: `${node.addr}/v1/kv/bench`,
    connections: CONNECTIONS,
    duration: DURATION_S,
    method: 'POST',
    headers: { 'x-vault-token': node.rootToken, 'content-type': 'application/json' },
    body: '{"value":"bench-value-2"}',
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`load run had ${result.non2xx} non-2xx answers and ${result.errors} errors`);
  return result.requests.average;
}

/** Single-row autocommit INSERTs on `clients` connections for the bench duration; commits/s. */
async function rawCommitRate(url: string, clients: number): Promise<number> {
  const conns = Array.from({ length: clients }, () => new pg.Client({ connectionString: url }));
  await Promise.all(conns.map((c) => c.connect()));
  try {
    await conns[0]?.query('CREATE TABLE IF NOT EXISTS bench_commits (k bigserial PRIMARY KEY, v text NOT NULL)');
    let commits = 0;
    const end = performance.now() + DURATION_S * 1000;
    const started = performance.now();
    await Promise.all(
      conns.map(async (c) => {
        await c.query('SET synchronous_commit = on');
        while (performance.now() < end) {
          await c.query('INSERT INTO bench_commits (v) VALUES ($1)', ['bench-value-2']);
          commits++;
        }
      }),
    );
    return commits / ((performance.now() - started) / 1000);
  } finally {
    await Promise.all(conns.map((c) => c.end()));
  }
}

async function startKvNode(storage?: string): Promise<BenchServer> {
  const node = await BenchServer.start(storage === undefined ? {} : { storage });
  await api(node.addr, 'POST', 'sys/mounts/kv', node.rootToken, { type: 'kv' });
  await api(node.addr, 'POST', 'kv/bench', node.rootToken, { value: 'bench-value' });
  return node;
}

export async function runHaBench(): Promise<string[]> {
  const postgres = await startBenchPostgres();
  try {
    const failoverMs = await measureFailovers(await postgres.createDatabase('ferry_ha'));
    const pgNode = await startKvNode(`storage "postgresql" {\n  connection_url = "${await postgres.createDatabase('ferry_kv')}"\n}`);
    const sqliteNode = await startKvNode();
    const rawUrl = await postgres.createDatabase('raw_commits');
    const samples = { pg: [] as number[], sqlite: [] as number[], raw1: [] as number[], raw: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      samples.sqlite.push(await writeLoad(sqliteNode));
      samples.pg.push(await writeLoad(pgNode));
      samples.raw1.push(await rawCommitRate(rawUrl, 1));
      samples.raw.push(await rawCommitRate(rawUrl, CONNECTIONS));
    }
    const [pgRps, sqliteRps, raw1, raw] = [median(samples.pg), median(samples.sqlite), median(samples.raw1), median(samples.raw)];
    const f = (n: number): string => n.toFixed(0);
    return [
      `HA on PostgreSQL — one local PostgreSQL 15 (fsync=on, synchronous_commit=on), loopback, ${ROUNDS} interleaved rounds of ${DURATION_S}s, medians`,
      `failover, 3 nodes, ${KILLS} × kill -9 of the active → first write acknowledged by the new active: median ${f(median(failoverMs))} ms, max ${f(Math.max(...failoverMs))} ms (${failoverMs.map(f).join(', ')})`,
      `KV write, ${CONNECTIONS} connections (autocannon): PostgreSQL ÷ SQLite storage ${(pgRps / sqliteRps).toFixed(2)} (${f(pgRps)} vs ${f(sqliteRps)} req/s)`,
      `PostgreSQL single-row commits (raw pg, autocommit INSERT): ${f(raw)}/s on ${CONNECTIONS} connections, ${f(raw1)}/s on 1; Ferry on PostgreSQL ÷ raw (${CONNECTIONS}) ${(pgRps / raw).toFixed(2)}`,
      `goal: failover ≤ 5000 ms — measured max ${f(Math.max(...failoverMs))} ms`,
    ];
  } finally {
    await stopAllBenchServers();
    await postgres.stop();
  }
}
