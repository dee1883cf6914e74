/**
 * The replication topology declared in Terraform, driven by the real `terraform` CLI against two real
 * Ferry dev servers (run `npm run build` first: both the server and the provider run from dist/).
 */
import { expect } from 'chai';
import { startDevServer, waitFor, type ServerHandle } from '../helpers/test-cluster.js';
import { requireTerraform, TerraformWorkdir } from '../provider/helpers/terraform-cli.js';

const topology = (auditFile: string) => `
terraform {
  required_providers {
    ferry = { source = "ferry-project/ferry" }
  }
}

variable "primary_addr" { type = string }
variable "secondary_addr" { type = string }
variable "allow_wipe" {
  type    = bool
  default = false
}

provider "ferry" {
  alias   = "primary"
  address = var.primary_addr
  token   = "ROOT"
}

provider "ferry" {
  alias   = "secondary"
  address = var.secondary_addr
  token   = "ROOT"
}

resource "ferry_replication_primary" "p" {
  provider = ferry.primary
}

resource "ferry_replication_secondary_token" "t" {
  provider     = ferry.primary
  secondary_id = "east"
  depends_on   = [ferry_replication_primary.p]
}

resource "ferry_replication_secondary" "s" {
  provider   = ferry.secondary
  token      = ferry_replication_secondary_token.t.token
  allow_wipe = var.allow_wipe
}

resource "ferry_mount" "local" {
  provider    = ferry.secondary
  path        = "kv-local"
  type        = "kv"
  local       = true
  description = "stays on the secondary"
  depends_on  = [ferry_replication_secondary.s]
}

resource "ferry_mount" "shared" {
  provider                  = ferry.primary
  path                      = "kv-shared"
  type                      = "kv"
  default_lease_ttl_seconds = 3600
  depends_on                = [ferry_replication_primary.p]
}

resource "ferry_generic_secret" "app" {
  provider  = ferry.primary
  path      = "\${ferry_mount.shared.path}/app"
  data_json = jsonencode({ password = "s3cret", user = "app" })
}

resource "ferry_policy" "ops" {
  provider = ferry.primary
  name     = "ops"
  policy   = "path \\"kv-shared/*\\" {\\n  capabilities = [\\"read\\"]\\n}\\n"
}

resource "ferry_auth_backend" "userpass" {
  provider = ferry.primary
  path     = "userpass"
  type     = "userpass"
}

resource "ferry_audit" "file" {
  provider = ferry.primary
  path     = "file"
  type     = "file"
  options  = { file_path = ${JSON.stringify(auditFile)} }
}

data "ferry_replication_status" "secondary" {
  provider   = ferry.secondary
  depends_on = [ferry_replication_secondary.s]
}

output "secondary_mode" {
  value = data.ferry_replication_status.secondary.mode
}
`;

const imports: Array<[string, string]> = [
  ['ferry_replication_primary.p', 'primary'],
  ['ferry_replication_secondary_token.t', 'east'],
  ['ferry_replication_secondary.s', 'secondary'],
  ['ferry_mount.local', 'kv-local'],
  ['ferry_mount.shared', 'kv-shared'],
  ['ferry_generic_secret.app', 'kv-shared/app'],
  ['ferry_policy.ops', 'ops'],
  ['ferry_auth_backend.userpass', 'userpass'],
  ['ferry_audit.file', 'file'],
];

async function replicationMode(server: ServerHandle): Promise<string> {
  const res = await server.request('GET', 'sys/replication/status', { token: null });
  return res.body?.data?.mode;
}

describe('terraform: primary → secondary token → secondary → mounts and a secret (real terraform, two Ferry servers)', function () {
  this.timeout(600_000);
  let primary: ServerHandle;
  let secondary: ServerHandle;
  let work: TerraformWorkdir;

  before(async () => {
    requireTerraform();
    [primary, secondary] = await Promise.all([startDevServer({ rootTokenId: 'ROOT' }), startDevServer({ rootTokenId: 'ROOT' })]);
    work = new TerraformWorkdir();
    work.write('main.tf', topology(`${work.dir}/audit.log`));
    work.write('terraform.tfvars', `primary_addr = "${primary.addr}"\nsecondary_addr = "${secondary.addr}"\n`);
  });

  after(() => work?.remove());

  it('applies the whole topology in one run, warning that activation wipes the secondary', async () => {
    const plan = await work.expect(['plan', '-no-color'], [0]);
    expect(plan.stdout).to.match(/wipes the target cluster/);
    const apply = await work.expect(['apply', '-auto-approve', '-no-color']);
    expect(apply.stdout).to.match(/secondary_mode = "secondary"/);
    expect(await replicationMode(primary)).to.equal('primary');
    expect(await replicationMode(secondary)).to.equal('secondary');
  });

  it('replicates the secret written on the primary to the secondary (read over REST)', async () => {
    const data = await waitFor(
      async () => {
        const res = await secondary.request('GET', 'kv-shared/app');
        return res.status === 200 ? res.body.data : undefined;
      },
      { timeoutMs: 30_000, description: 'kv-shared/app to reach the secondary' },
    );
    expect(data).to.deep.equal({ password: 's3cret', user: 'app' });
    const local = await secondary.request('GET', 'sys/mounts');
    expect(local.body.data?.['kv-local/'] ?? local.body['kv-local/']).to.include({ local: true });
  });

  it('plans no changes right after apply (plan -detailed-exitcode exits 0)', async () => {
    await work.expect(['plan', '-detailed-exitcode', '-no-color'], [0]);
  });

  it('re-imports every resource type with no diff', async () => {
    // One `state rm` for all of them: each import then starts from a state that lacks every other resource
    // too, and the test runs 10 terraform commands instead of 18 (each one launches the provider 3-5 times).
    await work.expect(['state', 'rm', ...imports.map(([address]) => address)]);
    for (const [address, id] of imports) await work.expect(['import', '-no-color', address, id]);
    const plan = await work.run(['plan', '-detailed-exitcode', '-no-color']);
    expect(plan.code, plan.stdout + plan.stderr).to.equal(0);
  });

  it('plans to activate the secondary again after it is disabled out of band, and recovers', async () => {
    const disabled = await secondary.request('POST', 'sys/replication/secondary/disable', { body: {} });
    expect(disabled.status).to.be.lessThan(300);
    await waitFor(async () => (await replicationMode(secondary)) !== 'secondary', { timeoutMs: 30_000 });
    const plan = await work.run(['plan', '-detailed-exitcode', '-no-color']);
    expect(plan.code, plan.stdout + plan.stderr).to.equal(2);
    expect(plan.stdout).to.match(/ferry_replication_secondary\.s will be created|ferry_replication_secondary\.s must be replaced/);
    // The old activation token is spent: mint a new one; the disabled secondary still holds replicated data.
    await work.expect(['apply', '-auto-approve', '-no-color', '-replace=ferry_replication_secondary_token.t', '-var', 'allow_wipe=true']);
    await work.expect(['apply', '-auto-approve', '-no-color', '-var', 'allow_wipe=true']);
    expect(await replicationMode(secondary)).to.equal('secondary');
    await work.expect(['plan', '-detailed-exitcode', '-no-color', '-var', 'allow_wipe=true'], [0]);
  });

  it('destroys everything and leaves both clusters without replication', async () => {
    const destroy = await work.expect(['destroy', '-auto-approve', '-no-color', '-var', 'allow_wipe=true']);
    expect(destroy.stdout).to.match(/Disabling the replication primary/);
    expect(await replicationMode(primary)).to.equal('disabled');
    expect(await replicationMode(secondary)).to.equal('disabled');
  });
});
