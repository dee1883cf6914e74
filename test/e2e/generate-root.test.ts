import { expect } from 'chai';
import vault from 'node-vault';
import { startSqliteServer, type ServerHandle } from '../helpers/test-cluster.js';
import { decodeRootToken } from '../helpers/generate-root.js';
import { failureOf } from '../helpers/node-vault-client.js';

describe('generate-root through a real SQLite server (node-vault client)', () => {
  let server: ServerHandle;
  let other: ServerHandle;

  before(async () => {
    [server, other] = await Promise.all([startSqliteServer(), startSqliteServer()]);
  });
  after(async () => {
    await Promise.all([server?.stop(), other?.stop()]);
  });

  it('produces a working root token from the unseal key shares (OTP flow, no token needed)', async () => {
    const anonymous = vault({ endpoint: server.addr });
    const started = await anonymous.generateRootInit({});
    expect(started).to.include({ started: true, progress: 0, required: server.unsealThreshold, complete: false });
    expect(started.otp).to.match(/^[0-9A-Za-z]{28}$/);
    expect(started.otp_length).to.equal(28);
    let status: Record<string, any> = {};
    for (const key of server.unsealKeys.slice(0, server.unsealThreshold)) status = await anonymous.generateRootUpdate({ key, nonce: started.nonce });
    expect(status).to.include({ complete: true });
    expect(status.encoded_root_token).to.equal(status.encoded_token);
    const token = decodeRootToken(status.encoded_token, started.otp);
    expect(token).to.match(/^hvs\./);
    expect(token).not.to.equal(server.rootToken);
    const self = await vault({ endpoint: server.addr, token }).tokenLookupSelf();
    expect(self.data.policies).to.deep.equal(['root']);
    await vault({ endpoint: server.addr, token }).write('sys/policies/acl/made-by-new-root', { policy: 'path "x/*" { capabilities = ["read"] }' });
    expect((await anonymous.read('sys/generate-root/attempt')).started).to.equal(false);
  });

  it("refuses another cluster's unseal shares with 400, resets progress, and mints nothing", async () => {
    const anonymous = vault({ endpoint: server.addr });
    const started = await anonymous.generateRootInit({});
    const threshold = server.unsealThreshold;
    let refused: { status: number; body: any } | undefined;
    for (const [i, key] of other.unsealKeys.slice(0, threshold).entries()) {
      if (i < threshold - 1) await anonymous.generateRootUpdate({ key, nonce: started.nonce });
      else refused = await failureOf(anonymous.generateRootUpdate({ key, nonce: started.nonce }));
    }
    expect(refused?.status).to.equal(400);
    expect(JSON.stringify(refused?.body)).not.to.match(/hvs\./);
    const status = await anonymous.read('sys/generate-root/attempt');
    expect(status).to.include({ started: true, progress: 0, encoded_token: '' });
    await anonymous.generateRootCancel();
    expect((await anonymous.read('sys/generate-root/attempt')).started).to.equal(false);
  });

  it('refuses a wrong nonce and a second concurrent attempt', async () => {
    const anonymous = vault({ endpoint: server.addr });
    const started = await anonymous.generateRootInit({});
    expect((await failureOf(anonymous.generateRootInit({}))).status).to.equal(400);
    expect((await failureOf(anonymous.generateRootUpdate({ key: server.unsealKeys[0], nonce: `${started.nonce}x` }))).status).to.equal(400);
    await anonymous.generateRootCancel();
  });
});
