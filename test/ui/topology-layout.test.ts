import { expect } from 'chai';
import { edgeRoute, layoutTopology, TREE_INDENT, TREE_LABEL_ROOM, type NodeBox } from '../../ui/topology-layout.js';

const options = { mode: 'columns', width: 900, nodeWidth: 200, nodeHeight: 80, gap: 20 } as const;

function overlaps(a: NodeBox, b: NodeBox): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

function expectNoOverlaps(boxes: NodeBox[]): void {
  for (let i = 0; i < boxes.length; i++)
    for (let j = i + 1; j < boxes.length; j++) expect(overlaps(boxes[i] as NodeBox, boxes[j] as NodeBox), `${i} and ${j}`).to.equal(false);
}

describe('dashboard topology layout', () => {
  it('puts the primary column on the left and the secondaries on the right, without overlaps', () => {
    const ids = ['s1', 's2', 's3', 's4', 's5'];
    const layout = layoutTopology([['self'], ids], options);
    const self = layout.boxes.get('self') as NodeBox;
    const boxes = ids.map((id) => layout.boxes.get(id) as NodeBox);
    expect(self.x).to.equal(20);
    for (const b of boxes) expect(b.x).to.equal(900 - 20 - 200);
    expectNoOverlaps([self, ...boxes]);
    // Tall enough for the longest column, every box inside the drawing.
    expect(layout.height).to.equal(5 * 80 + 6 * 20);
    for (const b of [self, ...boxes]) expect(b.y >= 0 && b.y + b.height <= layout.height).to.equal(true);
  });

  it('centres a shorter column against the longer one', () => {
    const layout = layoutTopology([['self'], ['a', 'b', 'c']], options);
    expect((layout.boxes.get('self') as NodeBox).y).to.equal((layout.boxes.get('b') as NodeBox).y);
  });

  it('centres a lone cluster (replication disabled)', () => {
    const layout = layoutTopology([['self']], options);
    expect(layout.boxes.get('self')).to.deep.equal({ x: 350, y: 20, width: 200, height: 80 });
    expect(layout.height).to.equal(120);
  });

  it('on a narrow window stacks the nodes as an indented tree under the first one, with room for labels', () => {
    const layout = layoutTopology([['p'], ['self', 'standby']], { ...options, mode: 'tree', width: 380, gap: 10 });
    const [p, self, standby] = ['p', 'self', 'standby'].map((id) => layout.boxes.get(id) as NodeBox) as [NodeBox, NodeBox, NodeBox];
    expect(p).to.deep.equal({ x: 10, y: 10, width: 360, height: 80 });
    expect(self).to.deep.equal({ x: 10 + TREE_INDENT, y: 10 + 80 + 10 + TREE_LABEL_ROOM, width: 380 - 10 - 10 - TREE_INDENT, height: 80 });
    expect(standby.y).to.equal(self.y + 80 + 10 + TREE_LABEL_ROOM);
    expectNoOverlaps([p, self, standby]);
    expect(layout.height).to.equal(standby.y + 80 + 10);
  });

  it('routes edges between facing sides, as a bracket inside one column, and as elbows in the tree', () => {
    const a = { x: 0, y: 0, width: 100, height: 50 };
    const b = { x: 300, y: 100, width: 100, height: 50 };
    expect(edgeRoute(a, b, 'columns')).to.deep.equal({ d: 'M 100 25 L 300 125', labelX: 200, labelY: 67, labelAnchor: 'middle' });
    expect(edgeRoute(b, a, 'columns').d).to.equal('M 300 125 L 100 25');
    const below = { x: 0, y: 80, width: 100, height: 50 };
    const further = { x: 0, y: 160, width: 100, height: 50 };
    // Two boxes of one column: a bracket left of the column, clear of the box between them, no label.
    expect(edgeRoute(a, further, 'columns')).to.deep.include({ d: 'M 0 25 L -12 25 L -12 185 L 0 185', labelAnchor: 'none' });
    expect(edgeRoute(below, a, 'columns').d).to.equal('M 0 25 L -12 25 L -12 105 L 0 105');
    const child = { x: TREE_INDENT, y: 100, width: 200, height: 50 };
    const tree = edgeRoute(a, child, 'tree');
    expect(tree.d).to.equal(`M ${TREE_INDENT / 2} 50 L ${TREE_INDENT / 2} 125 L ${TREE_INDENT} 125`);
    // The label sits in the room above the child box, clear of the trunk.
    expect(tree.labelX).to.equal(TREE_INDENT);
    expect(tree.labelY).to.be.within(50, 100);
  });
});
