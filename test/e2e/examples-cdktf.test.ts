/**
 * examples/cdktf/replication-topology, end to end: the app is synthesized with cdktf 0.21 (tsx, as its
 * cdktf.json does), and the synthesized stack is applied with the real `terraform` CLI against four
 * Ferry dev servers — one primary, two performance secondaries (west behind a paths filter), one DR
 * secondary — with the provider installed from a filesystem
 * mirror (`terraform init`, as `npm run provider:install` documents). Replication is then checked over
 * REST. Needs `npm run build` first (servers and provider run from dist/).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { installFilesystemMirror } from '../../provider/filesystem-mirror.js';
import { repoRoot } from '../../provider/paths.js';
import { startDevServer, waitFor, type ServerHandle } from '../helpers/test-cluster.js';
import { requireTerraform, TerraformWorkdir } from '../provider/helpers/terraform-cli.js';

const STACK = 'ferry-replication';
const SECONDARIES = ['east', 'west'] as const;

/** Runs the example app with tsx (CommonJS, as examples/cdktf/package.json declares); resolves with its output. */
function synthesize(outDir: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'main.ts'], {
      cwd: join(repoRoot, 'examples', 'cdktf', 'replication-topology'),
      env: { ...process.env, CDKTF_OUTDIR: outDir, CHECKPOINT_DISABLE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(output) : reject(new Error(`synth exited ${code}\n${output}`))));
  });
}

async function mounts(server: ServerHandle): Promise<Record<string, { local?: boolean }>> {
  const res = await server.request('GET', 'sys/mounts');
  expect(res.status, res.text).to.equal(200);
  return res.body.data ?? res.body;
}

async function auditDevices(server: ServerHandle): Promise<Record<string, { local?: boolean }>> {
  const res = await server.request('GET', 'sys/audit');
  expect(res.status, res.text).to.equal(200);
  return res.body.data ?? res.body;
}

async function replicationMode(server: ServerHandle): Promise<string> {
  return (await server.request('GET', 'sys/replication/status', { token: null })).body?.data?.mode;
}

async function drMode(server: ServerHandle): Promise<string> {
  return (await server.request('GET', 'sys/replication/dr/status', { token: null })).body?.data?.mode;
}

describe('examples/cdktf/replication-topology: synthesized with cdktf 0.21, applied with real terraform to four Ferry servers', function () {
  this.timeout(300_000);
  const rootToken = `root-${randomBytes(12).toString('hex')}`;
  let primary: ServerHandle;
  let east: ServerHandle;
  let west: ServerHandle;
  let dr: ServerHandle;
  let work: TerraformWorkdir;
  let stackFile: string;
  let env: Record<string, string>;
  const tf = (args: string[], codes?: number[]) => work.expect([`-chdir=stacks/${STACK}`, ...args], codes, env);

  before(async () => {
    requireTerraform();
    work = new TerraformWorkdir('ferry-cdktf-');
    const [servers, mirror] = await Promise.all([
      Promise.all([0, 1, 2, 3].map(() => startDevServer({ rootTokenId: rootToken }))),
      installFilesystemMirror(join(work.dir, 'mirror')),
    ]);
    [primary, east, west, dr] = servers as [ServerHandle, ServerHandle, ServerHandle, ServerHandle];
    env = {
      TF_CLI_CONFIG_FILE: mirror.cliConfigFile,
      TF_VAR_ferry_token: rootToken,
      TF_VAR_primary_address: primary.addr,
      TF_VAR_east_address: east.addr,
      TF_VAR_west_address: west.addr,
      TF_VAR_dr_address: dr.addr,
      TF_VAR_audit_dir: work.dir,
    };
  });

  after(() => work?.remove());

  it('synthesizes one stack with a provider alias per cluster and tokens passed by reference', async () => {
    await synthesize(work.dir);
    stackFile = join(work.dir, 'stacks', STACK, 'cdk.tf.json');
    const stack = JSON.parse(readFileSync(stackFile, 'utf8'));
    expect(stack.terraform.required_providers.ferry).to.deep.equal({ source: 'registry.terraform.io/ferry-project/ferry', version: '~> 0.1' });
    expect(stack.provider.ferry.map((p: { alias: string }) => p.alias)).to.deep.equal(['primary', 'east', 'west', 'dr']);
    for (const p of stack.provider.ferry) expect(p.token).to.equal('${var.ferry_token}');
    expect(stack.variable.ferry_token.sensitive).to.equal(true);
    for (const name of SECONDARIES) {
      expect(stack.resource.ferry_replication_secondary[`${name}_secondary`]).to.include({
        provider: `ferry.${name}`,
        token: `\${ferry_replication_secondary_token.${name}_activation_token.token}`,
      });
      expect(stack.resource.ferry_mount[`${name}_local_mount`]).to.include({ provider: `ferry.${name}`, local: true });
      expect(stack.resource.ferry_audit[`${name}_local_audit`]).to.include({ provider: `ferry.${name}`, local: true });
    }
    expect(stack.resource.ferry_mount.apps).to.include({ provider: 'ferry.primary', path: 'apps' });
    expect(stack.resource.ferry_mount.apps).to.not.have.property('local');
    expect(stack.resource.ferry_policy.apps_reader).to.include({ provider: 'ferry.primary', name: 'apps-reader' });
    // west's paths filter lives on the primary and is written before west is activated.
    expect(stack.resource.ferry_replication_paths_filter.west_paths_filter).to.deep.include({
      provider: 'ferry.primary',
      secondary_id: '${ferry_replication_secondary_token.west_activation_token.secondary_id}',
      mode: 'deny',
      paths: ['secret-eu/'],
    });
    expect(stack.resource.ferry_replication_secondary.west_secondary.depends_on).to.deep.equal(['ferry_replication_paths_filter.west_paths_filter']);
    expect(stack.resource.ferry_replication_paths_filter).to.not.have.property('east_paths_filter');
    expect(stack.resource.ferry_dr_primary.dr_primary).to.include({ provider: 'ferry.primary' });
    expect(stack.resource.ferry_dr_secondary.dr_dr_secondary).to.include({
      provider: 'ferry.dr',
      token: '${ferry_dr_secondary_token.dr_dr_activation_token.token}',
    });
  });

  it('initializes from the filesystem mirror and applies: primary enabled, both secondaries streaming', async () => {
    await tf(['init', '-no-color']);
    const apply = await tf(['apply', '-auto-approve', '-no-color']);
    expect(apply.stdout).to.match(/east_state = "stream-wals"/);
    expect(apply.stdout).to.match(/west_state = "stream-wals"/);
    expect(apply.stdout).to.match(/dr_dr_state = "stream-wals"/);
    expect(apply.stdout + apply.stderr).to.not.contain(rootToken);
    expect(await replicationMode(primary)).to.equal('primary');
    expect(await replicationMode(east)).to.equal('secondary');
    expect(await replicationMode(west)).to.equal('secondary');
    expect(await drMode(primary)).to.equal('primary');
    expect(await drMode(dr)).to.equal('secondary');
  });

  it('keeps every secret out of cdk.tf.json: no root token, no activation token (they live only in state)', async () => {
    const synthesized = readFileSync(stackFile, 'utf8');
    const state = JSON.parse((await tf(['show', '-json', '-no-color'])).stdout);
    const activationTokens: string[] = state.values.root_module.resources
      .filter((r: { type: string }) => r.type === 'ferry_replication_secondary_token' || r.type === 'ferry_dr_secondary_token')
      .map((r: { values: { token: string } }) => r.values.token);
    expect(activationTokens).to.have.length(3);
    for (const secret of [rootToken, ...activationTokens]) {
      expect(secret).to.have.length.greaterThan(20);
      expect(synthesized.includes(secret), 'a secret in cdk.tf.json').to.equal(false);
    }
    expect(synthesized).to.not.match(/eyJ[A-Za-z0-9_-]{10,}/); // no JWT of any kind
  });

  it('replicates a secret written on the primary to both secondaries, and the policy with it (REST)', async () => {
    const written = await primary.request('POST', 'apps/config', { body: { db_password: 'hunter2-from-primary' } });
    expect(written.status, written.text).to.be.lessThan(300);
    for (const secondary of [east, west]) {
      const data = await waitFor(
        async () => {
          const res = await secondary.request('GET', 'apps/config');
          return res.status === 200 ? res.body.data : undefined;
        },
        { timeoutMs: 30_000, description: `apps/config on ${secondary.addr}` },
      );
      expect(data).to.deep.equal({ db_password: 'hunter2-from-primary' });
      expect((await secondary.request('GET', 'sys/policy/apps-reader')).status).to.equal(200);
    }
  });

  it('keeps secret-eu/ from west (its paths filter) while east receives it', async () => {
    expect((await primary.request('POST', 'sys/mounts/secret-eu', { body: { type: 'kv' } })).status).to.be.lessThan(300);
    expect((await primary.request('POST', 'secret-eu/customer', { body: { region: 'eu' } })).status).to.be.lessThan(300);
    // A later write to a replicated mount: once west has it, west has applied everything before it.
    expect((await primary.request('POST', 'apps/after-eu', { body: { n: '1' } })).status).to.be.lessThan(300);
    await waitFor(async () => (await east.request('GET', 'secret-eu/customer')).status === 200, {
      timeoutMs: 30_000,
      description: 'secret-eu/customer on east',
    });
    await waitFor(async () => (await west.request('GET', 'apps/after-eu')).status === 200, { timeoutMs: 30_000, description: 'apps/after-eu on west' });
    expect((await west.request('GET', 'secret-eu/customer')).status).to.not.equal(200);
  });

  it('has each local mount and audit device only on the secondary that declares it', async () => {
    const [p, e, w] = await Promise.all([mounts(primary), mounts(east), mounts(west)]);
    expect(e).to.have.property('east-local/').that.includes({ local: true });
    expect(e).to.not.have.property('west-local/');
    expect(w).to.have.property('west-local/').that.includes({ local: true });
    expect(w).to.not.have.property('east-local/');
    expect(p).to.not.have.any.keys('east-local/', 'west-local/');
    for (const m of [p, e, w]) expect(m).to.have.property('apps/');
    const [pa, ea, wa] = await Promise.all([auditDevices(primary), auditDevices(east), auditDevices(west)]);
    expect(Object.keys(ea)).to.deep.equal(['east-audit/']);
    expect(Object.keys(wa)).to.deep.equal(['west-audit/']);
    expect(Object.keys(pa)).to.deep.equal([]);
    await east.request('GET', 'apps/config');
    await waitFor(() => readFileSync(join(work.dir, 'east-audit.log'), 'utf8').includes('apps/config'), { description: 'the east audit log' });
  });

  it('plans no changes right after apply (plan -detailed-exitcode exits 0)', async () => {
    await tf(['plan', '-detailed-exitcode', '-no-color'], [0]);
  });

  it('destroys cleanly: empty state, replication disabled on the primary and both secondaries; the DR secondary, without a DR operation token, is only forgotten (the plan says so)', async () => {
    const destroy = await tf(['destroy', '-auto-approve', '-no-color']);
    expect(destroy.stdout + destroy.stderr).to.contain('The DR secondary stays a DR secondary');
    expect((await tf(['state', 'list'])).stdout.trim()).to.equal('');
    for (const server of [primary, east, west]) expect(await replicationMode(server)).to.equal('disabled');
    expect(await drMode(primary)).to.equal('disabled');
    expect(await drMode(dr)).to.equal('secondary');
  });
});
