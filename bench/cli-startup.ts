/**
 * CLI startup: wall time of `node bin/ferry.js version`, of `node bin/ferry.js read` against a spawned
 * server (loopback) and of `npx ferry version`, each against a bare `node -e 0`, measured interleaved in one
 * run (goal: `ferry read` ≤ 1.5 × bare node). `runCliStartupBench()` returns the report lines; run this file
 * directly to print them.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { api, BenchServer, stopAllBenchServers } from './bench-cluster.js';
import { baselinePath } from './baseline-build.js';

/** A baseline build's bin/ferry.js, timed in the same interleaved rounds (before/after in one run). */
const baselineBin = baselinePath('FERRY_BENCH_BASELINE_BIN');
/** Runs per command; `npx` costs seconds on this box, so it gets fewer (FERRY_BENCH_NPX_RUNS). */
const runs = Number(process.env['FERRY_BENCH_CLI_RUNS'] ?? '21');
const npxRuns = Number(process.env['FERRY_BENCH_NPX_RUNS'] ?? '5');
const repoRoot = join(import.meta.dirname, '..', '..');
const ferryBin = join(repoRoot, 'bin', 'ferry.js');

/** Milliseconds from spawn to exit; a non-zero exit fails the bench (a fast failure is no figure). */
function wallTimeMs(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { env, cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code === 0) resolve(ms);
      else reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.trim().slice(0, 300)}`));
    });
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

export async function runCliStartupBench(): Promise<string[]> {
  if (!existsSync(join(repoRoot, 'dist', 'cli-bundle', 'ferry-cli.cjs'))) throw new Error('dist/cli-bundle is missing: run npm run build');
  const server = await BenchServer.start();
  try {
    await api(server.addr, 'POST', 'sys/mounts/kv', server.rootToken, { type: 'kv' });
    await api(server.addr, 'POST', 'kv/bench', server.rootToken, { value: 'bench-value' });
    const env = { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', VAULT_ADDR: server.addr, VAULT_TOKEN: server.rootToken };
    const cases = [
      { name: 'node -e 0', command: process.execPath, args: ['-e', '0'], runs },
      { name: 'node bin/ferry.js version', command: process.execPath, args: [ferryBin, 'version'], runs },
      { name: 'node bin/ferry.js read kv/bench', command: process.execPath, args: [ferryBin, 'read', 'kv/bench'], runs },
      { name: 'npx --no ferry version', command: 'npx', args: ['--no', 'ferry', 'version'], runs: npxRuns },
      ...(baselineBin === undefined
        ? []
        : [
            { name: 'baseline: ferry version', command: process.execPath, args: [baselineBin, 'version'], runs },
            { name: 'baseline: ferry read kv/bench', command: process.execPath, args: [baselineBin, 'read', 'kv/bench'], runs },
          ]),
    ];
    const samples = cases.map(() => [] as number[]);
    // One warm-up each (page cache, V8 code cache after a concurrent build), then interleaved rounds.
    for (const c of cases) await wallTimeMs(c.command, c.args, env);
    for (let i = 0; i < runs; i++) {
      for (const [k, c] of cases.entries()) if (i < c.runs) samples[k]?.push(await wallTimeMs(c.command, c.args, env));
    }
    const bare = median(samples[0] ?? []);
    const rows = cases.map((c, k) => {
      const ms = median(samples[k] ?? []);
      return `${c.name.padEnd(36)} ${ms.toFixed(1).padStart(8)} ms   ${(ms / bare).toFixed(2)} × bare node   (median of ${c.runs})`;
    });
    const read = median(samples[2] ?? []);
    const loadAverage = os.loadavg().map((l) => l.toFixed(2));
    return [
      `CLI startup — wall time from spawn to exit, loopback dev server, interleaved runs, medians`,
      `load average at the end: ${loadAverage.join(' / ')} (1 / 5 / 15 min)`,
      ...rows,
      `goal: ferry read ≤ 1.50 × bare node — measured ${(read / bare).toFixed(2)}`,
    ];
  } finally {
    await stopAllBenchServers();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runCliStartupBench().then(
    (lines) => process.stdout.write(lines.join('\n') + '\n'),
    (err: unknown) => {
      process.stderr.write(`cli startup bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
