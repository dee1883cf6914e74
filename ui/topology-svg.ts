import { s } from './create-element.js';
import { linkLabel } from './link-label.js';
import { edgeRoute, layoutTopology, type LayoutMode } from './topology-layout.js';
import type { Topology } from './topology-model.js';

/** Drawing sizes per layout: the SVG scales to its container, so these set the text's final size. */
const SIZES = {
  columns: { width: 900, nodeWidth: 230, nodeHeight: 96, gap: 28 },
  tree: { width: 380, nodeWidth: 0, nodeHeight: 96, gap: 12 },
} as const;

/**
 * The topology as an SVG graph (scaled by its viewBox, so it fits a narrow window): one box per
 * cluster, one edge per link labelled with its state and lag. Behind or disconnected links are
 * drawn dashed in the warning colour; the text says so too (colour is never the only cue).
 */
export function topologySvg(topology: Topology, mode: LayoutMode): SVGSVGElement {
  const layout = layoutTopology(topology.columns, { mode, ...SIZES[mode] });
  const svg = s('svg', {
    viewBox: `0 0 ${layout.width} ${layout.height}`,
    class: 'topology',
    'data-layout': mode,
    role: 'img',
    'aria-labelledby': 'topology-title',
  });
  svg.append(s('title', { id: 'topology-title' }, `Replication topology: ${topology.roles.join(', ')}`));
  for (const link of topology.links) {
    const from = layout.boxes.get(link.from);
    const to = layout.boxes.get(link.to);
    if (from === undefined || to === undefined) continue;
    const route = edgeRoute(from, to, mode);
    const label = linkLabel(link);
    const cls = `edge ${link.kind}${link.isBehind ? ' behind' : ''}`;
    const anchor = route.labelAnchor;
    svg.append(
      s(
        'g',
        { class: cls, 'data-secondary': link.secondaryId, 'data-state': link.state, 'data-behind': String(link.isBehind) },
        s('title', {}, `${label.state}${label.detail === '' ? '' : ` · ${label.detail}`}`),
        s('path', { d: route.d }),
        anchor === 'none' ? null : s('text', { x: route.labelX, y: route.labelY, 'text-anchor': anchor, class: 'edge-state' }, label.state),
        anchor === 'none' ? null : s('text', { x: route.labelX, y: route.labelY + 16, 'text-anchor': anchor, class: 'edge-detail' }, label.detail),
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
