import { expect } from 'chai';
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditFileWriter } from '../../../../server/core/audit/audit-file-writer.js';

describe('AuditFileWriter', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ferry-audit-writer-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes N concurrent lines to a real file in fewer append calls than N; each resolves only once its line is in the file', async () => {
    const file = join(dir, 'audit.log');
    const calls: string[] = [];
    const writer = new AuditFileWriter(async (text) => {
      calls.push(text);
      await appendFile(file, text);
    });
    const lines = Array.from({ length: 40 }, (_, i) => `{"n":${i}}\n`);
    await Promise.all(
      lines.map(async (line) => {
        await writer.write(line);
        // Acknowledged means written: the line is already in the file.
        expect(await readFile(file, 'utf8')).to.include(line);
      }),
    );
    expect(calls.length, 'append calls for 40 concurrent lines').to.be.lessThan(lines.length / 2);
    expect(writer.appendCount).to.equal(calls.length);
    expect(await readFile(file, 'utf8')).to.equal(lines.join(''));
  });

  it('writes the lines of one event-loop turn in one append', async () => {
    const calls: string[] = [];
    const writer = new AuditFileWriter((text) => {
      calls.push(text);
      return Promise.resolve();
    });
    await Promise.all(['a\n', 'b\n', 'c\n'].map((line) => writer.write(line)));
    expect(calls).to.deep.equal(['a\nb\nc\n']);
    await writer.write('d\n');
    expect(calls).to.deep.equal(['a\nb\nc\n', 'd\n']);
  });

  it('fails every line of a failed append (fail closed) and writes the next batch', async () => {
    const file = join(dir, 'flaky.log');
    let failNext = true;
    const writer = new AuditFileWriter(async (text) => {
      if (failNext) {
        failNext = false;
        throw Object.assign(new Error('disk full'), { code: 'ENOSPC' });
      }
      await appendFile(file, text);
    });
    // 'a' and 'b' share the failing append: neither is acknowledged.
    const first = await Promise.allSettled([writer.write('a\n'), writer.write('b\n')]);
    expect(first.map((r) => r.status)).to.deep.equal(['rejected', 'rejected']);
    await writer.write('c\n');
    expect(await readFile(file, 'utf8')).to.equal('c\n');
  });
});
