import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { magicCookieValue, parseHandshakeLine } from '../../../provider/plugin/handshake.js';
import { buildProviderBundle, launcherNodeFlags, type ProviderBundle } from '../../../provider/plugin/provider-bundle-builder.js';
import { providerBundleDir, repoRoot } from '../../../provider/paths.js';
import { makeClientIdentity } from '../helpers/provider-process.js';

/** Runs the loader as the launcher does, returns the handshake line after letting the process idle `settleMs`. */
async function launch(loaderFile: string, settleMs: number, nodeArgs: string[] = []): Promise<string> {
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
        if (out.includes('\n')) setTimeout(() => resolve(out), settleMs);
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

  it('writes the loader and one self-contained provider bundle (the build fails on anything external)', () => {
    expect(existsSync(bundle.loaderFile)).to.equal(true);
    expect(existsSync(bundle.bundleFile)).to.equal(true);
    expect(providerBundleDir).to.equal(join(repoRoot, 'dist', 'provider-bundle'));
  });

  it("warms V8's code cache during the build, and launches use it without rewriting it", async () => {
    const caches = cachesIn(dir);
    expect(caches).to.have.length(1);
    expect(caches[0]).to.include(process.version);
    const cacheFile = join(dir, caches[0] as string);
    const before = statSync(cacheFile).mtimeMs;
    // The launch idles past the provider's cache-saving moment: a rejected cache would be written again.
    const handshake = parseHandshakeLine(await launch(bundle.loaderFile, 600));
    expect(handshake.appVersion).to.equal(6);
    expect(handshake.serverCertDer).to.be.instanceOf(Buffer);
    expect(statSync(cacheFile).mtimeMs).to.equal(before);
  });

  it('stores a code cache on the first launch when there is none', async () => {
    for (const name of cachesIn(dir)) rmSync(join(dir, name));
    parseHandshakeLine(await launch(bundle.loaderFile, 600));
    expect(cachesIn(dir)).to.have.length(1);
  });

  it('answers its handshake without loading the built-ins it defers (zlib, dns)', async () => {
    // Preloaded: records node's list of loaded built-ins when the handshake line is written.
    const loadedFile = join(dir, 'loaded-at-handshake.json');
    const preload = join(dir, 'record-loaded.cjs');
    writeFileSync(
      preload,
      `const { writeFileSync } = require('node:fs');
      const write = process.stdout.write.bind(process.stdout);
      process.stdout.write = (chunk, ...rest) => {
        writeFileSync(${JSON.stringify(loadedFile)}, JSON.stringify(process.moduleLoadList));
        process.stdout.write = write;
        return write(chunk, ...rest);
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
    expect(cachesIn(dir)).to.have.length(1).and.not.include(stale);
  });
});
