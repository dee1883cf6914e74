import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readBenchResults, REPORT_DIR, type BenchResults, type LagResult, type ScaleResult, type ThroughputResult } from './bench-results.js';
import { barChart, escapeXml, histogramSeries, lineChart } from './svg-chart.js';
import { percentile } from './wal-observation.js';

/**
 * The bench report: one self-contained HTML page (inline SVG, no scripts, nothing from the
 * network) built from the suites' JSON results — the replication lag distribution, throughput bars
 * against their ceilings, and the scale curves. `npm run bench` writes it at the end;
 * `node dist/bench/report-writer.js` rebuilds it from the results on disk.
 */
const MB = 1024 * 1024;
const keysLabel = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));

function lagSection(lag: LagResult): string {
  const goal = 3 * lag.writeLatencyP50Ms;
  const maxX = Math.max(goal * 1.5, percentile(lag.bothSecondariesMs, 99.5));
  const p99Any = percentile(lag.firstSecondaryMs, 99);
  const p99All = percentile(lag.bothSecondariesMs, 99);
  const chart = lineChart({
    title: `Replication lag at ${lag.ratePerS} writes/s (${lag.firstSecondaryMs.length} writes)`,
    xLabel: 'lag (ms); the last bin holds everything slower',
    yLabel: 'share of writes',
    series: [histogramSeries('first secondary', lag.firstSecondaryMs, maxX, 40), histogramSeries('both secondaries', lag.bothSecondariesMs, maxX, 40)],
    formatY: (y) => `${(y * 100).toFixed(0)}%`,
  });
  const verdict = p99All <= goal ? 'met' : p99Any <= goal ? 'met for the first secondary only' : 'missed';
  return (
    `<section><h2>Replication lag</h2>${chart}<p>Write latency p50 ${lag.writeLatencyP50Ms.toFixed(2)} ms; goal: lag p99 ≤ 3× that = ${goal.toFixed(2)} ms. ` +
    `Measured p99 ${p99Any.toFixed(2)} ms (first secondary), ${p99All.toFixed(2)} ms (both) — ${verdict}.</p></section>`
  );
}

function throughputSection(results: readonly ThroughputResult[]): string {
  const charts = results.map((r) =>
    barChart({
      title: r.title,
      ceiling: { name: r.ceiling.name, value: r.ceiling.rps },
      bars: r.bars.map((b) => ({ name: b.name, value: b.rps, ...(b.goalRps === undefined ? {} : { goal: b.goalRps }) })),
      unit: 'requests/s',
    }),
  );
  return `<section><h2>Throughput against its ceiling</h2>${charts.join('')}</section>`;
}

function scaleSection(scale: ScaleResult): string {
  const pts = scale.points;
  const base = pts[0];
  const x = { logX: true, xLabel: 'keys', formatX: keysLabel };
  const charts = [
    lineChart({
      ...x,
      title: 'RSS after bootstrap and a Merkle diff',
      yLabel: 'MB',
      series: [
        { name: 'primary', points: pts.map((p) => [p.keys, p.primaryRssBytes / MB] as const) },
        { name: 'secondary', points: pts.map((p) => [p.keys, p.secondaryRssBytes / MB] as const) },
      ],
      refs:
        base === undefined
          ? []
          : [{ y: (1.5 * Math.max(base.primaryRssBytes, base.secondaryRssBytes)) / MB, label: `goal: 1.5× RSS at ${keysLabel(base.keys)}` }],
    }),
    lineChart({
      ...x,
      title: 'Bootstrap of a new secondary',
      yLabel: 'seconds',
      series: [
        { name: 'bootstrap', points: pts.map((p) => [p.keys, p.bootstrapSeconds] as const) },
        { name: 'primary start (index rebuild)', points: pts.map((p) => [p.keys, p.primaryStartSeconds] as const) },
      ],
    }),
    lineChart({
      ...x,
      title: `Merkle diff after ${base?.diffKeys ?? 0} changed keys`,
      yLabel: 'KB on the wire',
      series: [{ name: 'diff bytes', points: pts.map((p) => [p.keys, p.diffBytes / 1024] as const) }],
    }),
    lineChart({
      ...x,
      title: 'Merkle diff time',
      yLabel: 'ms',
      series: [{ name: 'diff and fetch', points: pts.map((p) => [p.keys, p.diffMs] as const) }],
    }),
  ];
  const paused = scale.paused;
  if (paused !== undefined) {
    charts.push(
      lineChart({
        title: `Primary RSS, one secondary SIGSTOPped (${paused.ratePerS} writes/s)`,
        xLabel: 'seconds',
        yLabel: 'MB',
        series: [{ name: 'primary RSS', points: paused.samples.map((s) => [s.s, s.rssBytes / MB] as const) }],
      }),
    );
  }
  const rows = pts
    .map(
      (p) =>
        `<tr><td>${p.keys.toLocaleString('en-US')}</td><td>${(p.dbBytes / MB).toFixed(0)}</td><td>${(p.primaryRssBytes / MB).toFixed(0)}</td><td>${(p.secondaryRssBytes / MB).toFixed(0)}</td>` +
        `<td>${p.bootstrapSeconds.toFixed(1)}</td><td>${p.diffKeys}</td><td>${(p.diffBytes / 1024).toFixed(0)}</td><td>${p.diffMs}</td></tr>`,
    )
    .join('');
  const table =
    '<table><tr><th>keys</th><th>SQLite MB</th><th>primary RSS MB</th><th>secondary RSS MB</th><th>bootstrap s</th><th>diff keys</th><th>diff KB</th><th>diff ms</th></tr>' +
    rows +
    '</table>';
  return `<section><h2>Scale</h2>${charts.join('')}${table}</section>`;
}

export function renderBenchReport(results: BenchResults): string {
  const sections: string[] = [];
  if (results.lag !== undefined) sections.push(lagSection(results.lag));
  const throughput = [results['kv-throughput'], results['replication-throughput']].filter((r): r is ThroughputResult => r !== undefined);
  if (throughput.length > 0) sections.push(throughputSection(throughput));
  if (results.scale !== undefined) sections.push(scaleSection(results.scale));
  const dates = [results.lag, ...throughput, results.scale].flatMap((r) => (r === undefined ? [] : [r.measuredAt.slice(0, 10)]));
  const when = [...new Set(dates)].sort().join(', ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Ferry benchmarks</title>
<style>
body { font-family: sans-serif; margin: 16px; color: #111827; background: #f9fafb; width: 960px; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 18px 0 6px; }
section { display: flex; flex-wrap: wrap; gap: 8px; } section h2, section p, section table { flex-basis: 100%; }
svg { border: 1px solid #e5e7eb; } p { font-size: 13px; margin: 4px 0; }
table { border-collapse: collapse; font-size: 12px; } td, th { border: 1px solid #d1d5db; padding: 2px 8px; text-align: right; }
</style></head>
<body><h1>Ferry benchmarks</h1><p>${escapeXml(`npm run bench on one shared 2-core box; measured ${when || 'never'}.`)}</p>
${sections.join('\n')}
</body></html>
`;
}

/** Writes `bench/report/index.html` from the results on disk; returns its path. */
export function writeBenchReport(): string {
  const path = join(REPORT_DIR, 'index.html');
  // A suite that recorded no result (FERRY_BENCH_REPORT_DIR elsewhere, provider alone) made no directory yet.
  mkdirSync(REPORT_DIR, { recursive: true });
  writeFileSync(path, renderBenchReport(readBenchResults()));
  return path;
}

if (process.argv[1]?.endsWith('report-writer.js') === true) process.stdout.write(`${writeBenchReport()}\n`);
