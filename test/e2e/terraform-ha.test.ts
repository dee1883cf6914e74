/**
 * The provider on any node of an HA cluster, across a failover: terraform applies through a standby
 * (which forwards to the active over the cluster port) while the active is killed mid-apply. The
 * provider retries what the failover interrupted, re-reading before it enables a mount again; the
 * state matches the server, nothing is created twice, and a second plan is empty.
 */
import { expect } from 'chai';
import { startPostgresCluster, type PostgresCluster } from '../helpers/postgres-cluster.js';
import { startSqliteServer, waitFor, type ServerHandle } from '../helpers/test-cluster.js';
import { requireTerraform, TerraformWorkdir } from '../provider/helpers/terraform-cli.js';
import { initializeHaNodes } from '../helpers/ha-nodes.js';

const MOUNTS = 12;
const POLICIES = 12;
const SECRETS = 12;

const config = `
terraform {
  required_providers {
    ferry = { source = "ferry-project/ferry" }
  }
}

variable "address" { type = string }
variable "token" {
  type      = string
  sensitive = true
}

provider "ferry" {
  address = var.address
  token   = var.token
}

resource "ferry_mount" "m" {
  count = ${MOUNTS}
  path  = "m\${count.index}"
  type  = "kv"
}

resource "ferry_policy" "p" {
  count  = ${POLICIES}
  name   = "p\${count.index}"
  policy = "path \\"m\${count.index}/*\\" {\\n  capabilities = [\\"read\\"]\\n}\\n"
}

resource "ferry_generic_secret" "s" {
  count     = ${SECRETS}
  path      = "\${ferry_mount.m[0].path}/s\${count.index}"
  data_json = jsonencode({ value = "v\${count.index}" })
}
`;

describe('terraform: the provider across an HA failover (e2e)', function () {
  this.timeout(600_000);
  let pg: PostgresCluster;
  let nodes: ServerHandle[] = [];
  let work: TerraformWorkdir;

  const healthOf = async (node: ServerHandle): Promise<number> => {
    try {
      return (await node.request('GET', 'sys/health', { token: null })).status;
    } catch {
      return 0;
    }
  };

  before(async () => {
    requireTerraform();
    pg = await startPostgresCluster();
    const db = await pg.createDatabase();
    const storage = `storage "postgresql" {\n  connection_url = "${db.url}"\n  ha_enabled = "true"\n}`;
    nodes = [await startSqliteServer({ storage, initialize: false }), await startSqliteServer({ storage, initialize: false })];
    await initializeHaNodes(nodes, 1, 1);
    work = new TerraformWorkdir();
    work.write('main.tf', config);
  });
  after(async () => {
    work?.remove();
    for (const n of nodes) await n.stop();
    await pg?.stop();
  });

  it('applies through a standby while the active is killed; a re-apply and a second plan change nothing', async () => {
    const active = await waitFor(
      async () => {
        const codes = await Promise.all(nodes.map(healthOf));
        return codes.includes(200) && codes.includes(429) ? nodes[codes.indexOf(200)] : undefined;
      },
      { timeoutMs: 30_000, description: 'one active node and one standby' },
    );
    const standby = nodes.find((n) => n !== active) as ServerHandle;
    work.write('terraform.tfvars', `address = "${standby.addr}"\ntoken = "${standby.rootToken}"\n`);
    const countMounts = async (node: ServerHandle): Promise<number> => {
      const res = await node.request('GET', 'sys/mounts').catch(() => undefined);
      return res?.status === 200 ? Object.keys(res.body.data as object).filter((k) => /^m\d+\/$/.test(k)).length : -1;
    };

    // One resource at a time, so the apply is still going when the active dies.
    const apply = work.run(['apply', '-auto-approve', '-no-color', '-parallelism=1']);
    await waitFor(async () => ((await countMounts(active)) >= 3 ? true : undefined), {
      timeoutMs: 120_000,
      intervalMs: 50,
      description: 'the apply under way',
    });
    const atKill = await countMounts(active);
    await active.kill9();
    const killedAt = Date.now();
    const first = await apply;
    console.log(`      active killed with ${atKill} of ${MOUNTS} mounts created; the apply finished ${Date.now() - killedAt} ms later`);
    expect(first.code, `${first.stdout}\n${first.stderr}`).to.equal(0);
    expect(await healthOf(standby)).to.equal(200);

    const again = await work.expect(['apply', '-auto-approve', '-no-color']);
    expect(again.stdout).to.match(/0 added, 0 changed, 0 destroyed|No changes/);
    const plan = await work.run(['plan', '-detailed-exitcode', '-no-color']);
    expect(plan.code, plan.stdout + plan.stderr).to.equal(0);

    // The state and the server agree, one of each.
    const listed = (await work.expect(['state', 'list'])).stdout.trim().split('\n');
    expect(listed).to.have.length(MOUNTS + POLICIES + SECRETS);
    expect(await countMounts(standby)).to.equal(MOUNTS);
    const policies = (await standby.request('LIST', 'sys/policies/acl')).body.data.keys as string[];
    expect(policies.filter((p) => /^p\d+$/.test(p)).sort()).to.deep.equal(Array.from({ length: POLICIES }, (_, i) => `p${i}`).sort());
    const secrets = (await standby.request('LIST', 'm0')).body.data.keys as string[];
    expect(secrets.sort()).to.deep.equal(Array.from({ length: SECRETS }, (_, i) => `s${i}`).sort());
    for (let i = 0; i < SECRETS; i++) expect((await standby.request('GET', `m0/s${i}`)).body.data).to.deep.equal({ value: `v${i}` });
  });
});
