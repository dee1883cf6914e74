import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Machine-readable bench results: each suite writes `bench/report/results/<suite>.json` (in the
 * source tree, next to the HTML report built from them), replacing its previous run.
 * `FERRY_BENCH_REPORT_DIR` puts them elsewhere.
 */
export const REPORT_DIR = process.env.FERRY_BENCH_REPORT_DIR ?? join(import.meta.dirname, '..', '..', 'bench', 'report');
const RESULTS_DIR = join(REPORT_DIR, 'results');

/** Requests/s bars against their ceiling (a no-op route, or the same server with replication off). */
export interface ThroughputResult {
  readonly measuredAt: string;
  readonly title: string;
  readonly ceiling: { readonly name: string; readonly rps: number };
  /** `goalRps`: the goal's threshold for this bar, drawn as a marker. */
  readonly bars: readonly { readonly name: string; readonly rps: number; readonly goalRps?: number }[];
}

/** Replication lag samples (ms) under a steady write rate. */
export interface LagResult {
  readonly measuredAt: string;
  readonly ratePerS: number;
  readonly writeLatencyP50Ms: number;
  readonly firstSecondaryMs: readonly number[];
  readonly bothSecondariesMs: readonly number[];
}

/** One keyspace size of the scale suite. */
export interface ScalePoint {
  readonly keys: number;
  readonly seedSeconds: number;
  readonly primaryStartSeconds: number;
  readonly bootstrapSeconds: number;
  readonly diffKeys: number;
  readonly diffBytes: number;
  readonly diffMs: number;
  readonly primaryRssBytes: number;
  readonly secondaryRssBytes: number;
  readonly dbBytes: number;
}

export interface ScaleResult {
  readonly measuredAt: string;
  readonly points: readonly ScalePoint[];
  /** Primary RSS sampled every second while one secondary was SIGSTOPped under a steady write load. */
  readonly paused?: {
    readonly keys: number;
    readonly ratePerS: number;
    readonly seconds: number;
    readonly samples: readonly { readonly s: number; readonly rssBytes: number }[];
    readonly writes: number;
    readonly caughtUpMs: number;
  };
}

export interface BenchResults {
  'kv-throughput'?: ThroughputResult;
  'replication-throughput'?: ThroughputResult;
  lag?: LagResult;
  scale?: ScaleResult;
}

export function recordBenchResult<K extends keyof BenchResults>(suite: K, result: NonNullable<BenchResults[K]>): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${suite}.json`), JSON.stringify(result, null, 1) + '\n');
}

/** Every suite's last results found on disk. */
export function readBenchResults(): BenchResults {
  const out: Record<string, unknown> = {};
  let files: string[] = [];
  try {
    files = readdirSync(RESULTS_DIR).filter((f) => f.endsWith('.json'));
  } catch {
    return {};
  }
  for (const f of files) out[f.slice(0, -'.json'.length)] = JSON.parse(readFileSync(join(RESULTS_DIR, f), 'utf8')) as unknown;
  return out as BenchResults;
}
