/**
 * A packaged release served over loopback HTTPS by a plain static file server (throwaway CA, handed to
 * Terraform as SSL_CERT_FILE): `terraform init` through the network mirror protocol, and through the static
 * provider-registry documents with a `host` service override — the route that checks the SHA256SUMS
 * signature, records every platform's `zh:` hash, and lets `terraform providers lock` (which ignores
 * mirrors; `cdktf deploy` runs it) succeed offline. Needs `npm run build` first.
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { PackagedRelease } from '../../provider/release/package-release.js';
import { startStaticHttpsServer, type StaticHttpsServer } from '../helpers/static-https-server.js';
import { lockedHashes, packageThrowawayRelease, writeCliConfig } from '../helpers/throwaway-release.js';
import { requireTerraform, TerraformWorkdir } from '../provider/helpers/terraform-cli.js';

const thisPlatform = `${process.platform}_${process.arch === 'x64' ? 'amd64' : process.arch}`;
const config = 'terraform {\n  required_providers {\n    ferry = {\n      source  = "ferry-project/ferry"\n      version = "~> 0.1"\n    }\n  }\n}\n';

/** A CLI configuration that resolves registry.terraform.io's provider registry to `servicesUrl`. */
function registryOverride(servicesUrl: string): string {
  return ['host "registry.terraform.io" {', '  services = {', `    "providers.v1" = ${JSON.stringify(servicesUrl)}`, '  }', '}', ''].join('\n');
}

describe('provider release served over HTTPS: network mirror and static registry documents', function () {
  this.timeout(180_000);
  let work: TerraformWorkdir;
  let release: PackagedRelease;
  let server: StaticHttpsServer;
  const freshDir = (name: string): string => {
    const dir = join(work.dir, name);
    mkdirSync(dir);
    writeFileSync(join(dir, 'main.tf'), config);
    return dir;
  };
  const tf = (dir: string, args: string[], cliConfig: string, codes = [0]) =>
    work.expect([`-chdir=${dir}`, ...args], codes, { TF_CLI_CONFIG_FILE: cliConfig, SSL_CERT_FILE: server.caFile });

  before(async () => {
    requireTerraform();
    work = new TerraformWorkdir('ferry-netmirror-');
    release = await packageThrowawayRelease(join(work.dir, 'releases'));
    server = await startStaticHttpsServer(release.dir, join(work.dir, 'ca.pem'));
  });

  after(async () => {
    await server?.close();
    work?.remove();
  });

  it('terraform init installs through the network mirror protocol (static index.json and VERSION.json) and records the packaged h1:', async () => {
    const cli = writeCliConfig(
      work.dir,
      'network-mirror.tfrc',
      [
        'provider_installation {',
        '  network_mirror {',
        `    url     = ${JSON.stringify(`${server.url}mirror/`)}`,
        '    include = ["registry.terraform.io/ferry-project/ferry"]',
        '  }',
        '  direct {',
        '    exclude = ["registry.terraform.io/ferry-project/ferry"]',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
    const dir = freshDir('network-mirror');
    server.requests.length = 0;
    await tf(dir, ['init', '-no-color'], cli);
    const mine = release.archives.find((a) => `${a.platform.os}_${a.platform.arch}` === thisPlatform)!;
    expect(lockedHashes(join(dir, '.terraform.lock.hcl'))).to.deep.equal([mine.h1]);
    const base = '/mirror/registry.terraform.io/ferry-project/ferry';
    expect(server.requests).to.include.members([`${base}/index.json`, `${base}/${release.version}.json`, `${base}/${mine.fileName}`]);
  });

  it("installs through the static registry documents: checks the signature, records every platform's zh:", async () => {
    const cli = writeCliConfig(work.dir, 'registry.tfrc', registryOverride(`${server.url}registry/v1/providers/`));
    const dir = freshDir('registry');
    const init = await tf(dir, ['init', '-no-color'], cli);
    const keyId = init.stdout.match(/self-signed, key ID ([0-9A-F]+)/)?.[1];
    const published = JSON.parse(
      readFileSync(join(release.registryDir, 'v1', 'providers', 'ferry-project', 'ferry', release.version, 'download', 'linux', 'amd64'), 'utf8'),
    );
    expect(keyId, init.stdout).to.equal(published.signing_keys.gpg_public_keys[0].key_id);
    const mine = release.archives.find((a) => `${a.platform.os}_${a.platform.arch}` === thisPlatform)!;
    const hashes = lockedHashes(join(dir, '.terraform.lock.hcl'));
    expect(hashes).to.include(mine.h1);
    expect(hashes).to.include.members(release.archives.map((a) => a.zh));
  });

  it('lets `terraform providers lock -platform=linux_amd64` (what cdktf deploy runs) work offline', async () => {
    const cli = writeCliConfig(work.dir, 'registry-lock.tfrc', registryOverride(`${server.url}registry/v1/providers/`));
    const dir = freshDir('registry-lock');
    await tf(dir, ['providers', 'lock', '-platform=linux_amd64', '-no-color'], cli);
    const linux = release.archives.find((a) => `${a.platform.os}_${a.platform.arch}` === 'linux_amd64')!;
    expect(lockedHashes(join(dir, '.terraform.lock.hcl'))).to.include.members([linux.h1, ...release.archives.map((a) => a.zh)]);
  });

  it('refuses a release whose SHA256SUMS signature does not verify', async () => {
    const forged = join(work.dir, 'forged');
    cpSync(release.dir, forged, { recursive: true });
    const sums = join(forged, `terraform-provider-ferry_${release.version}_SHA256SUMS`);
    writeFileSync(sums, `${'0'.repeat(64)}  extra-file.zip\n`, { flag: 'a' }); // changed after signing
    const forgedServer = await startStaticHttpsServer(forged, join(work.dir, 'forged-ca.pem'));
    try {
      const cli = writeCliConfig(work.dir, 'forged.tfrc', registryOverride(`${forgedServer.url}registry/v1/providers/`));
      const dir = freshDir('forged-install');
      const res = await work.run([`-chdir=${dir}`, 'init', '-no-color'], { TF_CLI_CONFIG_FILE: cli, SSL_CERT_FILE: forgedServer.caFile });
      expect(res.code).to.equal(1);
      expect(res.stderr).to.match(/signature|signing key/i);
    } finally {
      await forgedServer.close();
    }
  });
});
