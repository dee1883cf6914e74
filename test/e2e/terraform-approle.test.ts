/**
 * `ferry_approle_auth_backend_role` through the real terraform binary, against a primary and a
 * secondary: create on the primary → the role logs in on the secondary → import-verify → update → destroy.
 */
import { expect } from 'chai';
import { startDevServer, waitFor, type ServerHandle } from '../helpers/test-cluster.js';
import { requireTerraform, TerraformWorkdir } from '../provider/helpers/terraform-cli.js';

const config = (tokenTtl: number) => `
terraform {
  required_providers {
    ferry = { source = "ferry-project/ferry" }
  }
}

variable "primary_addr" { type = string }

provider "ferry" {
  address = var.primary_addr
  token   = "TF-APPROLE-ROOT"
}

resource "ferry_auth_backend" "approle" {
  path = "approle"
  type = "approle"
}

resource "ferry_policy" "reader" {
  name   = "app-reader"
  policy = "path \\"secret/data/app/*\\" {\\n  capabilities = [\\"read\\"]\\n}\\n"
}

resource "ferry_approle_auth_backend_role" "web" {
  backend        = ferry_auth_backend.approle.path
  role_name      = "web"
  role_id        = "web-role-id"
  token_policies = [ferry_policy.reader.name]
  token_ttl      = ${tokenTtl}
  token_max_ttl  = 3600
  secret_id_ttl  = 600
}
`;

describe('terraform: ferry_approle_auth_backend_role', function () {
  this.timeout(600_000);
  let primary: ServerHandle;
  let secondary: ServerHandle;
  let work: TerraformWorkdir;

  before(async () => {
    requireTerraform();
    [primary, secondary] = await Promise.all([startDevServer({ rootTokenId: 'TF-APPROLE-ROOT' }), startDevServer({ rootTokenId: 'TF-APPROLE-ROOT' })]);
    expect((await primary.request('POST', 'sys/replication/primary/enable')).status).to.equal(200);
    const activation = await primary.request('POST', 'sys/replication/primary/secondary-token', { body: { id: 'tf-west' } });
    expect((await secondary.request('POST', 'sys/replication/secondary/enable', { body: { token: activation.body.wrap_info.token } })).status).to.equal(200);
    work = new TerraformWorkdir();
    work.write('main.tf', config(1200));
    work.write('terraform.tfvars', `primary_addr = "${primary.addr}"\n`);
  });
  after(async () => {
    work?.remove();
    await Promise.all([primary?.stop(), secondary?.stop()]);
  });

  it('creates the role on the primary; it logs in on the secondary', async () => {
    await work.expect(['apply', '-auto-approve', '-no-color']);
    const role = await primary.request('GET', 'auth/approle/role/web');
    expect(role.body.data).to.include({ token_ttl: 1200, token_max_ttl: 3600, secret_id_ttl: 600, bind_secret_id: true });
    expect(role.body.data.token_policies).to.deep.equal(['app-reader']);
    const secretId = (await primary.request('POST', 'auth/approle/role/web/secret-id')).body.data.secret_id as string;
    const login = await waitFor(
      async () => {
        const res = await secondary.request('POST', 'auth/approle/login', { token: null, body: { role_id: 'web-role-id', secret_id: secretId } });
        return res.status === 200 ? res.body : undefined;
      },
      { timeoutMs: 30_000, description: 'AppRole login on the secondary' },
    );
    expect(login.auth.policies).to.deep.equal(['app-reader', 'default']);
  });

  it('plans no changes, and imports by auth/<backend>/role/<name> into the same state', async () => {
    await work.expect(['plan', '-detailed-exitcode', '-no-color'], [0]);
    await work.expect(['state', 'rm', 'ferry_approle_auth_backend_role.web']);
    await work.expect(['import', '-no-color', 'ferry_approle_auth_backend_role.web', 'auth/approle/role/web']);
    await work.expect(['plan', '-detailed-exitcode', '-no-color'], [0]);
  });

  it('updates in place and destroys', async () => {
    work.write('main.tf', config(900));
    const plan = await work.run(['plan', '-no-color']);
    expect(plan.stdout).to.match(/1 to change, 0 to destroy/);
    await work.expect(['apply', '-auto-approve', '-no-color']);
    expect((await primary.request('GET', 'auth/approle/role/web')).body.data.token_ttl).to.equal(900);
    await work.expect(['destroy', '-auto-approve', '-no-color']);
    expect((await primary.request('GET', 'auth/approle/role/web')).status).to.equal(404);
  });
});
