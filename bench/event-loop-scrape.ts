import { EVENT_LOOP_DELAY_BUCKETS_MS } from '../server/core/event-loop-delay.js';
import { api, type BenchServer } from './bench-cluster.js';

/** Cumulative counts of a server's event-loop delay histogram (from `sys/metrics?format=prometheus`). */
export interface LoopDelayScrape {
  readonly cumulative: number[];
  readonly max: number;
}

/**
 * A root token for a server whose own was wiped by activation (a secondary): the generate-root
 * OTP flow with its unseal key, as an operator would run it.
 */
async function rootTokenOf(server: BenchServer): Promise<string> {
  if (server.rootToken !== '') return server.rootToken;
  await api(server.addr, 'DELETE', 'sys/generate-root/attempt', '');
  const started = await api(server.addr, 'POST', 'sys/generate-root/attempt', '', {});
  const done = await api(server.addr, 'POST', 'sys/generate-root/update', '', { key: server.unsealKey, nonce: started.nonce });
  const pad = Buffer.from(started.otp as string, 'utf8');
  server.rootToken = Buffer.from(Buffer.from(done.encoded_token as string, 'base64').map((b, i) => b ^ (pad[i] as number))).toString('utf8');
  return server.rootToken;
}

export async function scrapeLoopDelay(server: BenchServer): Promise<LoopDelayScrape> {
  const token = await rootTokenOf(server);
  const res = await fetch(`${server.addr}/v1/sys/metrics?format=prometheus`, { headers: { 'x-vault-token': token } });
  const text = await res.text();
  const cumulative = [...EVENT_LOOP_DELAY_BUCKETS_MS.map(String), '+Inf'].map((le) => {
    const m = new RegExp(`ferry_runtime_event_loop_delay_ms_bucket\\{le="${le.replace('+', '\\+')}"\\} (\\d+)`).exec(text);
    return Number(m?.[1] ?? 0);
  });
  return { cumulative, max: Number(/ferry_runtime_event_loop_delay_ms_max ([\d.]+)/.exec(text)?.[1] ?? 0) };
}

/** One counter or gauge of a server's `sys/metrics?format=prometheus` (0 when absent). */
export async function scrapeMetric(server: BenchServer, name: string): Promise<number> {
  const token = await rootTokenOf(server);
  const res = await fetch(`${server.addr}/v1/sys/metrics?format=prometheus`, { headers: { 'x-vault-token': token } });
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([\\d.e+]+)$`, 'm').exec(await res.text());
  return Number(m?.[1] ?? 0);
}

/** The window between two scrapes: samples, the bucket holding p50 and p99, and the share of stalls over 50 ms. */
export function describeLoopDelay(label: string, before: LoopDelayScrape, after: LoopDelayScrape): string {
  const counts = after.cumulative.map((c, i) => c - (before.cumulative[i] ?? 0));
  const total = counts[counts.length - 1] ?? 0;
  if (total === 0) return `    event loop of ${label}: no samples`;
  const upTo = (p: number): string => {
    const i = counts.findIndex((c) => c >= total * p);
    return i < EVENT_LOOP_DELAY_BUCKETS_MS.length
      ? `≤ ${EVENT_LOOP_DELAY_BUCKETS_MS[i]} ms`
      : `> ${EVENT_LOOP_DELAY_BUCKETS_MS[EVENT_LOOP_DELAY_BUCKETS_MS.length - 1]} ms`;
  };
  const over50 = total - (counts[EVENT_LOOP_DELAY_BUCKETS_MS.indexOf(50)] ?? 0);
  return `    event loop of ${label}: ${total} samples, p50 ${upTo(0.5)}, p99 ${upTo(0.99)}, ${over50} late by > 50 ms (max since start ${after.max.toFixed(0)} ms)`;
}
