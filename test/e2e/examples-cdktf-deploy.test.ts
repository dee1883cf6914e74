/**
 * `cdktf deploy --auto-approve` and `cdktf destroy --auto-approve` (cdktf-cli 0.21.0, a devDependency) of
 * examples/cdktf/replication-topology, typed as a user would — no --skip-provider-lock. cdktf runs
 * `terraform init` and then `terraform providers lock -platform=linux_amd64`, which ignores mirrors and asks
 * the provider's origin registry; here the release's static registry documents answer for it, served over
 * loopback HTTPS and named by a `host "registry.terraform.io"` block in TF_CLI_CONFIG_FILE, as the provider
 * README documents. Three Ferry dev servers; replication checked over REST. Needs `npm run build` first.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { repoRoot } from '../../provider/paths.js';
import type { PackagedRelease } from '../../provider/release/package-release.js';
import { startStaticHttpsServer, type StaticHttpsServer } from '../helpers/static-https-server.js';
import { startDevServer, type ServerHandle } from '../helpers/test-cluster.js';
import { lockedHashes, packageThrowawayRelease, writeCliConfig } from '../helpers/throwaway-release.js';
import { requireTerraform, TerraformWorkdir } from '../provider/helpers/terraform-cli.js';

const cdktfBin = join(repoRoot, 'node_modules', '.bin', 'cdktf');

/** Runs the cdktf CLI in `cwd`; resolves with its exit code and combined output. */
function cdktf(args: string[], cwd: string, env: Record<string, string>, timeoutMs = 240_000): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cdktfBin, args, { cwd, env: { ...process.env, CHECKPOINT_DISABLE: '1', CI: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

async function replicationMode(server: ServerHandle): Promise<string> {
  return (await server.request('GET', 'sys/replication/status', { token: null })).body?.data?.mode;
}

describe('examples/cdktf: cdktf deploy / destroy --auto-approve with cdktf-cli 0.21.0, the provider from a served release', function () {
  this.timeout(600_000);
  const rootToken = `root-${randomBytes(12).toString('hex')}`;
  let work: TerraformWorkdir;
  let release: PackagedRelease;
  let registry: StaticHttpsServer;
  let servers: ServerHandle[] = [];
  let appDir: string;
  let env: Record<string, string>;

  before(async () => {
    requireTerraform();
    expect(existsSync(cdktfBin), 'cdktf-cli is a devDependency: run npm ci').to.equal(true);
    work = new TerraformWorkdir('ferry-cdktf-deploy-');
    release = await packageThrowawayRelease(join(work.dir, 'releases'));
    [registry, servers] = await Promise.all([
      startStaticHttpsServer(release.dir, join(work.dir, 'ca.pem')),
      Promise.all([0, 1, 2, 3].map(() => startDevServer({ rootTokenId: rootToken }))),
    ]);
    // A copy of the example in the repository's shape (its imports reach ../../../provider/bindings), so that
    // cdktf.out/ and the local state cdktf writes beside cdktf.json stay out of the checkout.
    const root = join(work.dir, 'checkout');
    mkdirSync(join(root, 'examples'), { recursive: true });
    cpSync(join(repoRoot, 'examples', 'cdktf'), join(root, 'examples', 'cdktf'), { recursive: true, filter: (src) => !/cdktf\.out|\.tfstate/.test(src) });
    symlinkSync(join(repoRoot, 'provider'), join(root, 'provider'));
    symlinkSync(join(repoRoot, 'node_modules'), join(root, 'node_modules'));
    appDir = join(root, 'examples', 'cdktf', 'replication-topology');
    const [primary, east, west, dr] = servers as [ServerHandle, ServerHandle, ServerHandle, ServerHandle];
    env = {
      TF_CLI_CONFIG_FILE: writeCliConfig(
        work.dir,
        'terraform.rc',
        [
          'host "registry.terraform.io" {',
          '  services = {',
          `    "providers.v1" = ${JSON.stringify(`${registry.url}registry/v1/providers/`)}`,
          '  }',
          '}',
          '',
        ].join('\n'),
      ),
      SSL_CERT_FILE: registry.caFile,
      TF_VAR_ferry_token: rootToken,
      TF_VAR_primary_address: primary.addr,
      TF_VAR_east_address: east.addr,
      TF_VAR_west_address: west.addr,
      TF_VAR_dr_address: dr.addr,
      TF_VAR_audit_dir: work.dir,
    };
  });

  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await registry?.close();
    work?.remove();
  });

  it('cdktf deploy --auto-approve: synthesizes, inits, locks the provider, applies; both secondaries stream', async () => {
    const deploy = await cdktf(['deploy', '--auto-approve'], appDir, env);
    expect(deploy.code, deploy.output).to.equal(0);
    expect(deploy.output).to.not.contain(rootToken);
    expect(await replicationMode(servers[0]!)).to.equal('primary');
    expect(await replicationMode(servers[1]!)).to.equal('secondary');
    expect(await replicationMode(servers[2]!)).to.equal('secondary');
    for (const s of servers.slice(1, 3)) {
      const status = await s.request('GET', 'sys/replication/status', { token: null });
      expect(status.body?.data?.state).to.equal('stream-wals');
    }
    const drStatus = await servers[3]!.request('GET', 'sys/replication/dr/status', { token: null });
    expect(drStatus.body?.data).to.include({ mode: 'secondary', state: 'stream-wals' });
    // `providers lock -platform=linux_amd64` went through the release's registry documents.
    const lock = join(appDir, 'cdktf.out', 'stacks', 'ferry-replication', '.terraform.lock.hcl');
    const linux = release.archives.find((a) => `${a.platform.os}_${a.platform.arch}` === 'linux_amd64')!;
    expect(lockedHashes(lock)).to.include.members([linux.h1, ...release.archives.map((a) => a.zh)]);
    // Asked twice: once by `terraform init`, once by `terraform providers lock` (which ignores mirrors).
    expect(registry.requests.filter((p) => p.endsWith('/download/linux/amd64')).length).to.be.at.least(2);
  });

  it('cdktf destroy --auto-approve: replication disabled on the primary and both performance secondaries', async () => {
    const destroy = await cdktf(['destroy', '--auto-approve'], appDir, env);
    expect(destroy.code, destroy.output).to.equal(0);
    for (const s of servers.slice(0, 3)) expect(await replicationMode(s)).to.equal('disabled');
  });
});
