import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { magicCookieValue, parseHandshakeLine } from '../../../provider/plugin/handshake.js';
import { buildProviderBundle, launcherNodeFlags, type ProviderBundle } from '../../../provider/plugin/provider-bundle-builder.js';
import { providerBundleDir, repoRoot } from '../../../provider/paths.js';
import { makeClientIdentity } from '../helpers/provider-process.js';

/**
 * Runs the loader as the launcher does, returns the handshake line after letting the process idle `settleMs`
 * (and what it wrote to stderr until then, when asked).
 */
async function launch(loaderFile: string, settleMs: number, nodeArgs: string[] = [], output?: { stderr: string }): Promise<string> {
  const identity = await makeClientIdentity();
  const child = spawn(process.execPath, [...nodeArgs, ...launcherNodeFlags, loaderFile], {
    cwd: '/',
    env: { PATH: process.env['PATH'] ?? '', TF_PLUGIN_MAGIC_COOKIE: magicCookieValue, PLUGIN_PROTOCOL_VERSIONS: '6', PLUGIN_CLIENT_CERT: identity.certPem },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  try {
    return await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('\n'))
          setTimeout(() => {
            if (output !== undefined) output.stderr = stderr;
            resolve(out);
          }, settleMs);
      });
      child.once('exit', (code) => reject(new Error(`provider exited (${code}) before the handshake: ${stderr}`)));
    });
  } finally {
    child.kill('SIGKILL');
  }
}

const cachesIn = (dir: string): string[] => readdirSync(dir).filter((n) => n.endsWith('.v8cache'));

describe('provider/plugin/provider-bundle-builder', function () {
  this.timeout(120_000);
  let dir: string;
  let bundle: ProviderBundle;

  before(async () => {
    // Inside the repository, as dist/provider-bundle is: the bundle finds schemas/ from its own location.
    dir = mkdtempSync(join(repoRoot, 'dist', 'test-provider-bundle-'));
    bundle = await buildProviderBundle(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the loader, the provider bundle and the late vendor bundle, all self-contained (the build fails on anything external)', () => {
    expect(existsSync(bundle.loaderFile)).to.equal(true);
    expect(existsSync(bundle.bundleFile)).to.equal(true);
    expect(existsSync(bundle.lateVendorFile)).to.equal(true);
    expect(bundle.lateVendorModules).to.include.members(['protobufjs/light.js', 'pino', '@msgpack/msgpack']);
    expect(providerBundleDir).to.equal(join(repoRoot, 'dist', 'provider-bundle'));
  });

  it('answers its handshake without the late vendor bundle, and reports its absence only after the line', async () => {
    const aside = `${bundle.lateVendorFile}.aside`;
    renameSync(bundle.lateVendorFile, aside);
    try {
      const output = { stderr: '' };
      const handshake = parseHandshakeLine(await launch(bundle.loaderFile, 600, [], output));
      expect(handshake.serverCertDer).to.be.instanceOf(Buffer);
      // protobufjs is asked for right after the line; without its bundle that fails (and is logged through pino, also missing).
      expect(output.stderr).to.include('terraform-provider-ferry-vendor.cjs');
    } finally {
      renameSync(aside, bundle.lateVendorFile);
    }
  });

  it("warms V8's code caches during the build, one per bundle, and launches use them without rewriting them", async () => {
    const caches = cachesIn(dir).sort();
    expect(caches).to.have.length(2);
    expect(caches[0]).to.match(/^terraform-provider-ferry-vendor\.cjs\./);
    expect(caches[1]).to.match(/^terraform-provider-ferry\.cjs\./);
    for (const name of caches) expect(name).to.include(process.version);
    const before = caches.map((name) => statSync(join(dir, name)).mtimeMs);
    // The launch idles past the provider's cache-saving moment: a rejected cache would be written again.
    const handshake = parseHandshakeLine(await launch(bundle.loaderFile, 600));
    expect(handshake.appVersion).to.equal(6);
    expect(handshake.serverCertDer).to.be.instanceOf(Buffer);
    expect(caches.map((name) => statSync(join(dir, name)).mtimeMs)).to.deep.equal(before);
  });

  it('stores the code caches on the first launch when there are none', async () => {
    for (const name of cachesIn(dir)) rmSync(join(dir, name));
    parseHandshakeLine(await launch(bundle.loaderFile, 600));
    expect(cachesIn(dir)).to.have.length(2);
  });

  it('answers its handshake without loading the built-ins it defers (zlib, dns)', async () => {
    // Preloaded: records node's list of loaded built-ins when the handshake line is written.
    const loadedFile = join(dir, 'loaded-at-handshake.json');
    const preload = join(dir, 'record-loaded.cjs');
    writeFileSync(
      preload,
      // The line goes out through fd 1 directly (serve.ts); the first write to fd 1 is the line.
      `const fs = require('node:fs');
      const { writeFileSync, writeSync } = fs;
      fs.writeSync = (fd, ...rest) => {
        if (fd === 1) {
          writeFileSync(${JSON.stringify(loadedFile)}, JSON.stringify(process.moduleLoadList));
          fs.writeSync = writeSync;
        }
        return writeSync(fd, ...rest);
      };`,
    );
    parseHandshakeLine(await launch(bundle.loaderFile, 0, ['-r', preload]));
    const loaded = JSON.parse(readFileSync(loadedFile, 'utf8')) as string[];
    expect(loaded).to.include('NativeModule http2');
    expect(loaded).to.not.include('NativeModule zlib');
    expect(loaded).to.not.include('NativeModule dns');
  });

  it('replaces code caches of an earlier bundle when it rebuilds', async () => {
    const stale = 'terraform-provider-ferry.cjs.v0-x64-1-1.v8cache';
    writeFileSync(join(dir, stale), 'stale');
    await buildProviderBundle(dir);
    expect(cachesIn(dir)).to.have.length(2).and.not.include(stale);
  });
});
