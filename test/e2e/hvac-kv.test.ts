import { expect } from 'chai';
import { HvacError, runHvac } from '../helpers/hvac.js';
import { startDevServer, type ServerHandle } from '../helpers/test-cluster.js';

/** hvac (Debian's python3-hvac) driving KV version 2 (the dev server's `secret/`) and version 1. */
describe('hvac against ferry: kv', function () {
  this.timeout(120_000);
  let server: ServerHandle;

  before(async () => {
    server = await startDevServer();
  });

  after(async () => {
    await server?.stop();
  });

  const hvac = (body: string) => runHvac(server.addr, server.rootToken, body) as Promise<any>;
  const kv2 = 'client.secrets.kv.v2';

  it('writes, reads, patches and lists versioned secrets', async () => {
    const result = await hvac(`
kv = ${kv2}
w1 = kv.create_or_update_secret(path="app/db", secret={"user": "u", "pass": "p1"})["data"]
w2 = kv.patch(path="app/db", secret={"pass": "p2"})["data"]
kv.create_or_update_secret(path="app/api", secret={"k": "v"})
result = {
    "w1": w1, "w2": w2,
    "latest": kv.read_secret_version(path="app/db")["data"],
    "v1": kv.read_secret_version(path="app/db", version=1)["data"]["data"],
    "list": kv.list_secrets(path="app")["data"]["keys"],
}
`);
    expect(result.w1.version).to.equal(1);
    expect(result.w2.version).to.equal(2);
    expect(result.latest.data).to.deep.equal({ user: 'u', pass: 'p2' });
    expect(result.latest.metadata.version).to.equal(2);
    expect(result.v1).to.deep.equal({ user: 'u', pass: 'p1' });
    expect(result.list).to.deep.equal(['api', 'db']);
  });

  it("refuses a check-and-set mismatch and an unparsable cas with Vault's messages", async () => {
    const mismatch = await hvac(`${kv2}.create_or_update_secret(path="app/db", secret={"x": "y"}, cas=0)`).catch((err: unknown) => err);
    expect((mismatch as HvacError).pythonClass).to.equal('hvac.exceptions.InvalidRequest');
    expect((mismatch as HvacError).errors).to.deep.equal(['check-and-set parameter did not match the current version']);
    const unparsable = await hvac(`${kv2}.create_or_update_secret(path="app/db", secret={"x": "y"}, cas="latest")`).catch((err: unknown) => err);
    expect((unparsable as HvacError).errors).to.deep.equal(['error parsing check-and-set parameter']);
    const required = await hvac(`
${kv2}.update_metadata(path="app/strict", cas_required=True)
${kv2}.create_or_update_secret(path="app/strict", secret={"x": "y"})
`).catch((err: unknown) => err);
    expect((required as HvacError).errors).to.deep.equal(['check-and-set parameter required for this call']);
    const unchanged = await hvac(`result = ${kv2}.read_secret_version(path="app/db")["data"]["metadata"]["version"]`);
    expect(unchanged).to.equal(2);
  });

  it('deletes, undeletes and destroys versions, and reads and removes metadata', async () => {
    const result = await hvac(`
kv = ${kv2}
kv.create_or_update_secret(path="life", secret={"n": "1"})
kv.create_or_update_secret(path="life", secret={"n": "2"})
kv.delete_latest_version_of_secret(path="life")
deleted = kv.read_secret_metadata(path="life")["data"]["versions"]["2"]["deletion_time"]
kv.undelete_secret_versions(path="life", versions=[2])
back = kv.read_secret_version(path="life")["data"]["data"]
kv.destroy_secret_versions(path="life", versions=[1])
meta = kv.read_secret_metadata(path="life")["data"]
kv.delete_metadata_and_all_versions(path="life")
try:
    kv.read_secret_metadata(path="life")
    gone = False
except hvac.exceptions.InvalidPath:
    gone = True
result = {"deleted": deleted, "back": back, "destroyed": meta["versions"]["1"]["destroyed"], "current": meta["current_version"], "gone": gone}
`);
    expect(result.deleted).to.be.a('string').and.not.equal('');
    expect(result.back).to.deep.equal({ n: '2' });
    expect(result.destroyed).to.equal(true);
    expect(result.current).to.equal(2);
    expect(result.gone).to.equal(true);
  });

  it('drives KV version 1 (create_or_update_secret, read_secret, list_secrets, delete_secret)', async () => {
    const result = await hvac(`
client.sys.enable_secrets_engine(backend_type="kv", path="kv1", options={"version": "1"})
kv = client.secrets.kv.v1
kv.create_or_update_secret(path="a/b", secret={"k": "v"}, mount_point="kv1")
kv.create_or_update_secret(path="a/c", secret={"k": "w"}, mount_point="kv1")
read = kv.read_secret(path="a/b", mount_point="kv1")["data"]
listed = kv.list_secrets(path="a", mount_point="kv1")["data"]["keys"]
kv.delete_secret(path="a/b", mount_point="kv1")
try:
    kv.read_secret(path="a/b", mount_point="kv1")
    gone = False
except hvac.exceptions.InvalidPath:
    gone = True
result = {"read": read, "listed": listed, "gone": gone}
`);
    expect(result).to.deep.equal({ read: { k: 'v' }, listed: ['b', 'c'], gone: true });
  });
});
