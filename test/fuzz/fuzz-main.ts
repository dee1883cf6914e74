/**
 * `npm run fuzz [-- --duration=SECONDS --requests=N --seed=N --concurrency=N]`: runs the HTTP
 * fuzzer against a spawned server (built `dist/`), prints the report, and exits non-zero when any
 * request got a 5xx or the server crashed. FERRY_FUZZ_DURATION_S and FERRY_FUZZ_SEED work too.
 */
import { formatFuzzReport, runHttpFuzzer } from './http-fuzzer.js';

function flag(name: string): string | undefined {
  const prefix = `--${name}=`;
  const inline = process.argv.find((a) => a.startsWith(prefix));
  if (inline !== undefined) return inline.slice(prefix.length);
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? undefined : process.argv[at + 1];
}

function numberOf(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && Number.isFinite(n) && n >= 0 ? n : fallback;
}

const durationS = numberOf(flag('duration') ?? process.env.FERRY_FUZZ_DURATION_S, 60);
const report = await runHttpFuzzer({
  durationMs: durationS * 1000,
  maxRequests: numberOf(flag('requests'), 1_000_000),
  seed: numberOf(flag('seed') ?? process.env.FERRY_FUZZ_SEED, Date.now() % 2 ** 31),
  concurrency: numberOf(flag('concurrency'), 4),
  log: (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write(`${formatFuzzReport(report)}\n`);
process.exit(report.serverErrors > 0 || report.crashes > 0 ? 1 : 0);
