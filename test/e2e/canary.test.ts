import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import vault from 'node-vault';
import { startSqliteServer, type ServerHandle } from '../helpers/test-cluster.js';

/** 28 base62 characters, so it can also serve as a generate-root OTP. */
const CANARY = 'CANARYaudit0wrap0lease0root9';

async function settle(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return 200;
  } catch (err) {
    const response = (err as { response?: { statusCode: number } }).response;
    if (response === undefined) throw err;
    return response.statusCode;
  }
}

function occurrences(text: string): number {
  return text.split(CANARY).length - 1;
}

describe('canary: audit, wrapping, leases and generate-root never write a secret in plaintext', () => {
  let server: ServerHandle;
  let auditFiles: string[];

  before(async () => {
    server = await startSqliteServer();
    const root = vault({ endpoint: server.addr, token: server.rootToken });
    auditFiles = [join(server.dataDir, 'audit-replicated.log'), join(server.dataDir, 'audit-local.log')];
    await root.enableAudit({ name: 'file', type: 'file', options: { file_path: auditFiles[0] } });
    await root.enableAudit({ name: 'local-file', type: 'file', local: true, options: { file_path: auditFiles[1], hmac_accessor: 'false' } });
    await root.enableAudit({ name: 'stdout', type: 'file', options: { file_path: 'stdout' } });
  });
  after(async () => {
    await server?.stop();
  });

  it('sends the canary through every endpoint family', async () => {
    const root = () => vault({ endpoint: server.addr, token: server.rootToken });
    const anonymous = vault({ endpoint: server.addr });
    await root().mount({ mount_point: 'canary', type: 'kv', options: { version: '2' } });
    // Secrets: write, read, and read wrapped.
    await root().write('canary/data/app', { data: { value: CANARY } });
    expect((await root().read('canary/data/app')).data.data.value).to.equal(CANARY);
    const wrapped = await root().read('canary/data/app', { headers: { 'X-Vault-Wrap-TTL': '60s' } });
    // Wrapping: lookup, rewrap, unwrap, wrap, and a bogus token that is the canary.
    await anonymous.write('sys/wrapping/lookup', { token: wrapped.wrap_info.token });
    const rewrapped = await root().write('sys/wrapping/rewrap', { token: wrapped.wrap_info.token });
    expect((await root().unwrap({ token: rewrapped.wrap_info.token })).data.data.value).to.equal(CANARY);
    const direct = await root().write('sys/wrapping/wrap', { secret: CANARY }, { headers: { 'X-Vault-Wrap-TTL': '60s' } });
    expect((await root().unwrap({ token: direct.wrap_info.token })).data.secret).to.equal(CANARY);
    expect(await settle(root().unwrap({ token: CANARY }))).to.equal(400);
    expect(await settle(anonymous.write('sys/wrapping/lookup', { token: `eyJ${CANARY}.eyJ${CANARY}.${CANARY}` }))).to.equal(400);
    // Audit: hash the canary with each device.
    for (const device of ['file', 'local-file', 'stdout']) await root().write(`sys/audit-hash/${device}`, { input: CANARY });
    // Leases and tokens: the canary as a lease id and as token metadata; the canary as a client token.
    expect(await settle(root().write('sys/leases/lookup', { lease_id: CANARY }))).to.equal(400);
    expect(await settle(root().renew({ lease_id: CANARY }))).to.equal(400);
    await root().revoke({ lease_id: CANARY });
    const token = (await root().tokenCreate({ policies: ['default'], ttl: '1h', meta: { note: CANARY } })).auth.client_token as string;
    await vault({ endpoint: server.addr, token }).tokenLookupSelf();
    expect(await settle(vault({ endpoint: server.addr, token: CANARY }).tokenLookupSelf())).to.equal(403);
    // Generate-root: the canary as the OTP, and as a bogus key share.
    const attempt = await anonymous.generateRootInit({ otp: CANARY });
    expect(await settle(anonymous.generateRootUpdate({ key: Buffer.from(CANARY).toString('base64'), nonce: attempt.nonce }))).to.be.oneOf([200, 400]);
    await anonymous.generateRootCancel();
    const again = await anonymous.generateRootInit({ otp: CANARY });
    let done: Record<string, any> = {};
    for (const key of server.unsealKeys.slice(0, server.unsealThreshold)) done = await anonymous.generateRootUpdate({ key, nonce: again.nonce });
    expect(done.complete).to.equal(true);
  });

  it('finds the canary in no server log, no audit file and not in the storage file', async () => {
    const logs = server.logs();
    expect(logs).to.contain('hmac-sha256:'); // the stdout device really wrote there
    expect(occurrences(logs), 'server log').to.equal(0);
    for (const file of auditFiles) {
      const text = readFileSync(file, 'utf8');
      expect(text.length, file).to.be.greaterThan(0);
      expect(occurrences(text), file).to.equal(0);
    }
    // Every file the server wrote: the database (and any -wal/-journal), config, logs, audit files.
    const files = readdirSync(server.dataDir).filter((name) => statSync(join(server.dataDir, name)).isFile());
    expect(files).to.include('ferry.db');
    for (const name of files) expect(readFileSync(join(server.dataDir, name)).includes(Buffer.from(CANARY)), name).to.equal(false);
  });
});
