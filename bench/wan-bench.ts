import autocannon from 'autocannon';
import { activateSecondary, api, BenchServer, waitUntil } from './bench-cluster.js';
import { DelayProxy } from './delay-proxy.js';

/**
 * Replication over a real distance (suite `wan`). A user-space proxy delays each direction of
 * the secondary ↔ primary cluster-port connection by 25 ms (a 50 ms round trip); the primary
 * advertises the proxy as its `primary_cluster_addr`. In interleaved rounds, the same proxy at
 * 0 ms and at 25 ms each way carries (a) the bootstrap of a fresh secondary and (b) the Merkle
 * sync of a secondary that was down while the primary wrote past its WAL retention.
 */
const KEYS = Number(process.env.FERRY_BENCH_WAN_KEYS ?? '50000');
const ROUNDS = Number(process.env.FERRY_BENCH_WAN_ROUNDS ?? '2');
const ONE_WAY_MS = 25;
const RETENTION = 50;
const RESYNC_WRITES = 500;
const VALUE = 'x'.repeat(64);
/** `FERRY_BENCH_WAN_BIN=/path/to/other/bin/ferry.js` runs the servers of another build (a baseline). */
const bin = process.env.FERRY_BENCH_WAN_BIN?.trim() || undefined;
const buildOptions = bin === undefined ? {} : { bin };

async function seed(primary: BenchServer, prefix: string, amount: number): Promise<void> {
  const result = await autocannon({
    url: primary.addr,
    connections: 32,
    amount,
    idReplacement: true,
    requests: [
      {
        method: 'POST',
        path: `/v1/kv/${prefix}/[<id>]`,
        headers: { 'x-vault-token': primary.rootToken, 'content-type': 'application/json' },
        body: `{"value":"[<id>]-${VALUE}"}`,
      },
    ],
  });
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) throw new Error(`seeding had ${result.non2xx} non-2xx answers, ${result.errors} errors`);
}

async function converged(primary: BenchServer, secondary: BenchServer): Promise<boolean> {
  const [p, s] = await Promise.all([primary.replicationStatus(), secondary.replicationStatus()]);
  return s.state === 'stream-wals' && s.merkle_root === p.merkle_root && s.last_remote_wal === p.last_wal;
}

interface Round {
  delayMs: number;
  bootstrapS: number;
  resyncS: number;
  resyncKeys: number;
}

async function oneRound(primary: BenchServer, proxy: DelayProxy, delayMs: number, id: string): Promise<Round> {
  proxy.delayMs = delayMs;
  const secondary = await BenchServer.start(buildOptions);
  try {
    const started = performance.now();
    await activateSecondary(primary, secondary, id);
    await waitUntil(() => converged(primary, secondary), 300_000, `the secondary to bootstrap over ${delayMs} ms`, 10);
    const bootstrapS = (performance.now() - started) / 1000;

    await secondary.stop();
    await seed(primary, `resync-${id}`, RESYNC_WRITES);
    const resyncStarted = performance.now();
    await secondary.restart();
    await waitUntil(() => converged(primary, secondary), 300_000, `the secondary to Merkle-sync over ${delayMs} ms`, 10);
    const resyncS = (performance.now() - resyncStarted) / 1000;
    const last = (await secondary.replicationStatus()).merkle_sync_last as { keys?: number } | undefined;
    if (last?.keys === undefined || last.keys === 0) throw new Error('the restarted secondary did not go through a Merkle sync');
    return { delayMs, bootstrapS, resyncS, resyncKeys: last.keys };
  } finally {
    await secondary.dispose();
    await api(primary.addr, 'POST', 'sys/replication/primary/revoke-secondary', primary.rootToken, { id });
  }
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

export async function runWanBench(): Promise<string[]> {
  const primary = await BenchServer.start({ ...buildOptions, extraConfig: `replication {\n  logshipper_buffer_length = ${RETENTION}\n}` });
  const proxy = await DelayProxy.start('127.0.0.1', primary.port + 1);
  try {
    await api(primary.addr, 'POST', 'sys/mounts/kv', primary.rootToken, { type: 'kv' });
    await seed(primary, 'boot', KEYS);
    await api(primary.addr, 'POST', 'sys/replication/primary/enable', primary.rootToken, { primary_cluster_addr: `https://${proxy.address}` });
    const rounds: Round[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? [0, ONE_WAY_MS] : [ONE_WAY_MS, 0];
      for (const delay of order) rounds.push(await oneRound(primary, proxy, delay, `wan-${r}-${delay}`));
    }
    const at = (delay: number, pick: (x: Round) => number): number => median(rounds.filter((x) => x.delayMs === delay).map(pick));
    const [boot0, boot50] = [at(0, (x) => x.bootstrapS), at(ONE_WAY_MS, (x) => x.bootstrapS)];
    const [sync0, sync50] = [at(0, (x) => x.resyncS), at(ONE_WAY_MS, (x) => x.resyncS)];
    const bootRatio = boot0 / boot50;
    const syncRatio = sync0 / sync50;
    const verdict = (ratio: number): string => `${ratio.toFixed(2)} ${ratio >= 0.6 ? '(met)' : '(MISSED)'}`;
    return [
      `WAN replication (suite wan${bin === undefined ? '' : `, servers of ${bin}`}): a delay proxy between secondary and the primary's cluster port, ${ONE_WAY_MS} ms each way (50 ms round trip) vs the same proxy at 0 ms; medians of ${ROUNDS} interleaved rounds`,
      `    bootstrap of ${KEYS} KV keys: ${boot50.toFixed(2)} s over 50 ms vs ${boot0.toFixed(2)} s at 0 ms (${(KEYS / boot50).toFixed(0)} vs ${(KEYS / boot0).toFixed(0)} keys/s)`,
      `    goal: bootstrap rate over 50 ms ÷ at 0 ms ≥ 0.6 — measured ${verdict(bootRatio)}`,
      `    Merkle sync after ${RESYNC_WRITES} writes past a retention of ${RETENTION} (${rounds[0]?.resyncKeys ?? 0} keys fetched), restart → converged: ${sync50.toFixed(2)} s over 50 ms vs ${sync0.toFixed(2)} s at 0 ms`,
      `    goal: Merkle sync rate over 50 ms ÷ at 0 ms ≥ 0.6 — measured ${verdict(syncRatio)}`,
      `    every round: ${rounds.map((x) => `${x.delayMs}ms boot ${x.bootstrapS.toFixed(2)}s sync ${x.resyncS.toFixed(2)}s`).join('; ')}`,
    ];
  } finally {
    await proxy.close();
    await primary.dispose();
  }
}
