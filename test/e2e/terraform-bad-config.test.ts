/**
 * Bad configuration through the real terraform CLI: validation diagnostics for wrong types and unknown
 * attributes; unreachable servers, refused tokens and clusters with data give diagnostics, never hangs.
 */
import { expect } from 'chai';
import { startDevServer, type ServerHandle } from '../helpers/test-cluster.js';
import { requireTerraform, TerraformWorkdir } from '../provider/helpers/terraform-cli.js';

const header = `terraform {
  required_providers {
    ferry = { source = "ferry-project/ferry" }
  }
}
`;

describe('terraform: bad configuration gives diagnostics', function () {
  this.timeout(300_000);
  let server: ServerHandle;
  const dirs: TerraformWorkdir[] = [];
  const workdir = (body: string): TerraformWorkdir => {
    const w = new TerraformWorkdir();
    w.write('main.tf', header + body);
    dirs.push(w);
    return w;
  };

  before(async () => {
    requireTerraform();
    server = await startDevServer({ rootTokenId: 'ROOT' });
  });
  after(() => dirs.forEach((d) => d.remove()));

  it('rejects a wrong attribute type during validation', async () => {
    const w = workdir('resource "ferry_mount" "m" {\n  path  = "x"\n  type  = "kv"\n  local = "maybe"\n}\n');
    const res = await w.run(['validate', '-no-color']);
    expect(res.code).to.equal(1);
    expect(res.stderr).to.match(/Incorrect attribute value type|a bool is required/);
  });

  it('rejects an unknown attribute during validation', async () => {
    const w = workdir('resource "ferry_policy" "p" {\n  name   = "x"\n  policy = "y"\n  bogus  = 1\n}\n');
    const res = await w.run(['validate', '-no-color']);
    expect(res.code).to.equal(1);
    expect(res.stderr)
      .to.match(/Unsupported argument/)
      .and.match(/bogus/);
  });

  it('reports an invalid mount path on the attribute during validation', async () => {
    const w = workdir('resource "ferry_mount" "m" {\n  path = "/kv/"\n  type = "kv"\n}\n');
    const res = await w.run(['validate', '-no-color']);
    expect(res.code).to.equal(1);
    expect(res.stderr)
      .to.match(/Invalid path/)
      .and.match(/path = "\/kv\/"/);
  });

  it('names the address when the server cannot be reached', async () => {
    const w = workdir(
      'provider "ferry" {\n  address = "http://127.0.0.1:1"\n  token = "ROOT"\n}\nresource "ferry_policy" "p" {\n  name   = "x"\n  policy = "path \\"a\\" { capabilities = [\\"read\\"] }"\n}\n',
    );
    const started = Date.now();
    const res = await w.run(['apply', '-auto-approve', '-no-color']);
    expect(res.code).to.equal(1);
    expect(res.stderr)
      .to.include('http://127.0.0.1:1')
      .and.match(/ECONNREFUSED/);
    expect(Date.now() - started).to.be.lessThan(60_000);
  });

  it('says the token was refused when the server answers permission denied', async () => {
    const w = workdir(
      `provider "ferry" {\n  address = "${server.addr}"\n  token = "not-a-token"\n}\nresource "ferry_policy" "p" {\n  name   = "x"\n  policy = "path \\"a\\" { capabilities = [\\"read\\"] }"\n}\n`,
    );
    const res = await w.run(['apply', '-auto-approve', '-no-color']);
    expect(res.code).to.equal(1);
    expect(res.stderr)
      .to.match(/permission denied/)
      .and.match(/token was refused/);
  });

  it('refuses to activate a secondary that holds data unless allow_wipe = true', async () => {
    const mount = await server.request('POST', 'sys/mounts/precious', { body: { type: 'kv' } });
    expect(mount.status).to.be.lessThan(300);
    const w = workdir(
      `provider "ferry" {\n  address = "${server.addr}"\n  token = "ROOT"\n}\nresource "ferry_replication_secondary" "s" {\n  token = "not-used-because-the-check-comes-first"\n}\n`,
    );
    const res = await w.run(['apply', '-auto-approve', '-no-color']);
    expect(res.code).to.equal(1);
    expect(res.stderr)
      .to.match(/Refusing to wipe a cluster that holds data/)
      .and.match(/precious\//);
    const status = await server.request('GET', 'sys/replication/status', { token: null });
    expect(status.body.data.mode).to.equal('disabled');
  });
});
