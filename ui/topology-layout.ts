/** Where a node's box sits in the graph (top-left corner, SVG user units). */
export interface NodeBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/**
 * `columns`: primaries left, secondaries right, labelled edges between (wide windows).
 * `tree`: the first node on top, every other one stacked below it, indented, joined by elbow edges
 * with their labels in the gap above each box (narrow windows: nothing has to shrink to fit).
 */
export type LayoutMode = 'columns' | 'tree';

export interface TopologyLayout {
  readonly mode: LayoutMode;
  readonly boxes: ReadonlyMap<string, NodeBox>;
  readonly width: number;
  readonly height: number;
}

export interface LayoutOptions {
  readonly mode: LayoutMode;
  readonly width: number;
  readonly nodeWidth: number;
  readonly nodeHeight: number;
  /** Space between boxes of a column and around the drawing. */
  readonly gap: number;
}

/** How far the tree layout indents the nodes below the first one. */
export const TREE_INDENT = 40;
/** Room above each indented box of the tree layout for its edge's two label lines. */
export const TREE_LABEL_ROOM = 34;

/**
 * Lays the columns of nodes out (primaries first, then secondaries). In `columns` mode, columns
 * spread across the width, each column's boxes stacked and centred vertically, so edges between
 * columns never cross a box; the height grows with the longest column; a single column sits in the
 * middle. In `tree` mode the width is the drawing's and boxes fill it.
 */
export function layoutTopology(columns: readonly (readonly string[])[], options: LayoutOptions): TopologyLayout {
  return options.mode === 'tree' ? layoutTree(columns.flat(), options) : layoutColumns(columns, options);
}

function layoutColumns(columns: readonly (readonly string[])[], options: LayoutOptions): TopologyLayout {
  const { width, nodeWidth, nodeHeight, gap } = options;
  const rows = Math.max(1, ...columns.map((c) => c.length));
  const height = rows * nodeHeight + (rows + 1) * gap;
  const boxes = new Map<string, NodeBox>();
  const span = Math.max(0, width - 2 * gap - nodeWidth);
  columns.forEach((column, i) => {
    const x = columns.length === 1 ? (width - nodeWidth) / 2 : gap + (span * i) / (columns.length - 1);
    const columnHeight = column.length * nodeHeight + (column.length - 1) * gap;
    const top = (height - columnHeight) / 2;
    column.forEach((id, j) => boxes.set(id, { x, y: top + j * (nodeHeight + gap), width: nodeWidth, height: nodeHeight }));
  });
  return { mode: 'columns', boxes, width, height };
}

function layoutTree(ids: readonly string[], options: LayoutOptions): TopologyLayout {
  const { width, nodeHeight, gap } = options;
  const boxes = new Map<string, NodeBox>();
  let y = gap;
  ids.forEach((id, i) => {
    if (i > 0) y += TREE_LABEL_ROOM;
    const x = i === 0 ? gap : gap + TREE_INDENT;
    boxes.set(id, { x, y, width: width - gap - x, height: nodeHeight });
    y += nodeHeight + gap;
  });
  return { mode: 'tree', boxes, width, height: y };
}

/** How far left of a column a same-column edge runs (less than the drawing's margin). */
const BRACKET = 12;

/** An edge's SVG path and where its label goes. */
export interface EdgeRoute {
  readonly d: string;
  readonly labelX: number;
  readonly labelY: number;
  /** `none`: the edge carries no label. */
  readonly labelAnchor: 'middle' | 'start' | 'none';
}

/**
 * The edge between two boxes. Columns: from the facing side of one to the other's, label in the
 * middle (two boxes of one column: a bracket on the left, unlabelled). Tree: down the trunk under the first
 * box, then across to the other box's left side, label just above that box.
 */
export function edgeRoute(from: NodeBox, to: NodeBox, mode: LayoutMode): EdgeRoute {
  if (mode === 'tree') {
    const [parent, child] = from.y <= to.y ? [from, to] : [to, from];
    const trunkX = parent.x + TREE_INDENT / 2;
    const midY = child.y + child.height / 2;
    return {
      d: `M ${trunkX} ${parent.y + parent.height} L ${trunkX} ${midY} L ${child.x} ${midY}`,
      labelX: child.x,
      labelY: child.y - TREE_LABEL_ROOM + 12,
      labelAnchor: 'start',
    };
  }
  if (from.x === to.x) {
    // Same column (HA nodes of one cluster): a bracket along the column's left side, so the edge never
    // crosses a box between the two; the boxes say what the nodes are, so no label.
    const [upper, lower] = from.y <= to.y ? [from, to] : [to, from];
    const x = from.x;
    const y1 = upper.y + upper.height / 2;
    const y2 = lower.y + lower.height / 2;
    return { d: `M ${x} ${y1} L ${x - BRACKET} ${y1} L ${x - BRACKET} ${y2} L ${x} ${y2}`, labelX: x - BRACKET, labelY: (y1 + y2) / 2, labelAnchor: 'none' };
  }
  const leftToRight = from.x <= to.x;
  const x1 = leftToRight ? from.x + from.width : from.x;
  const y1 = from.y + from.height / 2;
  const x2 = leftToRight ? to.x : to.x + to.width;
  const y2 = to.y + to.height / 2;
  return { d: `M ${x1} ${y1} L ${x2} ${y2}`, labelX: (x1 + x2) / 2, labelY: (y1 + y2) / 2 - 8, labelAnchor: 'middle' };
}
