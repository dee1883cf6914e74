/**
 * The other build a bench run may time beside this one, in the same interleaved rounds:
 * `FERRY_BENCH_BASELINE_BIN` (its `bin/ferry.js`) and `FERRY_BENCH_BASELINE_PROVIDER` (its provider
 * launcher). Unset or empty means none.
 */
export function baselinePath(name: 'FERRY_BENCH_BASELINE_BIN' | 'FERRY_BENCH_BASELINE_PROVIDER'): string | undefined {
  const value = process.env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}
