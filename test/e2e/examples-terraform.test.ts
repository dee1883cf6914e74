/**
 * examples/terraform, end to end: the HCL root module (the provider configured for the primary; one
 * `module "secondary"` block with for_each over the `secondaries` map, whose resources reach each secondary
 * through the `cluster` block) applied with the real `terraform` CLI against three Ferry dev servers, the
 * provider installed from a filesystem mirror. Replication is then checked over REST. Needs `npm run build` first (servers and provider run from dist/).
 */
import { randomBytes } from 'node:crypto';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { installFilesystemMirror } from '../../provider/filesystem-mirror.js';
import { repoRoot } from '../../provider/paths.js';
import { startDevServer, waitFor, type ServerHandle } from '../helpers/test-cluster.js';
import { requireTerraform, TerraformWorkdir } from '../provider/helpers/terraform-cli.js';

async function mountPaths(server: ServerHandle): Promise<Record<string, { local?: boolean }>> {
  const res = await server.request('GET', 'sys/mounts');
  expect(res.status, res.text).to.equal(200);
  return res.body.data ?? res.body;
}

async function auditPaths(server: ServerHandle): Promise<string[]> {
  const res = await server.request('GET', 'sys/audit');
  expect(res.status, res.text).to.equal(200);
  return Object.keys(res.body.data ?? res.body);
}

async function replicationMode(server: ServerHandle): Promise<string> {
  return (await server.request('GET', 'sys/replication/status', { token: null })).body?.data?.mode;
}

describe('examples/terraform: HCL with modules/secondary instantiated by for_each, applied with real terraform to three Ferry servers', function () {
  this.timeout(300_000);
  const rootToken = `root-${randomBytes(12).toString('hex')}`;
  let primary: ServerHandle;
  let east: ServerHandle;
  let west: ServerHandle;
  let work: TerraformWorkdir;
  let env: Record<string, string>;
  const tf = (args: string[], codes?: number[]) => work.expect(['-chdir=hcl', ...args], codes, env);

  before(async () => {
    requireTerraform();
    work = new TerraformWorkdir('ferry-hcl-');
    const [servers, mirror] = await Promise.all([
      Promise.all([0, 1, 2].map(() => startDevServer({ rootTokenId: rootToken }))),
      installFilesystemMirror(join(work.dir, 'mirror')),
    ]);
    [primary, east, west] = servers as [ServerHandle, ServerHandle, ServerHandle];
    const hclDir = join(work.dir, 'hcl');
    cpSync(join(repoRoot, 'examples', 'terraform'), hclDir, { recursive: true, filter: (src) => !/[/\\](\.terraform|terraform\.tfstate)/.test(src) });
    // The shipped terraform.tfvars.example (east: one local mount, west: two), pointed at this test's servers.
    const example = readFileSync(join(hclDir, 'terraform.tfvars.example'), 'utf8');
    const tfvars = example
      .replace('"http://127.0.0.1:8200"', JSON.stringify(primary.addr))
      .replace('"http://127.0.0.1:8300"', JSON.stringify(east.addr))
      .replace('"http://127.0.0.1:8400"', JSON.stringify(west.addr))
      .replace('audit_dir       = "/tmp"', `audit_dir       = ${JSON.stringify(work.dir)}`);
    for (const s of [primary, east, west]) expect(tfvars, 'tfvars example rewritten').to.contain(s.addr);
    expect(tfvars).to.contain(work.dir);
    writeFileSync(join(hclDir, 'terraform.tfvars'), tfvars);
    // West already holds data of its own; the example's tfvars sets allow_wipe = true for west only,
    // without which the provider refuses to activate it.
    expect(tfvars).to.match(/west = \{[^}]*allow_wipe\s*=\s*true/);
    const own = await west.request('POST', 'sys/mounts/west-old', { body: { type: 'kv' } });
    expect(own.status, own.text).to.be.lessThan(300);
    env = { TF_CLI_CONFIG_FILE: mirror.cliConfigFile, TF_VAR_ferry_token: rootToken };
  });

  after(() => work?.remove());

  it('declares the secondaries with one for_each module block and one provider configuration, for the primary', () => {
    const main = readFileSync(join(work.dir, 'hcl', 'main.tf'), 'utf8');
    expect(main.match(/^module "/gm)).to.deep.equal(['module "']);
    expect(main).to.match(/module "secondary" \{[^}]*for_each\s*=\s*var\.secondaries/);
    expect(main.match(/^provider "ferry"/gm)).to.have.length(1);
    const module = readFileSync(join(work.dir, 'hcl', 'modules', 'secondary', 'main.tf'), 'utf8');
    expect(module).to.not.match(/provider\s*=|^provider /m);
    expect(module.match(/^\s*cluster \{/gm)).to.have.length(3);
  });

  it('is formatted and valid HCL (terraform fmt -check, validate)', async () => {
    await tf(['fmt', '-check', '-recursive', '-no-color']);
    await tf(['init', '-no-color']);
    await tf(['validate', '-no-color']);
  });

  it('applies the topology: primary enabled, both secondaries streaming', async () => {
    const apply = await tf(['apply', '-auto-approve', '-no-color']);
    expect(apply.stdout).to.match(/"east" = "stream-wals"/);
    expect(apply.stdout).to.match(/"west" = "stream-wals"/);
    expect(apply.stdout + apply.stderr).to.not.contain(rootToken);
    expect(await replicationMode(primary)).to.equal('primary');
    expect(await replicationMode(east)).to.equal('secondary');
    expect(await replicationMode(west)).to.equal('secondary');
    const list = (await tf(['state', 'list'])).stdout;
    expect(list).to.contain('module.secondary["east"].ferry_replication_secondary.this');
    expect(list).to.contain('module.secondary["west"].ferry_mount.local["west-cache"]');
  });

  it('replicates a secret written on the primary to both secondaries, and the policy with it (REST)', async () => {
    const written = await primary.request('POST', 'apps/config', { body: { api_key: 'from-the-primary' } });
    expect(written.status, written.text).to.be.lessThan(300);
    for (const secondary of [east, west]) {
      const data = await waitFor(
        async () => {
          const res = await secondary.request('GET', 'apps/config');
          return res.status === 200 ? res.body.data : undefined;
        },
        { timeoutMs: 30_000, description: `apps/config on ${secondary.addr}` },
      );
      expect(data).to.deep.equal({ api_key: 'from-the-primary' });
      expect((await secondary.request('GET', 'sys/policy/apps-reader')).status).to.equal(200);
    }
  });

  it('has the local mounts and audit device of each secondary only where its map entry declares them', async () => {
    const [p, e, w] = await Promise.all([mountPaths(primary), mountPaths(east), mountPaths(west)]);
    const localOf = (m: Record<string, { local?: boolean }>) =>
      Object.keys(m)
        .filter((k) => m[k]?.local === true)
        .sort();
    const builtIn = localOf(p); // cubbyhole/: local on every cluster
    expect(builtIn).to.not.include.members(['east-local/', 'west-local/', 'west-cache/']);
    expect(localOf(e)).to.deep.equal([...builtIn, 'east-local/'].sort());
    expect(localOf(w)).to.deep.equal([...builtIn, 'west-cache/', 'west-local/'].sort());
    expect(p).to.not.have.any.keys('east-local/', 'west-local/', 'west-cache/');
    expect(w, "activation with allow_wipe deleted west's own mount").to.not.have.property('west-old/');
    for (const m of [p, e, w]) expect(m).to.have.property('apps/');
    expect(await auditPaths(east)).to.deep.equal(['east-audit/']);
    expect(await auditPaths(west)).to.deep.equal(['west-audit/']);
    expect(await auditPaths(primary)).to.deep.equal([]);
    await west.request('GET', 'apps/config');
    await waitFor(() => readFileSync(join(work.dir, 'west-audit.log'), 'utf8').includes('apps/config'), { description: 'the west audit log' });
  });

  it('plans no changes right after apply (plan -detailed-exitcode exits 0)', async () => {
    await tf(['plan', '-detailed-exitcode', '-no-color'], [0]);
  });

  it('destroys cleanly: empty state and replication disabled on all three clusters', async () => {
    await tf(['destroy', '-auto-approve', '-no-color']);
    expect((await tf(['state', 'list'])).stdout.trim()).to.equal('');
    for (const server of [primary, east, west]) expect(await replicationMode(server)).to.equal('disabled');
  });
});
