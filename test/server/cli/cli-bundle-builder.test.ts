import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCliBundle } from '../../../server/cli/cli-bundle-builder.js';

const realRoot = join(import.meta.dirname, '..', '..', '..');

/** Runs `node <root>/bin/ferry.js ...args` to completion. */
function ferry(root: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'ferry.js'), ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { PATH: process.env['PATH'] ?? '', HOME: root },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('server/cli/cli-bundle-builder', function () {
  this.timeout(120_000);
  let root: string;
  let bundleDir: string;
  const caches = (): string[] => readdirSync(bundleDir).filter((n) => n.endsWith('.v8cache'));

  before(async function () {
    // A throwaway checkout: this tree's sources and compiled server (dist/server, from `npm run build`),
    // a copy of bin/, and its own dist/cli-bundle, so the shared build is never touched.
    root = mkdtempSync(join(tmpdir(), 'ferry-cli-bundle-'));
    for (const name of ['server', 'node_modules']) symlinkSync(join(realRoot, name), join(root, name));
    mkdirSync(join(root, 'bin'));
    mkdirSync(join(root, 'dist'));
    for (const name of ['ferry.js', 'package.json']) copyFileSync(join(realRoot, 'bin', name), join(root, 'bin', name));
    copyFileSync(join(realRoot, 'package.json'), join(root, 'package.json'));
    symlinkSync(join(realRoot, 'dist', 'server'), join(root, 'dist', 'server'));
    bundleDir = join(root, 'dist', 'cli-bundle');
    await buildCliBundle(root);
  });

  after(() => rmSync(root, { recursive: true, force: true }));

  it('builds one file without the server or yaml, and the build run leaves a code cache', () => {
    const text = readFileSync(join(bundleDir, 'ferry-cli.cjs'), 'utf8');
    expect(text).to.include('__ferryImport("../server/cli/server-command.js")');
    expect(text).not.to.match(/\bimport\(/);
    expect(text).not.to.include('tag:yaml.org');
    expect(caches()).to.have.length(1);
  });

  it('runs commands from the bundle through the cache without rewriting it', () => {
    const [cache] = caches() as [string];
    const before = statSync(join(bundleDir, cache)).mtimeMs;
    const r = ferry(root, 'version');
    expect(r.stderr).to.equal('');
    expect(r.stdout).to.equal('Ferry v0.1.0\n');
    expect(r.status).to.equal(0);
    expect(caches()).to.deep.equal([cache]);
    expect(statSync(join(bundleDir, cache)).mtimeMs).to.equal(before);
  });

  it("loads a command's lazy imports from dist/ (operator migrate reads its config there)", () => {
    const r = ferry(root, 'operator', 'migrate', `-config=${join(root, 'missing.hcl')}`);
    expect(r.stderr).to.include('cannot read config file');
    expect(r.status).to.equal(1);
  });

  it('writes a missing code cache again, and falls back to dist/server without a bundle', () => {
    // The build warms the cache with a `ferry read` against a stand-in server: it holds the client's request
    // and output code too, which a `version` run never compiles.
    const builtCacheBytes = statSync(join(bundleDir, caches()[0] ?? '')).size;
    rmSync(join(bundleDir, caches()[0] ?? ''));
    expect(ferry(root, 'version').status).to.equal(0);
    expect(caches()).to.have.length(1);
    expect(statSync(join(bundleDir, caches()[0] ?? '')).size).to.be.below(builtCacheBytes - 4096);
    rmSync(bundleDir, { recursive: true });
    const r = ferry(root, 'version');
    expect(r.stdout).to.equal('Ferry v0.1.0\n');
    expect(r.status).to.equal(0);
  });
});
