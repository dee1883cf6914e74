/**
 * `ferry_transit_secret_backend_key` through the real terraform binary: create → plan clean →
 * import-verify → update in place → replace on a fixed attribute → destroy.
 */
import { expect } from 'chai';
import { startDevServer, type ServerHandle } from '../helpers/test-cluster.js';
import { requireTerraform, TerraformWorkdir } from '../provider/helpers/terraform-cli.js';

const config = (settings: { type: string; minDecryption: number; exportable: boolean }) => `
terraform {
  required_providers {
    ferry = { source = "ferry-project/ferry" }
  }
}

variable "addr" { type = string }

provider "ferry" {
  address = var.addr
  token   = "TRANSIT-ROOT"
}

resource "ferry_mount" "transit" {
  path = "transit"
  type = "transit"
}

resource "ferry_transit_secret_backend_key" "orders" {
  backend                = ferry_mount.transit.path
  name                   = "orders"
  type                   = "${settings.type}"
  min_decryption_version = ${settings.minDecryption}
  exportable             = ${settings.exportable}
  deletion_allowed       = true
}

output "latest_version" {
  value = ferry_transit_secret_backend_key.orders.latest_version
}
`;

describe('terraform: ferry_transit_secret_backend_key', function () {
  this.timeout(600_000);
  let server: ServerHandle;
  let work: TerraformWorkdir;
  const key = async () => (await server.request('GET', 'transit/keys/orders')).body?.data as Record<string, any> | undefined;

  before(async () => {
    requireTerraform();
    server = await startDevServer({ rootTokenId: 'TRANSIT-ROOT' });
    work = new TerraformWorkdir();
    work.write('terraform.tfvars', `addr = "${server.addr}"\n`);
  });

  after(async () => {
    work?.remove();
    await server?.stop();
  });

  it('creates the key with its settings and then plans no changes', async () => {
    work.write('main.tf', config({ type: 'aes256-gcm96', minDecryption: 1, exportable: false }));
    const apply = await work.expect(['apply', '-auto-approve', '-no-color']);
    expect(apply.stdout).to.match(/latest_version = 1/);
    expect(await key()).to.include({ type: 'aes256-gcm96', deletion_allowed: true, exportable: false, min_decryption_version: 1 });
    await work.expect(['plan', '-detailed-exitcode', '-no-color'], [0]);
  });

  it('imports by <backend>/keys/<name> with no diff, and refuses a malformed ID', async () => {
    await work.expect(['state', 'rm', 'ferry_transit_secret_backend_key.orders']);
    const bad = await work.run(['import', '-no-color', 'ferry_transit_secret_backend_key.orders', 'orders']);
    expect(bad.code).to.equal(1);
    expect(bad.stderr + bad.stdout).to.include('Invalid import ID');
    await work.expect(['import', '-no-color', 'ferry_transit_secret_backend_key.orders', 'transit/keys/orders']);
    await work.expect(['plan', '-detailed-exitcode', '-no-color'], [0]);
  });

  it('updates settings in place, keeping versions rotated outside terraform', async () => {
    for (let i = 0; i < 2; i++) expect((await server.request('POST', 'transit/keys/orders/rotate')).status).to.equal(200);
    const ciphertext = (await server.request('POST', 'transit/encrypt/orders', { body: { plaintext: Buffer.from('kept').toString('base64') } })).body.data
      .ciphertext;
    work.write('main.tf', config({ type: 'aes256-gcm96', minDecryption: 3, exportable: true }));
    const apply = await work.expect(['apply', '-auto-approve', '-no-color']);
    expect(apply.stdout).to.match(/1 changed, 0 destroyed/);
    expect(await key()).to.include({ latest_version: 3, min_decryption_version: 3, exportable: true });
    const dec = await server.request('POST', 'transit/decrypt/orders', { body: { ciphertext } });
    expect(Buffer.from(dec.body.data.plaintext, 'base64').toString()).to.equal('kept');
    await work.expect(['plan', '-detailed-exitcode', '-no-color'], [0]);
  });

  it('reports a refused setting as a diagnostic naming the server message', async () => {
    work.write('main.tf', config({ type: 'aes256-gcm96', minDecryption: 9, exportable: true }));
    const res = await work.run(['apply', '-auto-approve', '-no-color']);
    expect(res.code).to.equal(1);
    expect(res.stderr).to.include('Cannot configure transit key');
    expect(res.stderr).to.include('cannot set min decryption version of 9, latest key version is 3');
    expect((await key())?.min_decryption_version).to.equal(3);
  });

  it('replaces the key when its type changes, and destroys it', async () => {
    work.write('main.tf', config({ type: 'chacha20-poly1305', minDecryption: 1, exportable: false }));
    const apply = await work.expect(['apply', '-auto-approve', '-no-color']);
    expect(apply.stdout).to.match(/1 added, 0 changed, 1 destroyed/);
    expect(await key()).to.include({ type: 'chacha20-poly1305', latest_version: 1 });
    await work.expect(['destroy', '-auto-approve', '-no-color']);
    expect((await server.request('GET', 'sys/mounts/transit')).status).to.be.oneOf([400, 404]);
  });
});
