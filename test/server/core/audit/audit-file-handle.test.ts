import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditFileHandle } from '../../../../server/core/audit/audit-file-handle.js';

describe('AuditFileHandle', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'ferry-audit-handle-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the file with the given mode and appends in order', async () => {
    const path = join(dir, 'audit.log');
    const file = new AuditFileHandle(path, 0o600);
    await Promise.all(['a\n', 'b\n', 'c\n'].map((t) => file.append(t)));
    await file.close();
    expect(readFileSync(path, 'utf8')).to.equal('a\nb\nc\n');
    expect(statSync(path).mode & 0o777).to.equal(0o600);
  });

  it('keeps writing to the open file until reopen, then writes to a new file at the path (log rotation)', async () => {
    const path = join(dir, 'audit.log');
    const file = new AuditFileHandle(path, 0o600);
    await file.append('before\n');
    renameSync(path, `${path}.1`);
    await file.append('still the old file\n');
    await file.reopen();
    await file.append('after\n');
    await file.close();
    expect(readFileSync(`${path}.1`, 'utf8')).to.equal('before\nstill the old file\n');
    expect(readFileSync(path, 'utf8')).to.equal('after\n');
  });

  it('rejects while the path cannot be opened, and recovers once it can', async () => {
    const path = join(dir, 'missing', 'audit.log');
    const file = new AuditFileHandle(path, 0o600);
    let failure: unknown;
    await file.append('x\n').catch((err: unknown) => (failure = err));
    expect((failure as NodeJS.ErrnoException).code).to.equal('ENOENT');
    mkdirSync(join(dir, 'missing'));
    await file.append('y\n');
    await file.close();
    expect(readFileSync(path, 'utf8')).to.equal('y\n');
  });

  it('fails closed on a path replaced by a directory once it reopens', async () => {
    const path = join(dir, 'audit.log');
    const file = new AuditFileHandle(path, 0o600);
    await file.append('ok\n');
    rmSync(path);
    mkdirSync(path);
    await file.reopen();
    let failure: unknown;
    await file.append('refused\n').catch((err: unknown) => (failure = err));
    expect((failure as NodeJS.ErrnoException).code).to.equal('EISDIR');
  });
});
