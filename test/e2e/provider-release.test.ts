/**
 * The provider as users install it: `packageRelease` (what `npm run provider:package` runs, with a throwaway
 * signing key) → a fresh Terraform working directory that installs from the packed filesystem mirror →
 * `.terraform.lock.hcl` → the HCL example (examples/terraform) applied and destroyed against three Ferry dev
 * servers with the packaged provider. The hashes are checked against what the real `terraform` writes.
 * Needs `npm run build` first (servers and the provider bundle run from dist/).
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import * as openpgp from 'openpgp';
import { repoRoot } from '../../provider/paths.js';
import { fileSha256 } from '../../provider/release/provider-hash.js';
import type { PackagedRelease } from '../../provider/release/package-release.js';
import { startDevServer, type ServerHandle } from '../helpers/test-cluster.js';
import { lockedHashes, packageThrowawayRelease, writeCliConfig } from '../helpers/throwaway-release.js';
import { requireTerraform, TerraformWorkdir } from '../provider/helpers/terraform-cli.js';

const platforms = ['darwin_amd64', 'darwin_arm64', 'linux_amd64', 'linux_arm64'];
const thisPlatform = `${process.platform}_${process.arch === 'x64' ? 'amd64' : process.arch}`;

describe('provider release: packaged, installed from the packed filesystem mirror, locked, applied', function () {
  this.timeout(300_000);
  let work: TerraformWorkdir;
  let release: PackagedRelease;
  let mirrorConfig: string;
  const tfIn = (dir: string, args: string[], env: Record<string, string> = {}) =>
    work.expect([`-chdir=${dir}`, ...args], [0], { TF_CLI_CONFIG_FILE: mirrorConfig, ...env });
  const freshDir = (name: string, tf: string): string => {
    const dir = join(work.dir, name);
    mkdirSync(dir);
    writeFileSync(join(dir, 'main.tf'), tf);
    return dir;
  };
  const minimalConfig = 'terraform {\n  required_providers {\n    ferry = {\n      source  = "ferry-project/ferry"\n      version = "~> 0.1"\n    }\n  }\n}\n';

  before(async () => {
    requireTerraform();
    work = new TerraformWorkdir('ferry-release-');
    release = await packageThrowawayRelease(join(work.dir, 'releases'));
    mirrorConfig = writeCliConfig(
      work.dir,
      'mirror.tfrc',
      [
        'provider_installation {',
        '  filesystem_mirror {',
        `    path    = ${JSON.stringify(release.mirrorDir)}`,
        '    include = ["registry.terraform.io/ferry-project/ferry"]',
        '  }',
        '  direct {',
        '    exclude = ["registry.terraform.io/ferry-project/ferry"]',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
  });

  after(() => work?.remove());

  it('packages a zip per platform, SHA256SUMS listing them, a signature that verifies, and the mirror layout', async () => {
    expect(release.archives.map((a) => `${a.platform.os}_${a.platform.arch}`)).to.deep.equal(platforms);
    const sums = readFileSync(release.sha256SumsFile, 'utf8');
    for (const a of release.archives) {
      const zip = readFileSync(join(release.dir, a.fileName));
      expect(a.fileName).to.equal(`terraform-provider-ferry_${release.version}_${a.platform.os}_${a.platform.arch}.zip`);
      expect(sums).to.contain(`${fileSha256(zip)}  ${a.fileName}\n`);
      expect(readFileSync(join(release.mirrorDir, 'registry.terraform.io', 'ferry-project', 'ferry', a.fileName)).equals(zip)).to.equal(true);
    }
    expect(new Set(release.archives.map((a) => a.h1)).size, 'each platform has its own package').to.equal(platforms.length);
    const verified = await openpgp.verify({
      message: await openpgp.createMessage({ binary: new Uint8Array(Buffer.from(sums)) }),
      signature: await openpgp.readSignature({ binarySignature: new Uint8Array(readFileSync(release.signatureFile)) }),
      verificationKeys: await openpgp.readKey({ armoredKey: readFileSync(release.publicKeyFile, 'utf8') }),
    });
    expect(await verified.signatures[0]!.verified).to.equal(true);
    const index = JSON.parse(readFileSync(join(release.mirrorDir, 'registry.terraform.io', 'ferry-project', 'ferry', `${release.version}.json`), 'utf8'));
    expect(Object.keys(index.archives).sort()).to.deep.equal(platforms);
  });

  it('installs into a fresh working directory: terraform init records the h1: it computes, equal to the packaged one', async () => {
    const dir = freshDir('fresh', minimalConfig);
    await tfIn(dir, ['init', '-no-color']);
    const mine = release.archives.find((a) => `${a.platform.os}_${a.platform.arch}` === thisPlatform)!;
    expect(lockedHashes(join(dir, '.terraform.lock.hcl'))).to.deep.equal([mine.h1]);
    // The installed package is the zip's content, the launcher first: stamped for this platform.
    const installed = join(dir, '.terraform', 'providers', 'registry.terraform.io', 'ferry-project', 'ferry', release.version, thisPlatform);
    const launcher = readFileSync(join(installed, `terraform-provider-ferry_v${release.version}`), 'utf8');
    expect(launcher.split('\n')[1]).to.equal(`# terraform-provider-ferry ${release.version}, release package for ${thisPlatform}`);
  });

  it('terraform providers lock -fs-mirror agrees: it records exactly the packaged h1: of every platform', async () => {
    const dir = freshDir('lock', minimalConfig);
    await tfIn(dir, ['providers', 'lock', '-no-color', `-fs-mirror=${release.mirrorDir}`, ...platforms.map((p) => `-platform=${p}`)]);
    expect(lockedHashes(join(dir, '.terraform.lock.hcl'))).to.deep.equal(release.archives.map((a) => a.h1).sort());
  });

  it("terraform init from the release's lock file checks the package against it and keeps every platform's hashes", async () => {
    const dir = freshDir('locked', minimalConfig);
    copyFileSync(release.lockFile, join(dir, '.terraform.lock.hcl'));
    await tfIn(dir, ['init', '-no-color']);
    const all = release.archives.flatMap((a) => [a.h1, a.zh]).sort();
    expect(all).to.have.length(2 * platforms.length);
    expect(lockedHashes(join(dir, '.terraform.lock.hcl'))).to.deep.equal(all);

    // A package that does not match the lock file is refused.
    const tampered = freshDir('tampered', minimalConfig);
    writeFileSync(
      join(tampered, '.terraform.lock.hcl'),
      readFileSync(release.lockFile, 'utf8')
        .replace(/"h1:[^"]+"/g, '"h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="')
        .replace(/"zh:[0-9a-f]+"/g, `"zh:${'0'.repeat(64)}"`),
    );
    const refused = await work.run([`-chdir=${tampered}`, 'init', '-no-color'], { TF_CLI_CONFIG_FILE: mirrorConfig });
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.match(/doesn't match any of the\s+checksums previously recorded/);
  });

  describe('the HCL example (examples/terraform) with the packaged provider', () => {
    const rootToken = `root-${randomBytes(12).toString('hex')}`;
    let servers: ServerHandle[] = [];
    let hclDir: string;
    const cacheHome = () => join(work.dir, 'xdg-cache');

    before(async () => {
      servers = await Promise.all([0, 1, 2].map(() => startDevServer({ rootTokenId: rootToken })));
      const [primary, east, west] = servers as [ServerHandle, ServerHandle, ServerHandle];
      hclDir = join(work.dir, 'hcl');
      cpSync(join(repoRoot, 'examples', 'terraform'), hclDir, { recursive: true, filter: (src) => !/[/\\](\.terraform|terraform\.tfstate)/.test(src) });
      const tfvars = readFileSync(join(hclDir, 'terraform.tfvars.example'), 'utf8')
        .replace('"http://127.0.0.1:8200"', JSON.stringify(primary.addr))
        .replace('"http://127.0.0.1:8300"', JSON.stringify(east.addr))
        .replace('"http://127.0.0.1:8400"', JSON.stringify(west.addr))
        .replace('audit_dir       = "/tmp"', `audit_dir       = ${JSON.stringify(work.dir)}`);
      for (const s of servers) expect(tfvars).to.contain(s.addr);
      writeFileSync(join(hclDir, 'terraform.tfvars'), tfvars);
    });

    after(async () => {
      await Promise.all(servers.map((s) => s.stop()));
    });

    it('applies: primary enabled, both secondaries streaming', async () => {
      copyFileSync(release.lockFile, join(hclDir, '.terraform.lock.hcl'));
      await tfIn(hclDir, ['init', '-no-color']);
      const apply = await tfIn(hclDir, ['apply', '-auto-approve', '-no-color'], { TF_VAR_ferry_token: rootToken, XDG_CACHE_HOME: cacheHome() });
      expect(apply.stdout).to.match(/"east" = "stream-wals"/);
      expect(apply.stdout).to.match(/"west" = "stream-wals"/);
      expect(apply.stdout + apply.stderr).to.not.contain(rootToken);
    });

    it('leaves the installed package exactly as unpacked (the next command still matches the lock file), and destroys', async () => {
      const installed = join(
        hclDir,
        '.terraform',
        'providers',
        'registry.terraform.io',
        'ferry-project',
        'ferry',
        release.version,
        thisPlatform,
        'dist',
        'provider-bundle',
      );
      expect(readdirSync(installed).filter((f) => f.endsWith('.v8cache'))).to.deep.equal([]);
      expect(existsSync(join(installed, 'release.json'))).to.equal(true);
      // V8's code caches went to the user's cache folder instead, one per bundle (the provider bundle and the
      // libraries it loads after the handshake), named for the bundles' content hash.
      const { bundleSha256 } = JSON.parse(readFileSync(join(installed, 'release.json'), 'utf8')) as { bundleSha256: string };
      expect(bundleSha256).to.match(/^[0-9a-f]{64}$/);
      const cached = readdirSync(join(cacheHome(), 'terraform-provider-ferry')).sort();
      expect(cached).to.have.length(2);
      expect(cached[0]).to.match(/^terraform-provider-ferry-vendor\.cjs\./);
      expect(cached[1]).to.match(/^terraform-provider-ferry\.cjs\./);
      for (const name of cached) expect(name).to.contain(bundleSha256.slice(0, 32));
      await tfIn(hclDir, ['destroy', '-auto-approve', '-no-color'], { TF_VAR_ferry_token: rootToken, XDG_CACHE_HOME: cacheHome() });
      expect(readdirSync(join(cacheHome(), 'terraform-provider-ferry'))).to.deep.equal(cached);
      expect((await tfIn(hclDir, ['state', 'list'])).stdout.trim()).to.equal('');
    });
  });
});
