import { expect } from 'chai';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReplicationTrace } from '../../../server/replication/replication-trace.js';

async function waitFor(check: () => boolean, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('ReplicationTrace', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-trace-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('records nothing unless a directory is named', () => {
    const trace = new ReplicationTrace(undefined);
    trace.mark('apply', 1, 2);
    expect(trace.isOn).to.equal(false);
    expect(new ReplicationTrace('').isOn).to.equal(false);
  });

  it('appends each mark with an epoch timestamp, its stage, WAL range and stream to <dir>/<pid>.ndjson', async () => {
    const trace = new ReplicationTrace(dir);
    const before = Date.now();
    trace.mark('encoded', 5, 7, 'dc2');
    trace.mark('published', 5, 7);
    const file = join(dir, `${process.pid}.ndjson`);
    await waitFor(() => existsSync(file) && readFileSync(file, 'utf8').split('\n').length >= 3, 5000);
    expect(readdirSync(dir)).to.deep.equal([`${process.pid}.ndjson`]);
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as [number, string, number, number, string]);
    expect(lines.map((l) => l.slice(1))).to.deep.equal([
      ['encoded', 5, 7, 'dc2'],
      ['published', 5, 7, ''],
    ]);
    expect(lines[0]?.[0]).to.be.within(before - 50, Date.now() + 50);
  });
});
