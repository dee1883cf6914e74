import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { assertCliBuilt, runFerry, type FerryTarget } from '../../../helpers/ferry-cli.js';
import { startDevServer, type ServerHandle } from '../../../helpers/test-cluster.js';

describe('ferry kv get/put/patch/list/delete/undelete/destroy/enable-versioning against a dev server', function () {
  this.timeout(90_000);
  let server: ServerHandle;
  let target: FerryTarget;
  let workDir: string;

  before(async () => {
    assertCliBuilt();
    server = await startDevServer();
    target = { addr: server.addr, token: server.rootToken };
    workDir = await mkdtemp(path.join(os.tmpdir(), 'ferry-kv-cli-'));
    expect((await runFerry(['secrets', 'enable', '-path=kv2', '-version=2', 'kv'], target)).code).to.equal(0);
    expect((await runFerry(['secrets', 'enable', '-path=kv1', 'kv'], target)).code).to.equal(0);
  });
  after(async () => {
    await server?.stop();
    await rm(workDir, { recursive: true, force: true });
  });

  it('puts a v2 secret from key=value, key=@file and key=- and prints the version metadata', async () => {
    const file = path.join(workDir, 'cert.pem');
    await writeFile(file, 'PEM-DATA');
    const put = await runFerry(['kv', 'put', 'kv2/app', 'user=alice', `cert=@${file}`, 'token=-'], target, 'from-stdin');
    expect(put.code, put.stderr).to.equal(0);
    expect(put.stdout).to.match(/^=+ Secret Path =+\nkv2\/data\/app\n\n=+ Metadata =+\nKey\s+Value\n---\s+-----\n/);
    expect(put.stdout).to.match(/^version\s+1$/m);
    expect(put.stdout).to.match(/^deletion_time\s+n\/a$/m);
  });

  it('gets it back as sections, a raw -field, and the Secret JSON/YAML', async () => {
    const table = await runFerry(['kv', 'get', 'kv2/app'], target);
    expect(table.code, table.stderr).to.equal(0);
    expect(table.stdout).to.match(/=+ Data =+\nKey\s+Value\n---\s+-----\ncert\s+PEM-DATA\ntoken\s+from-stdin\nuser\s+alice\n/);
    const field = await runFerry(['kv', 'get', '-field=user', 'kv2/app'], target);
    expect(field.stdout).to.equal('alice');
    const mountFlag = await runFerry(['kv', 'get', '-mount=kv2', '-field=token', 'app'], target);
    expect(mountFlag.stdout).to.equal('from-stdin');
    const json = JSON.parse((await runFerry(['kv', 'get', '-format=json', 'kv2/app'], target)).stdout) as {
      data: { data: Record<string, string>; metadata: { version: number } };
    };
    expect(json.data.data).to.deep.equal({ user: 'alice', cert: 'PEM-DATA', token: 'from-stdin' });
    expect(json.data.metadata.version).to.equal(1);
    const yaml = await runFerry(['kv', 'get', '-format=yaml', 'kv2/app'], target);
    expect(yaml.stdout).to.match(/^data:\n {2}data:\n/m);
  });

  it('patches one key, keeping the others, and reads an older -version', async () => {
    const patch = await runFerry(['kv', 'patch', 'kv2/app', 'user=bob'], target);
    expect(patch.code, patch.stderr).to.equal(0);
    expect(patch.stdout).to.match(/^version\s+2$/m);
    const latest = JSON.parse((await runFerry(['kv', 'get', '-format=json', 'kv2/app'], target)).stdout) as { data: { data: Record<string, string> } };
    expect(latest.data.data).to.deep.equal({ user: 'bob', cert: 'PEM-DATA', token: 'from-stdin' });
    const old = await runFerry(['kv', 'get', '-version=1', '-field=user', 'kv2/app'], target);
    expect(old.stdout).to.equal('alice');
  });

  it('refuses a put with a stale -cas with exit 2', async () => {
    const stale = await runFerry(['kv', 'put', '-cas=1', 'kv2/app', 'user=mallory'], target);
    expect(stale.code).to.equal(2);
    expect(stale.stderr).to.include('Error writing data to kv2/data/app');
    expect(stale.stderr).to.not.include('mallory');
  });

  it('lists keys as a table and JSON', async () => {
    const list = await runFerry(['kv', 'list', 'kv2/'], target);
    expect(list.code, list.stderr).to.equal(0);
    expect(list.stdout).to.equal('Keys\n----\napp\n');
    expect(JSON.parse((await runFerry(['kv', 'list', '-format=json', 'kv2'], target)).stdout)).to.deep.equal(['app']);
  });

  it('deletes, undeletes and destroys versions', async () => {
    const del = await runFerry(['kv', 'delete', 'kv2/app'], target);
    expect(del.stdout).to.equal('Success! Data deleted (if it existed) at: kv2/data/app\n');
    const gone = await runFerry(['kv', 'get', 'kv2/app'], target);
    expect(gone.code).to.equal(2);
    const undelete = await runFerry(['kv', 'undelete', '-versions=2', 'kv2/app'], target);
    expect(undelete.code, undelete.stderr).to.equal(0);
    expect(undelete.stdout).to.equal('Success! Data written to: kv2/undelete/app\n');
    expect((await runFerry(['kv', 'get', '-field=user', 'kv2/app'], target)).stdout).to.equal('bob');
    const destroy = await runFerry(['kv', 'destroy', '-versions=1', 'kv2/app'], target);
    expect(destroy.stdout).to.equal('Success! Data written to: kv2/destroy/app\n');
    const missing = await runFerry(['kv', 'destroy', 'kv2/app'], target);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.include('No versions provided');
    const deleteVersion = await runFerry(['kv', 'delete', '-versions=2', 'kv2/app'], target);
    expect(deleteVersion.stdout).to.equal('Success! Data deleted (if it existed) at: kv2/delete/app\n');
  });

  it('works on a v1 mount like read/write, then upgrades it with enable-versioning', async () => {
    const put = await runFerry(['kv', 'put', 'kv1/cfg', 'a=1'], target);
    expect(put.stdout).to.equal('Success! Data written to: kv1/cfg\n');
    expect((await runFerry(['kv', 'get', '-field=a', 'kv1/cfg'], target)).stdout).to.equal('1');
    const upgrade = await runFerry(['kv', 'enable-versioning', 'kv1/'], target);
    expect(upgrade.code, upgrade.stderr).to.equal(0);
    expect(upgrade.stdout).to.equal('Success! Tuned the secrets engine at: kv1/\n');
    const mounts = await server.request('GET', 'sys/mounts/kv1');
    expect(mounts.body.data?.options?.version ?? mounts.body.options?.version).to.equal('2');
  });

  it('writes, reads and deletes key metadata', async () => {
    const put = await runFerry(['kv', 'metadata', 'put', '-max-versions=5', '-custom-metadata=owner=ops', 'kv2/app'], target);
    expect(put.code, put.stderr).to.equal(0);
    expect(put.stdout).to.equal('Success! Data written to: kv2/metadata/app\n');
    const get = await runFerry(['kv', 'metadata', 'get', 'kv2/app'], target);
    expect(get.code, get.stderr).to.equal(0);
    expect(get.stdout).to.match(/^=+ Metadata Path =+\nkv2\/metadata\/app\n/);
    expect(get.stdout).to.match(/^max_versions\s+5$/m);
    expect(get.stdout).to.match(/^custom_metadata\s+map\[owner:ops\]$/m);
    expect(get.stdout).to.match(/=+ Version 2 =+/);
    const json = JSON.parse((await runFerry(['kv', 'metadata', 'get', '-format=json', 'kv2/app'], target)).stdout) as { data: { max_versions: number } };
    expect(json.data.max_versions).to.equal(5);
    const del = await runFerry(['kv', 'metadata', 'delete', 'kv2/app'], target);
    expect(del.stdout).to.equal('Success! Data deleted (if it existed) at: kv2/metadata/app\n');
    expect((await runFerry(['kv', 'metadata', 'get', 'kv2/app'], target)).code).to.equal(2);
  });
});
