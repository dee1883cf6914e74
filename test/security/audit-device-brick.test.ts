import { expect } from 'chai';
import { reopenAuditFiles } from '../helpers/audit-sighup.js';
import { appendFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startSqliteServer, type ServerHandle } from '../helpers/test-cluster.js';

/**
 * Issue #10, class 5: an audit device whose target cannot take entries must never be stored, and a
 * device that breaks after it was enabled must not lock root out of removing it.
 */
describe('security: an unwritable audit device cannot brick the server', () => {
  let server: ServerHandle;
  const SECRET = 'CANARY-audit-brick-71c3';

  before(async () => {
    server = await startSqliteServer();
    const write = await server.request('PUT', 'sys/mounts/kv', { body: { type: 'kv', options: { version: '1' } } });
    expect(write.status).to.be.oneOf([200, 204]);
    expect((await server.request('PUT', 'kv/probe', { body: { value: SECRET } })).status).to.equal(204);
  });
  after(async () => {
    await server?.stop();
  });

  async function expectUsable(): Promise<void> {
    const read = await server.request('GET', 'kv/probe');
    expect(read.status, read.text).to.equal(200);
    expect(read.body.data.value).to.equal(SECRET);
    expect((await server.request('PUT', 'kv/other', { body: { n: 1 } })).status).to.equal(204);
    const list = await server.request('GET', 'sys/audit');
    expect(list.status).to.equal(200);
    expect(Object.keys(list.body.data ?? {})).to.deep.equal([]);
  }

  it('refuses a file device at /dev/full with a 400 naming the device, and changes nothing', async () => {
    const res = await server.request('PUT', 'sys/audit/full', { body: { type: 'file', options: { file_path: '/dev/full' } } });
    expect(res.status, res.text).to.equal(400);
    expect(res.body.errors).to.be.an('array').with.length(1);
    expect(res.body.errors[0]).to.contain('"full/"').and.contain('/dev/full');
    expect(res.text).not.to.contain(server.rootToken);
    await expectUsable();
  });

  it('refuses a device in a directory that does not exist, and in a path that is a directory', async () => {
    const missing = join(server.dataDir, 'no-such-dir', 'audit.log');
    const res = await server.request('PUT', 'sys/audit/missing', { body: { type: 'file', options: { file_path: missing } } });
    expect(res.status, res.text).to.equal(400);
    expect(res.body.errors[0]).to.contain('"missing/"').and.contain('ENOENT');
    const dir = await server.request('PUT', 'sys/audit/dir', { body: { type: 'file', options: { file_path: server.dataDir } } });
    expect(dir.status, dir.text).to.equal(400);
    await expectUsable();
  });

  it('stays fully usable after a restart: nothing of the refused devices was stored', async () => {
    await server.restart();
    await expectUsable();
  });

  it('lets root disable a device that broke after it was enabled, while every other request still fails closed', async () => {
    const file = join(server.dataDir, 'breaks.log');
    expect((await server.request('PUT', 'sys/audit/breaks', { body: { type: 'file', options: { file_path: file } } })).status).to.equal(204);
    // The enable wrote its test entry before the device was stored.
    expect(readFileSync(file, 'utf8')).to.contain('"path":"sys/audit/test"');
    const policy = await server.request('PUT', 'sys/policies/acl/audit-admin', {
      body: { policy: 'path "sys/audit/*" { capabilities = ["create", "update", "delete", "sudo"] }\npath "kv/*" { capabilities = ["read"] }' },
    });
    expect(policy.status).to.equal(204);
    const created = await server.request('POST', 'auth/token/create', { body: { policies: ['audit-admin'], ttl: '10m' } });
    expect(created.status).to.equal(200);
    const adminToken = created.body.auth.client_token as string;

    // The target becomes a directory: even root cannot append there.
    rmSync(file, { force: true });
    mkdirSync(file);
    expect(() => appendFileSync(file, 'x')).to.throw(/EISDIR/);
    // The device keeps its file open (as Vault's does): the broken path is met when it reopens it.
    await reopenAuditFiles(server);

    expect((await server.request('GET', 'kv/probe')).status).to.equal(500);
    expect((await server.request('GET', 'kv/probe', { token: adminToken })).status).to.equal(500);
    // A non-root token may not use the way out: its disable is refused like any other request.
    expect((await server.request('DELETE', 'sys/audit/breaks', { token: adminToken })).status).to.equal(500);
    const disable = await server.request('DELETE', 'sys/audit/breaks');
    expect(disable.status, disable.text).to.equal(204);
    await expectUsable();
    await server.restart();
    await expectUsable();
    expect(server.logs()).to.contain('allowing root to disable an audit device');
    rmSync(file, { recursive: true, force: true });
  });
});
