/**
 * The launcher Terraform executes (provider/bin/terraform-provider-ferry, also the executable of every release
 * package): it must say which Node.js it needs when node is missing or too old — on stdout, the line
 * Terraform shows the user — instead of failing obscurely.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { providerBundleName } from '../../../provider/plugin/bundle-loader.js';
import { providerBundleLoaderFile, providerLauncherFile, requiredNodeVersion } from '../../../provider/paths.js';

describe('provider/bin/terraform-provider-ferry (launcher)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'ferry-launcher-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("needs the node version package.json's engines.node names", () => {
    expect(readFileSync(providerLauncherFile, 'utf8')).to.match(new RegExp(`^need_node=${requiredNodeVersion.replace(/\./g, '\\.')}$`, 'm'));
  });

  it('names the version needed when no node is on PATH', () => {
    symlinkSync('/bin/sh', join(dir, 'sh'));
    const tee = spawnSync('sh', ['-c', 'command -v tee'], { encoding: 'utf8' }).stdout.trim();
    symlinkSync(tee, join(dir, 'tee'));
    const res = spawnSync('/bin/sh', [providerLauncherFile], { env: { PATH: dir }, encoding: 'utf8' });
    expect(res.status).to.equal(1);
    expect(res.stdout.split('\n')[0]).to.equal(
      `terraform-provider-ferry: Node.js >= ${requiredNodeVersion} is required, but no node is on the PATH Terraform runs with (${dir})`,
    );
  });

  it('names the version needed and the node found when that node is too old, before the bundle is loaded', () => {
    // A package-shaped copy (the built loader, which opens with node-check.cjs, and a stand-in bundle) whose
    // launcher asks for a node newer than any: the real node is then "too old".
    mkdirSync(join(dir, 'dist', 'provider-bundle'), { recursive: true });
    copyFileSync(providerBundleLoaderFile, join(dir, 'dist', 'provider-bundle', 'loader.cjs'));
    writeFileSync(join(dir, 'dist', 'provider-bundle', providerBundleName), 'process.stdout.write("bundle loaded\\n");\n');
    const launcher = join(dir, 'terraform-provider-ferry_v0.0.0');
    writeFileSync(launcher, readFileSync(providerLauncherFile, 'utf8').replace(/^need_node=.*$/m, 'need_node=999.1'), { mode: 0o755 });
    const res = spawnSync(launcher, [], { encoding: 'utf8' });
    expect(res.status).to.equal(1);
    expect(res.stdout.split('\n')[0]).to.equal(
      `terraform-provider-ferry: Node.js >= 999.1 is required, but ${process.execPath} is ${process.version}; put a newer node first on the PATH Terraform runs with`,
    );
    expect(res.stdout).to.not.contain('bundle loaded');

    writeFileSync(launcher, readFileSync(providerLauncherFile, 'utf8'), { mode: 0o755 });
    const ok = spawnSync(launcher, [], { encoding: 'utf8' });
    expect(ok.stdout).to.equal('bundle loaded\n');
  });
});
