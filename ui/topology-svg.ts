import { s } from './create-element.js';
import { linkLabel } from './link-label.js';
import { edgeBetween, layoutTopology } from './topology-layout.js';
import type { Topology } from './topology-model.js';

const WIDTH = 900;
const NODE_WIDTH = 230;
const NODE_HEIGHT = 96;
const GAP = 28;

/**
 * The topology as an SVG graph (scaled by its viewBox, so it fits a narrow window): one box per
 * cluster, one edge per link labelled with its state and lag. Behind or disconnected links are
 * drawn dashed in the warning colour; the text says so too (colour is never the only cue).
 */
export function topologySvg(topology: Topology): SVGSVGElement {
  const layout = layoutTopology(topology.columns, { width: WIDTH, nodeWidth: NODE_WIDTH, nodeHeight: NODE_HEIGHT, gap: GAP });
  const svg = s('svg', {
    viewBox: `0 0 ${layout.width} ${layout.height}`,
    class: 'topology',
    role: 'img',
    'aria-labelledby': 'topology-title',
  });
  svg.append(s('title', { id: 'topology-title' }, `Replication topology: ${topology.roles.join(', ')}`));
  for (const link of topology.links) {
    const from = layout.boxes.get(link.from);
    const to = layout.boxes.get(link.to);
    if (from === undefined || to === undefined) continue;
    const e = edgeBetween(from, to);
    const label = linkLabel(link);
    const cls = `edge ${link.kind}${link.isBehind ? ' behind' : ''}`;
    const midX = (e.x1 + e.x2) / 2;
    const midY = (e.y1 + e.y2) / 2;
    svg.append(
      s(
        'g',
        { class: cls, 'data-secondary': link.secondaryId, 'data-state': link.state, 'data-behind': String(link.isBehind) },
        s('line', { x1: e.x1, y1: e.y1, x2: e.x2, y2: e.y2 }),
        s('text', { x: midX, y: midY - 8, 'text-anchor': 'middle', class: 'edge-state' }, label.state),
        s('text', { x: midX, y: midY + 10, 'text-anchor': 'middle', class: 'edge-detail' }, label.detail),
      ),
    );
  }
  for (const [id, box] of layout.boxes) {
    const node = topology.nodes.get(id);
    if (node === undefined) continue;
    const lines = node.isUnreachable ? [...node.lines, 'API not answering'] : node.lines;
    svg.append(
      s(
        'g',
        { class: `node${node.isSelf ? ' self' : ''}${node.isUnreachable ? ' unreachable' : ''}`, 'data-node': id },
        s('rect', { x: box.x, y: box.y, width: box.width, height: box.height, rx: 6 }),
        s('text', { x: box.x + 10, y: box.y + 20, class: 'node-title' }, node.title),
        ...lines.slice(0, 4).map((line, i) => s('text', { x: box.x + 10, y: box.y + 38 + i * 15, class: 'node-line' }, line)),
      ),
    );
  }
  return svg;
}
