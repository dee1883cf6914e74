import { expect } from 'chai';
import { edgeBetween, layoutTopology, type NodeBox } from '../../ui/topology-layout.js';

const options = { width: 900, nodeWidth: 200, nodeHeight: 80, gap: 20 };

function overlaps(a: NodeBox, b: NodeBox): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

describe('dashboard topology layout', () => {
  it('puts the primary column on the left and the secondaries on the right, without overlaps', () => {
    const ids = ['s1', 's2', 's3', 's4', 's5'];
    const layout = layoutTopology([['self'], ids], options);
    const self = layout.boxes.get('self') as NodeBox;
    const boxes = ids.map((id) => layout.boxes.get(id) as NodeBox);
    expect(self.x).to.equal(20);
    for (const b of boxes) expect(b.x).to.equal(900 - 20 - 200);
    for (let i = 0; i < boxes.length; i++)
      for (let j = i + 1; j < boxes.length; j++) expect(overlaps(boxes[i] as NodeBox, boxes[j] as NodeBox)).to.equal(false);
    // Tall enough for the longest column, every box inside the drawing.
    expect(layout.height).to.equal(5 * 80 + 6 * 20);
    for (const b of [self, ...boxes]) expect(b.y >= 0 && b.y + b.height <= layout.height).to.equal(true);
  });

  it('centres a shorter column against the longer one', () => {
    const layout = layoutTopology([['self'], ['a', 'b', 'c']], options);
    const self = layout.boxes.get('self') as NodeBox;
    const middle = layout.boxes.get('b') as NodeBox;
    expect(self.y).to.equal(middle.y);
  });

  it('centres a lone cluster (replication disabled)', () => {
    const layout = layoutTopology([['self']], options);
    expect(layout.boxes.get('self')).to.deep.equal({ x: 350, y: 20, width: 200, height: 80 });
    expect(layout.height).to.equal(120);
  });

  it('draws edges between facing sides, and vertically inside one column', () => {
    const a = { x: 0, y: 0, width: 100, height: 50 };
    const b = { x: 300, y: 100, width: 100, height: 50 };
    expect(edgeBetween(a, b)).to.deep.equal({ x1: 100, y1: 25, x2: 300, y2: 125 });
    expect(edgeBetween(b, a)).to.deep.equal({ x1: 300, y1: 125, x2: 100, y2: 25 });
    const below = { x: 0, y: 80, width: 100, height: 50 };
    expect(edgeBetween(a, below)).to.deep.equal({ x1: 50, y1: 50, x2: 50, y2: 80 });
  });
});
