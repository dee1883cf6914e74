import { expect } from 'chai';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveSqlitePath, SqlitePathError } from '../../../server/storage/sqlite-path.js';

async function refusal(path: string): Promise<string> {
  try {
    await resolveSqlitePath(path);
  } catch (err) {
    expect(err).to.be.instanceOf(SqlitePathError);
    return (err as Error).message;
  }
  throw new Error('expected resolveSqlitePath to refuse');
}

describe('resolveSqlitePath', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ferry-sqlite-path-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps a file path whose folder exists, whether or not the file does', async () => {
    expect(await resolveSqlitePath(join(dir, 'new.db'))).to.equal(join(dir, 'new.db'));
    await writeFile(join(dir, 'old.db'), '');
    expect(await resolveSqlitePath(join(dir, 'old.db'))).to.equal(join(dir, 'old.db'));
  });

  it('puts the database in <dir>/ferry.db when path is a directory', async () => {
    await mkdir(join(dir, 'data'));
    expect(await resolveSqlitePath(join(dir, 'data'))).to.equal(join(dir, 'data', 'ferry.db'));
  });

  it('refuses a path in a missing folder, naming the folder and the path', async () => {
    const path = join(dir, 'nope', 'ferry.db');
    expect(await refusal(path)).to.equal(`storage "sqlite": the folder "${join(dir, 'nope')}" for path "${path}" does not exist; create it first`);
  });

  it('refuses a path under a file', async () => {
    await writeFile(join(dir, 'plain'), '');
    const path = join(dir, 'plain', 'ferry.db');
    expect(await refusal(path)).to.equal(`storage "sqlite": "${join(dir, 'plain')}" in path "${path}" is not a directory`);
  });
});
