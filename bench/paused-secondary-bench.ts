import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { BenchServer, waitUntil } from './bench-cluster.js';
import type { ScaleResult } from './bench-results.js';
import { rssBytes } from './process-rss.js';

const PAUSE_SECONDS = Number(process.env.FERRY_BENCH_PAUSE_SECONDS ?? '60');
const RATE_PER_S = 200;
const VALUE = 'p'.repeat(2048);

/**
 * Primary memory while one secondary is stopped (SIGSTOP: its TCP connection stays open, nothing
 * is read) under a steady write load: the WAL stream must wait on HTTP/2 flow control, not buffer
 * the backlog. Samples the primary's RSS every second; then SIGCONT and the time to catch up.
 */
export async function measurePausedSecondary(primary: BenchServer, secondary: BenchServer, keys: number): Promise<NonNullable<ScaleResult['paused']>> {
  const pid = secondary.pid;
  if (pid === undefined) throw new Error('the secondary is not running');
  process.kill(pid, 'SIGSTOP');
  const samples: { s: number; rssBytes: number }[] = [];
  const started = performance.now();
  let loading = true;
  const sampler = (async () => {
    while (loading) {
      samples.push({ s: Math.round((performance.now() - started) / 100) / 10, rssBytes: rssBytes(primary.pid) });
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  let writes = 0;
  try {
    const result = await autocannon({
      url: primary.addr,
      connections: 4,
      overallRate: RATE_PER_S,
      duration: PAUSE_SECONDS,
      idReplacement: true,
      requests: [
        {
          method: 'POST',
          path: '/v1/kv/paused/[<id>]',
          headers: { 'x-vault-token': primary.rootToken, 'content-type': 'application/json' },
          body: `{"value":"[<id>]-${VALUE}"}`,
        },
      ],
    });
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`paused-secondary load had ${result.non2xx} non-2xx answers and ${result.errors} errors`);
    writes = result.requests.total;
  } finally {
    loading = false;
    await sampler;
    process.kill(pid, 'SIGCONT');
  }
  samples.push({ s: Math.round((performance.now() - started) / 100) / 10, rssBytes: rssBytes(primary.pid) });
  const resumed = performance.now();
  await waitUntil(
    async () => {
      const [p, s] = await Promise.all([primary.replicationStatus(), secondary.replicationStatus()]);
      return s.state === 'stream-wals' && s.merkle_root === p.merkle_root;
    },
    10 * 60_000,
    'the resumed secondary to catch up',
    50,
  );
  return { keys, ratePerS: RATE_PER_S, seconds: PAUSE_SECONDS, samples, writes, caughtUpMs: Math.round(performance.now() - resumed) };
}
