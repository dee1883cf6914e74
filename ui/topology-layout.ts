/** Where a node's box sits in the graph (top-left corner, SVG user units). */
export interface NodeBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface TopologyLayout {
  readonly boxes: ReadonlyMap<string, NodeBox>;
  readonly width: number;
  readonly height: number;
}

export interface LayoutOptions {
  readonly width: number;
  readonly nodeWidth: number;
  readonly nodeHeight: number;
  /** Space between boxes of a column and around the drawing. */
  readonly gap: number;
}

/**
 * Lays columns of nodes out left to right (primaries, then secondaries): columns spread across the
 * width, each column's boxes stacked and centred vertically, so edges between columns never cross
 * a box. The height grows with the longest column; a single column sits in the middle.
 */
export function layoutTopology(columns: readonly (readonly string[])[], options: LayoutOptions): TopologyLayout {
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
  return { boxes, width, height };
}

/** The edge between two boxes: from the right middle of one to the left middle of the other. */
export function edgeBetween(from: NodeBox, to: NodeBox): { x1: number; y1: number; x2: number; y2: number } {
  if (from.x === to.x) {
    // Same column (an HA standby under its active node): bottom of the upper box to top of the lower.
    const [upper, lower] = from.y <= to.y ? [from, to] : [to, from];
    const x = from.x + from.width / 2;
    return { x1: x, y1: upper.y + upper.height, x2: x, y2: lower.y };
  }
  const leftToRight = from.x <= to.x;
  return {
    x1: leftToRight ? from.x + from.width : from.x,
    y1: from.y + from.height / 2,
    x2: leftToRight ? to.x : to.x + to.width,
    y2: to.y + to.height / 2,
  };
}
