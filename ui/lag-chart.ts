import { s } from './create-element.js';
import { lagChartPath, type LagHistory } from './lag-history.js';

const WIDTH = 300;
const HEIGHT = 70;

/** A small chart of one secondary's WAL lag over the history's window (now at the right). */
export function lagChart(history: LagHistory, secondaryId: string, nowMs: number): SVGSVGElement {
  const samples = history.series(secondaryId);
  const { d, maxLag } = lagChartPath(samples, { widthPx: WIDTH, heightPx: HEIGHT, windowMs: history.windowMs, nowMs });
  const last = samples.at(-1);
  const minutes = Math.round(history.windowMs / 60_000);
  return s(
    'svg',
    {
      viewBox: `0 0 ${WIDTH} ${HEIGHT + 14}`,
      class: 'lag-chart',
      role: 'img',
      'aria-label': `WAL lag of ${secondaryId} over the last ${minutes} minutes; now ${last?.walLag ?? 'unknown'}`,
    },
    s('rect', { x: 0, y: 0, width: WIDTH, height: HEIGHT, class: 'chart-frame' }),
    d === '' ? null : s('path', { d, class: 'chart-line' }),
    s('text', { x: 2, y: 10, class: 'chart-axis' }, `${maxLag}`),
    s('text', { x: 2, y: HEIGHT + 12, class: 'chart-axis' }, `−${minutes} min`),
    s('text', { x: WIDTH - 2, y: HEIGHT + 12, 'text-anchor': 'end', class: 'chart-axis' }, 'now'),
  );
}
