import { expect } from 'chai';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import vault from 'node-vault';
import { startDevServer, type ServerHandle } from '../helpers/test-cluster.js';
import { failureOf, type VaultClient } from '../helpers/node-vault-client.js';
import { reopenAuditFiles } from '../helpers/audit-sighup.js';

type Client = VaultClient;

/** Makes a file audit device's path unwritable even for root: the file becomes a directory. */
function breakAuditFile(path: string): void {
  rmSync(path, { force: true, recursive: true });
  mkdirSync(path);
  // Prove the device really cannot write there (root ignores permission bits, not EISDIR).
  expect(() => appendFileSync(path, 'probe\n')).to.throw(/EISDIR/);
}

function repairAuditFile(path: string): void {
  rmSync(path, { force: true, recursive: true });
}

const SECRET = 'CANARY-e2e-audit-5d2e90';

describe('audit devices through a real server (node-vault client)', () => {
  let server: ServerHandle;
  let client: Client;

  before(async () => {
    server = await startDevServer();
    client = vault({ endpoint: server.addr, token: server.rootToken });
  });
  after(async () => {
    await server?.stop();
  });

  it("enables a file device, lists it, and logs HMAC'd values only (0 plaintext hits)", async () => {
    const file = join(server.dataDir, 'audit.log');
    await client.enableAudit({ name: 'file', type: 'file', description: 'e2e', options: { file_path: file } });
    const list = await client.audits();
    expect(list.data['file/']).to.deep.include({ type: 'file', description: 'e2e', local: false, path: 'file/' });
    expect(list.data['file/'].options).to.include({ file_path: file });
    await client.write('secret/data/audited', { data: { password: SECRET } });
    expect((await client.read('secret/data/audited')).data.data.password).to.equal(SECRET);
    const text = readFileSync(file, 'utf8');
    expect(text.split(SECRET).length - 1).to.equal(0);
    expect(text).not.to.contain(server.rootToken);
    const hash = (await client.write('sys/audit-hash/file', { input: SECRET })).data.hash as string;
    expect(hash).to.match(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(text).to.contain(hash);
    const entries = text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, any>);
    const read = entries.find((e) => e.type === 'response' && e.request.path === 'secret/data/audited' && e.request.operation === 'read');
    expect(read?.response.data.data.password).to.equal(hash);
    expect(read?.request.remote_address).to.equal('127.0.0.1');
    await client.disableAudit({ name: 'file' });
    expect(Object.keys((await client.audits()).data)).to.deep.equal([]);
  });

  it('refuses a secret read when the only device cannot write, and serves it again once a healthy device is added', async () => {
    const only = join(server.dataDir, 'only.log');
    const second = join(server.dataDir, 'second.log');
    await client.enableAudit({ name: 'only', type: 'file', options: { file_path: only } });
    await client.write('secret/data/fail-closed', { data: { password: SECRET } });
    // The device keeps its file open (as Vault's does): the broken path is met when it reopens it.
    breakAuditFile(only);
    await reopenAuditFiles(server);

    const refused = await failureOf(client.read('secret/data/fail-closed'));
    expect(refused.status).to.equal(500);
    expect(JSON.stringify(refused.body)).not.to.contain(SECRET);
    expect(refused.body.errors).to.be.an('array').that.is.not.empty;
    // Configuration requests are audited too: nothing gets through while no device can log.
    expect((await failureOf(client.enableAudit({ name: 'second', type: 'file', options: { file_path: second } }))).status).to.equal(500);

    repairAuditFile(only);
    await client.enableAudit({ name: 'second', type: 'file', options: { file_path: second } });
    breakAuditFile(only);
    await reopenAuditFiles(server);
    expect((await client.read('secret/data/fail-closed')).data.data.password).to.equal(SECRET);
    const logged = readFileSync(second, 'utf8');
    expect(logged).to.contain('secret/data/fail-closed');
    expect(logged).not.to.contain(SECRET);

    repairAuditFile(only);
    await client.disableAudit({ name: 'only' });
    await client.disableAudit({ name: 'second' });
  });

  it('stores a local device apart and refuses bad device configurations with 400', async () => {
    const file = join(server.dataDir, 'local.log');
    await client.enableAudit({ name: 'mine', type: 'file', local: true, options: { file_path: file, hmac_accessor: 'false', prefix: 'ferry:' } });
    expect((await client.audits()).data['mine/']).to.include({ local: true });
    await client.write('secret/data/x', { data: { v: 'y' } });
    expect(
      readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .every((l) => l.startsWith('ferry:{')),
    ).to.equal(true);
    expect((await failureOf(client.enableAudit({ name: 'mine', type: 'file', options: { file_path: file } }))).status).to.equal(400);
    expect((await failureOf(client.enableAudit({ name: 'sock', type: 'socket', options: { address: '127.0.0.1:9' } }))).status).to.equal(400);
    expect((await failureOf(client.enableAudit({ name: 'nofile', type: 'file', options: {} }))).status).to.equal(400);
    expect((await failureOf(client.enableAudit({ name: 'dir', type: 'file', options: { file_path: server.dataDir } }))).status).to.equal(400);
    expect(Object.keys((await client.audits()).data)).to.deep.equal(['mine/']);
    await client.disableAudit({ name: 'mine' });
    expect(existsSync(file)).to.equal(true);
  });

  it('needs sudo to manage devices', async () => {
    // tokenCreate switches the calling node-vault client to the new token: use a throwaway one.
    const token = (await vault({ endpoint: server.addr, token: server.rootToken }).tokenCreate({ policies: ['default'] })).auth.client_token as string;
    const limited = vault({ endpoint: server.addr, token });
    expect((await failureOf(limited.audits())).status).to.equal(403);
    expect((await failureOf(limited.enableAudit({ name: 'x', type: 'file', options: { file_path: join(server.dataDir, 'x.log') } }))).status).to.equal(403);
  });
});
