/**
 * A secondary whose provider starts with the secondary's own token: activation wipes that token, and the
 * provider keeps working by logging in with a userpass user defined on the primary (replicated).
 */
import { expect } from 'chai';
import { startDevServer, type ServerHandle } from '../helpers/test-cluster.js';
import { requireTerraform, TerraformWorkdir } from '../provider/helpers/terraform-cli.js';

const config = `
terraform {
  required_providers {
    ferry = { source = "ferry-project/ferry" }
  }
}

variable "primary_addr" { type = string }
variable "secondary_addr" { type = string }

provider "ferry" {
  alias   = "primary"
  address = var.primary_addr
  token   = "PRIMARY-ROOT"
}

provider "ferry" {
  alias   = "secondary"
  address = var.secondary_addr
  token   = "SECONDARY-ROOT"
  auth_login_userpass {
    username = "terraform"
    password = "correct horse"
  }
}

resource "ferry_replication_primary" "p" {
  provider = ferry.primary
}

resource "ferry_auth_backend" "userpass" {
  provider   = ferry.primary
  path       = "userpass"
  type       = "userpass"
  depends_on = [ferry_replication_primary.p]
}

resource "ferry_policy" "admin" {
  provider = ferry.primary
  name     = "terraform-admin"
  policy   = "path \\"*\\" {\\n  capabilities = [\\"create\\", \\"read\\", \\"update\\", \\"delete\\", \\"list\\", \\"sudo\\"]\\n}\\n"
}

resource "ferry_generic_secret" "user" {
  provider     = ferry.primary
  path         = "auth/\${ferry_auth_backend.userpass.path}/users/terraform"
  data_json    = jsonencode({ password = "correct horse", token_policies = ferry_policy.admin.name })
  disable_read = true
}

resource "ferry_replication_secondary_token" "t" {
  provider     = ferry.primary
  secondary_id = "west"
  depends_on   = [ferry_replication_primary.p]
}

resource "ferry_replication_secondary" "s" {
  provider   = ferry.secondary
  token      = ferry_replication_secondary_token.t.token
  depends_on = [ferry_generic_secret.user]
}

resource "ferry_mount" "local" {
  provider   = ferry.secondary
  path       = "kv-west"
  type       = "kv"
  local      = true
  depends_on = [ferry_replication_secondary.s]
}
`;

describe('terraform: a secondary provider with auth_login_userpass keeps working across activation', function () {
  this.timeout(600_000);
  let primary: ServerHandle;
  let secondary: ServerHandle;
  let work: TerraformWorkdir;

  before(async () => {
    requireTerraform();
    [primary, secondary] = await Promise.all([startDevServer({ rootTokenId: 'PRIMARY-ROOT' }), startDevServer({ rootTokenId: 'SECONDARY-ROOT' })]);
    work = new TerraformWorkdir();
    work.write('main.tf', config);
    work.write('terraform.tfvars', `primary_addr = "${primary.addr}"\nsecondary_addr = "${secondary.addr}"\n`);
  });

  after(() => work?.remove());

  it('activates the secondary and creates a local mount there after its own token is wiped', async () => {
    await work.expect(['apply', '-auto-approve', '-no-color']);
    const ownToken = await secondary.request('GET', 'sys/mounts', { token: 'SECONDARY-ROOT' });
    expect(ownToken.status, "activation should have wiped the secondary's own root token").to.equal(403);
    const login = await secondary.request('POST', 'auth/userpass/login/terraform', { token: null, body: { password: 'correct horse' } });
    const mounts = await secondary.request('GET', 'sys/mounts', { token: login.body.auth.client_token });
    expect(mounts.body.data?.['kv-west/'] ?? mounts.body['kv-west/']).to.include({ local: true });
  });

  it('plans no changes afterwards, and destroys cleanly through the login', async () => {
    await work.expect(['plan', '-detailed-exitcode', '-no-color'], [0]);
    await work.expect(['destroy', '-auto-approve', '-no-color']);
    for (const server of [primary, secondary]) {
      const status = await server.request('GET', 'sys/replication/status', { token: null });
      expect(status.body.data.mode).to.equal('disabled');
    }
  });
});
