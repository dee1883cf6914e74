import { expect } from 'chai';
import { LogGate } from '../../server/log-gate.js';

describe('LogGate', () => {
  it('holds lines until opened, then writes them in order and lets later lines through', () => {
    const out: string[] = [];
    const gate = new LogGate((line) => void out.push(line));
    gate.write('a\n');
    gate.write('b\n');
    expect(out).to.deep.equal([]);
    gate.open();
    expect(out).to.deep.equal(['a\n', 'b\n']);
    gate.write('c\n');
    expect(out).to.deep.equal(['a\n', 'b\n', 'c\n']);
  });
});
