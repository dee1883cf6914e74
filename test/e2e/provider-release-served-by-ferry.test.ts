/**
 * Ferry itself serving provider releases (`provider_release_dir`) over its TLS listener, to Terraform: a
 * network mirror install and a registry-protocol install (signature checked) from
 * https://…/terraform/providers/. The static route needs no token and works on a sealed, uninitialized
 * server; it is read-only and keeps to its folder. Needs `npm run build` first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { dirname, join } from 'node:path';
import { expect } from 'chai';
import { repoRoot } from '../../provider/paths.js';
import type { PackagedRelease } from '../../provider/release/package-release.js';
import { ClusterCa } from '../../server/replication/cluster-ca.js';
import { freePort, waitFor } from '../helpers/test-cluster.js';
import { lockedHashes, packageThrowawayRelease, writeCliConfig } from '../helpers/throwaway-release.js';
import { requireTerraform, TerraformWorkdir } from '../provider/helpers/terraform-cli.js';

const thisPlatform = `${process.platform}_${process.arch === 'x64' ? 'amd64' : process.arch}`;
const config = 'terraform {\n  required_providers {\n    ferry = {\n      source  = "ferry-project/ferry"\n      version = "~> 0.1"\n    }\n  }\n}\n';

function httpsCall(url: string, method: string, ca: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method, ca, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.end();
  });
}

describe('Ferry serving provider releases under /terraform/providers/ (provider_release_dir)', function () {
  this.timeout(180_000);
  let work: TerraformWorkdir;
  let release: PackagedRelease;
  let server: ChildProcess | undefined;
  let base: string;
  let caPem: string;
  const caFile = () => join(work.dir, 'ca.pem');
  const freshDir = (name: string): string => {
    const dir = join(work.dir, name);
    mkdirSync(dir);
    writeFileSync(join(dir, 'main.tf'), config);
    return dir;
  };

  before(async () => {
    requireTerraform();
    work = new TerraformWorkdir('ferry-served-');
    release = await packageThrowawayRelease(join(work.dir, 'releases'));
    const ca = await ClusterCa.create('release-mirror-test');
    const cert = await ca.issueServer(['127.0.0.1']);
    caPem = ca.ca.certPem;
    writeFileSync(caFile(), caPem);
    writeFileSync(join(work.dir, 'server.pem'), cert.certPem);
    writeFileSync(join(work.dir, 'server-key.pem'), cert.keyPem);
    const port = await freePort();
    writeFileSync(
      join(work.dir, 'ferry.hcl'),
      [
        'storage "inmem" {}',
        `listener "tcp" {\n  address = "127.0.0.1:${port}"\n  tls_cert_file = "${join(work.dir, 'server.pem')}"\n  tls_key_file = "${join(work.dir, 'server-key.pem')}"\n}`,
        `api_addr = "https://127.0.0.1:${port}"`,
        `cluster_addr = "https://127.0.0.1:${port + 1}"`,
        `provider_release_dir = ${JSON.stringify(dirname(release.dir))}`,
      ].join('\n'),
    );
    server = spawn(process.execPath, ['bin/ferry.js', 'server', `-config=${join(work.dir, 'ferry.hcl')}`], { cwd: repoRoot, stdio: 'ignore' });
    base = `https://127.0.0.1:${port}`;
    await waitFor(async () => (await httpsCall(`${base}/v1/sys/health?uninitcode=200`, 'GET', caPem).catch(() => ({ status: 0 }))).status === 200, {
      timeoutMs: 20_000,
      description: 'TLS server up',
    });
  });

  after(() => {
    server?.kill('SIGKILL');
    work?.remove();
  });

  it('serves the release files with the content types Terraform expects, read-only, and nothing outside the folder', async () => {
    const prefix = `${base}/terraform/providers/${release.version}`;
    const index = await httpsCall(`${prefix}/mirror/registry.terraform.io/ferry-project/ferry/index.json`, 'GET', caPem);
    expect(index).to.include({ status: 200, type: 'application/json' });
    expect(JSON.parse(index.body)).to.deep.equal({ versions: { [release.version]: {} } });
    expect(await httpsCall(`${prefix}/registry/v1/providers/ferry-project/ferry/versions`, 'GET', caPem)).to.include({ status: 200, type: 'application/json' });
    expect((await httpsCall(`${prefix}/${release.archives[0]!.fileName}`, 'HEAD', caPem)).type).to.equal('application/zip');
    for (const path of ['..%2F..%2Fferry.hcl', `${release.version}/..%2F..%2F..%2Fferry.hcl`, `${release.version}/mirror`, 'nothing-here.zip']) {
      const res = await httpsCall(`${base}/terraform/providers/${path}`, 'GET', caPem);
      expect(res.status, path).to.equal(404);
      expect(JSON.parse(res.body)).to.deep.equal({ errors: [] });
    }
    const put = await httpsCall(`${prefix}/terraform.lock.hcl`, 'PUT', caPem);
    expect(put.status).to.equal(405);
  });

  it('terraform init installs through Ferry as a network mirror, and through its registry documents', async () => {
    const env = (cli: string) => ({ TF_CLI_CONFIG_FILE: cli, SSL_CERT_FILE: caFile() });
    const mirror = writeCliConfig(
      work.dir,
      'mirror.tfrc',
      [
        'provider_installation {',
        '  network_mirror {',
        `    url     = ${JSON.stringify(`${base}/terraform/providers/${release.version}/mirror/`)}`,
        '    include = ["registry.terraform.io/ferry-project/ferry"]',
        '  }',
        '  direct {',
        '    exclude = ["registry.terraform.io/ferry-project/ferry"]',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
    const viaMirror = freshDir('via-mirror');
    await work.expect([`-chdir=${viaMirror}`, 'init', '-no-color'], [0], env(mirror));
    const mine = release.archives.find((a) => `${a.platform.os}_${a.platform.arch}` === thisPlatform)!;
    expect(lockedHashes(join(viaMirror, '.terraform.lock.hcl'))).to.deep.equal([mine.h1]);

    const registry = writeCliConfig(
      work.dir,
      'registry.tfrc',
      `host "registry.terraform.io" {\n  services = {\n    "providers.v1" = ${JSON.stringify(`${base}/terraform/providers/${release.version}/registry/v1/providers/`)}\n  }\n}\n`,
    );
    const viaRegistry = freshDir('via-registry');
    const init = await work.expect([`-chdir=${viaRegistry}`, 'init', '-no-color'], [0], env(registry));
    expect(init.stdout).to.match(/self-signed, key ID/);
    expect(lockedHashes(join(viaRegistry, '.terraform.lock.hcl'))).to.include.members([mine.h1, ...release.archives.map((a) => a.zh)]);
  });
});
