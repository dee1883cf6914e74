import { expect } from 'chai';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTokenFile, tokenFilePath, writeTokenFile } from '../../../server/cli/token-file.js';

describe('token file', () => {
  let home: string;
  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'ferry-token-file-'));
  });
  after(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it("is Vault's ~/.vault-token unless FERRY_TOKEN_FILE says otherwise", () => {
    expect(tokenFilePath({}, home)).to.equal(join(home, '.vault-token'));
    expect(tokenFilePath({ FERRY_TOKEN_FILE: '  ' }, home)).to.equal(join(home, '.vault-token'));
    expect(tokenFilePath({ FERRY_TOKEN_FILE: '/x/t' }, home)).to.equal('/x/t');
  });

  it('reads a token the vault CLI wrote (trailing newline trimmed) and writes one it can read, owner-only', async () => {
    const file = tokenFilePath({}, home);
    await writeFile(file, 'hvs.fromvault\n');
    expect(await readTokenFile(file)).to.equal('hvs.fromvault');
    await writeTokenFile(file, 'hvs.fromferry');
    expect(await readFile(file, 'utf8')).to.equal('hvs.fromferry');
    expect((await stat(file)).mode & 0o777).to.equal(0o600);
  });

  it('reads an absent file as no token', async () => {
    expect(await readTokenFile(join(home, 'absent'))).to.equal(undefined);
  });
});
