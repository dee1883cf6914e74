/**
 * `npm run provider:package`'s program (dist/provider/release/package-release.js) run as a release manager
 * would, in a fresh clone of this repository's HEAD (with this checkout's build copied in): the signing key
 * comes from FERRY_RELEASE_SIGNING_KEY_FILE; it refuses a dirty tree and a version already packaged, and
 * packaging the same commit twice gives byte-identical archives. Needs `npm run build` first.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import * as openpgp from 'openpgp';
import { providerVersion, repoRoot } from '../../provider/paths.js';

describe('npm run provider:package (the packaging program in a clean clone)', function () {
  this.timeout(120_000);
  let dir: string;
  let clone: string;
  let keyFile: string;
  const runPackage = (out: string, env: Record<string, string> = { FERRY_RELEASE_SIGNING_KEY_FILE: keyFile }) =>
    spawnSync(process.execPath, [join(clone, 'dist', 'provider', 'release', 'package-release.js'), '--out', out], {
      cwd: clone,
      env: { PATH: process.env['PATH'] ?? '', HOME: dir, ...env },
      encoding: 'utf8',
    });
  const sumsOf = (out: string) => readFileSync(join(out, providerVersion, `terraform-provider-ferry_${providerVersion}_SHA256SUMS`), 'utf8');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-package-'));
    clone = join(dir, 'clone');
    const res = spawnSync('git', ['clone', '-q', repoRoot, clone], { encoding: 'utf8' });
    expect(res.status, res.stderr).to.equal(0);
    cpSync(join(repoRoot, 'dist'), join(clone, 'dist'), { recursive: true, filter: (src) => !src.includes(`${join(repoRoot, 'dist', 'release')}`) });
    symlinkSync(join(repoRoot, 'node_modules'), join(clone, 'node_modules'));
    appendFileSync(join(clone, '.git', 'info', 'exclude'), 'node_modules\n');
    const { privateKey } = await openpgp.generateKey({ userIDs: [{ name: 'Ferry throwaway release key' }], format: 'armored' });
    keyFile = join(dir, 'release-key.asc');
    writeFileSync(keyFile, privateKey, { mode: 0o600 });
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('names the signing-key variable when no key is given', () => {
    const res = runPackage(join(dir, 'no-key'), {});
    expect(res.status).to.equal(1);
    expect(res.stderr).to.contain('set FERRY_RELEASE_SIGNING_KEY_FILE');
  });

  it('packages a clean tree, and packaging the same commit again is byte-identical', () => {
    const first = runPackage(join(dir, 'out1'));
    expect(first.status, first.stderr).to.equal(0);
    expect(first.stdout).to.contain(`Packaged terraform-provider-ferry ${providerVersion}`);
    expect(first.stdout + first.stderr).to.not.contain('PRIVATE KEY');
    const second = runPackage(join(dir, 'out2'));
    expect(second.status, second.stderr).to.equal(0);
    expect(sumsOf(join(dir, 'out2'))).to.equal(sumsOf(join(dir, 'out1')));
  });

  it('refuses a version that is already packaged', () => {
    const again = runPackage(join(dir, 'out1'));
    expect(again.status).to.equal(1);
    expect(again.stderr).to.contain(`version ${providerVersion} is already packaged`);
  });

  it('refuses a work tree with changes, naming the file', () => {
    writeFileSync(join(clone, 'stray.txt'), 'not committed\n');
    const dirty = runPackage(join(dir, 'out3'));
    expect(dirty.status).to.equal(1);
    expect(dirty.stderr).to.match(/refusing to package a work tree with changes[\s\S]*stray\.txt/);
    rmSync(join(clone, 'stray.txt'));
  });
});
