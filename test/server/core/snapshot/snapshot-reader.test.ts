import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { readSnapshotFile } from '../../../../server/core/snapshot/snapshot-reader.js';
import { writeSnapshot } from '../../../../server/core/snapshot/snapshot-writer.js';
import { MemoryBackend } from '../../../../server/storage/memory-backend.js';

const HEADER = {
  ferry_snapshot: 1,
  cluster_id: 'c-1',
  replication: { role: 'primary', epoch: 3, last_wal: 42 },
  created_at: '2026-11-28T09:00:00.000Z',
  storage: 'inmem',
};

describe('snapshot files (writeSnapshot → readSnapshotFile)', () => {
  let dir: string;
  let text: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-snap-'));
    const backend = new MemoryBackend();
    for (let i = 0; i < 2500; i++) await backend.put(`logical/x/${String(i).padStart(4, '0')}`, Buffer.from([i & 255, 0, 10, 13]));
    const read = await backend.consistentRead();
    const chunks: string[] = [];
    const summary = await writeSnapshot(read, HEADER, async (chunk) => void chunks.push(chunk));
    await read.release();
    text = chunks.join('');
    expect(summary.keyCount).to.equal(2500);
    expect(summary.bytes).to.equal(Buffer.byteLength(text));
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const fileWith = (content: string): string => {
    const path = join(dir, 'f.snap');
    writeFileSync(path, content);
    return path;
  };
  const failureOf = async (content: string): Promise<string> => {
    try {
      await readSnapshotFile(fileWith(content));
    } catch (err) {
      return (err as Error).message;
    }
    return 'no failure';
  };

  it('reads back the header and every entry byte for byte, in key order', async () => {
    const snapshot = await readSnapshotFile(fileWith(text));
    expect(snapshot.header).to.deep.equal({ ...HEADER, key_count: 2500 });
    expect(snapshot.entries).to.have.length(2500);
    expect(snapshot.entries[7]).to.deep.equal({ key: 'logical/x/0007', value: Buffer.from([7, 0, 10, 13]) });
  });

  it('refuses an altered entry, a truncated file, a dropped line and a foreign format', async () => {
    const lines = text.split('\n');
    const altered = [...lines];
    altered[3] = (altered[3] as string).replace('logical/x/0002', 'logical/x/9999');
    expect(await failureOf(altered.join('\n'))).to.match(/checksum does not match; nothing was changed/);
    expect(await failureOf(text.slice(0, text.length - 200))).to.match(/truncated|malformed|not JSON/);
    expect(await failureOf(lines.slice(0, -2).join('\n') + '\n')).to.match(/truncated/);
    const dropped = [...lines.slice(0, 10), ...lines.slice(11)];
    expect(await failureOf(dropped.join('\n'))).to.match(/checksum does not match/);
    expect(await failureOf(text.replace('"ferry_snapshot":1', '"ferry_snapshot":2'))).to.match(/format version 2 is not supported/);
    expect(await failureOf('')).to.match(/empty/);
    expect(await failureOf(text + '["extra","AA=="]\n')).to.match(/data follows the checksum/);
  });
});
