/**
 * Small inline SVG charts for the bench report: no scripts, no fonts or styles from the network,
 * readable when the page is saved or rendered to a picture.
 */
const W = 460;
const H = 262;
const PAD = { left: 62, right: 16, top: 30, bottom: 56 };
export const COLORS = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed'];

export interface Series {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
}

export interface LineChart {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  readonly logX?: boolean;
  readonly formatX?: (x: number) => string;
  readonly formatY?: (y: number) => string;
  /** Horizontal reference lines (a goal). */
  readonly refs?: readonly { readonly y: number; readonly label: string }[];
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const fmt = (n: number): string => (Number.isInteger(n) ? String(n) : Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2));

/** Round tick values covering [0, max]. */
function ticks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = 0; v <= max + step * 0.999; v += step) out.push(v);
  return out;
}

function frame(title: string, body: string, legend: readonly string[]): string {
  const items = legend
    .map((name, i) => {
      const x = PAD.left + i * 150;
      return `<rect x="${x}" y="${H - 14}" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/><text x="${x + 14}" y="${H - 5}" font-size="11">${escapeXml(name)}</text>`;
    })
    .join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif">` +
    `<rect width="${W}" height="${H}" fill="#fff"/><text x="${W / 2}" y="18" font-size="13" font-weight="bold" text-anchor="middle">${escapeXml(title)}</text>` +
    body +
    items +
    '</svg>'
  );
}

export function lineChart(chart: LineChart): string {
  const all = chart.series.flatMap((s) => s.points);
  if (all.length === 0) return frame(chart.title, `<text x="${W / 2}" y="${H / 2}" text-anchor="middle" font-size="12">no data</text>`, []);
  const fx = chart.formatX ?? fmt;
  const fy = chart.formatY ?? fmt;
  const xs = all.map((p) => p[0]);
  const tx = chart.logX === true ? Math.log10 : (x: number) => x;
  const [x0, x1] = [tx(Math.min(...xs)), tx(Math.max(...xs))];
  const yMax = Math.max(...all.map((p) => p[1]), ...(chart.refs ?? []).map((r) => r.y)) * 1.1;
  const yTicks = ticks(yMax);
  const top = yTicks[yTicks.length - 1] as number;
  const px = (x: number) => PAD.left + (x1 === x0 ? 0.5 : (tx(x) - x0) / (x1 - x0)) * (W - PAD.left - PAD.right);
  const py = (y: number) => H - PAD.bottom - (y / top) * (H - PAD.top - PAD.bottom);
  let body = '';
  for (const t of yTicks) {
    body += `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${py(t)}" y2="${py(t)}" stroke="#e5e7eb"/><text x="${PAD.left - 6}" y="${py(t) + 4}" font-size="10" text-anchor="end">${escapeXml(fy(t))}</text>`;
  }
  // Every x of a few points (keyspace sizes); round ticks over a linear axis for many.
  const distinct = [...new Set(xs)].sort((a, b) => a - b);
  const xTicks = distinct.length <= 12 || chart.logX === true ? distinct : ticks(Math.max(...xs), 6).filter((t) => t <= Math.max(...xs));
  for (const x of xTicks) {
    body += `<text x="${px(x)}" y="${H - PAD.bottom + 14}" font-size="10" text-anchor="middle">${escapeXml(fx(x))}</text>`;
  }
  body += `<text x="${(PAD.left + W - PAD.right) / 2}" y="${H - PAD.bottom + 28}" font-size="11" text-anchor="middle">${escapeXml(chart.xLabel)}</text>`;
  body += `<text x="12" y="${(PAD.top + H - PAD.bottom) / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 12 ${(PAD.top + H - PAD.bottom) / 2})">${escapeXml(chart.yLabel)}</text>`;
  for (const r of chart.refs ?? []) {
    body += `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${py(r.y)}" y2="${py(r.y)}" stroke="#6b7280" stroke-dasharray="5 4"/><text x="${W - PAD.right}" y="${py(r.y) - 4}" font-size="10" text-anchor="end" fill="#374151">${escapeXml(r.label)}</text>`;
  }
  chart.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length] as string;
    const pts = [...s.points].sort((a, b) => a[0] - b[0]);
    body += `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map((p) => `${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join(' ')}"/>`;
    if (pts.length <= 30) for (const p of pts) body += `<circle cx="${px(p[0]).toFixed(1)}" cy="${py(p[1]).toFixed(1)}" r="3" fill="${color}"/>`;
  });
  return frame(
    chart.title,
    body,
    chart.series.map((s) => s.name),
  );
}

export interface BarGroup {
  readonly title: string;
  readonly ceiling: { readonly name: string; readonly value: number };
  readonly bars: readonly { readonly name: string; readonly value: number; readonly goal?: number }[];
  readonly unit: string;
}

/** Horizontal bars against their ceiling (drawn full width in grey), each goal a dashed marker. */
export function barChart(group: BarGroup): string {
  const rowH = 30;
  const height = PAD.top + (group.bars.length + 1) * rowH + 34;
  const left = 190;
  const width = W - left - 95;
  const max = Math.max(group.ceiling.value, ...group.bars.map((b) => b.value)) || 1;
  const bx = (v: number) => left + (v / max) * width;
  let body = '';
  const rows = [
    { name: `${group.ceiling.name} (ceiling)`, value: group.ceiling.value, color: '#9ca3af' },
    ...group.bars.map((b, i) => ({ ...b, color: COLORS[i % COLORS.length] as string })),
  ];
  rows.forEach((r, i) => {
    const y = PAD.top + i * rowH;
    const ratio = i === 0 ? '' : ` · ${(r.value / group.ceiling.value).toFixed(2)}×`;
    body += `<text x="${left - 8}" y="${y + 17}" font-size="11" text-anchor="end">${escapeXml(r.name)}</text>`;
    body += `<rect x="${left}" y="${y + 5}" width="${Math.max(1, bx(r.value) - left).toFixed(1)}" height="18" fill="${r.color}"/>`;
    body += `<text x="${bx(r.value) + 4}" y="${y + 18}" font-size="10">${escapeXml(`${Math.round(r.value).toLocaleString('en-US')}${ratio}`)}</text>`;
    const goal = 'goal' in r ? r.goal : undefined;
    if (goal !== undefined)
      body += `<line x1="${bx(goal)}" x2="${bx(goal)}" y1="${y + 1}" y2="${y + 27}" stroke="#111827" stroke-width="2" stroke-dasharray="3 2"/>`;
  });
  body += `<text x="${left}" y="${height - 10}" font-size="10" fill="#374151">${escapeXml(`${group.unit}; dashed marker = goal`)}</text>`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${height}" width="${W}" height="${height}" font-family="sans-serif">` +
    `<rect width="${W}" height="${height}" fill="#fff"/><text x="${W / 2}" y="18" font-size="13" font-weight="bold" text-anchor="middle">${escapeXml(group.title)}</text>${body}</svg>`
  );
}

/** A histogram of samples in equal bins up to `maxX` (samples above it land in the last bin), as fractions. */
export function histogramSeries(name: string, samples: readonly number[], maxX: number, bins: number): Series {
  const counts = new Array<number>(bins).fill(0);
  for (const s of samples) {
    const bin = Math.min(bins - 1, Math.max(0, Math.floor((s / maxX) * bins)));
    counts[bin] = (counts[bin] as number) + 1;
  }
  const n = Math.max(1, samples.length);
  return { name, points: counts.map((c, i) => [((i + 0.5) * maxX) / bins, c / n] as const) };
}
