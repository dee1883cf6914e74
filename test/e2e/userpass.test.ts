import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import vault from 'node-vault';
import { querySqliteFile } from '../helpers/sqlite-file.js';
import { startSqliteServer, type ServerHandle } from '../helpers/test-cluster.js';
import { failureOf, type VaultClient } from '../helpers/node-vault-client.js';

type Client = VaultClient;

const PASSWORD = 'CANARY-e2e-password-6c0e2a';
const SECRET = 'CANARY-e2e-userpass-secret-41f7';

describe('userpass auth method through a real server (node-vault client)', () => {
  let server: ServerHandle;
  let admin: Client;

  before(async () => {
    server = await startSqliteServer();
    admin = vault({ endpoint: server.addr, token: server.rootToken });
    await admin.enableAuth({ mount_point: 'userpass', type: 'userpass', description: 'people' });
    await admin.enableAuth({ mount_point: 'userpass-local', type: 'userpass', local: true });
    await admin.mount({ mount_point: 'apps', type: 'kv', options: { version: '2' } });
    await admin.write('apps/data/web/config', { data: { api_key: SECRET } });
    await admin.write('apps/data/billing/config', { data: { api_key: 'not-for-web' } });
    await admin.addPolicy({
      name: 'web-read',
      rules: 'path "apps/data/web/*" { capabilities = ["read"] }\npath "apps/metadata/web/*" { capabilities = ["list"] }',
    });
  });
  after(async () => {
    await server?.stop();
  });

  it('lists both auth mounts with local as set', async () => {
    const auths = await admin.auths();
    expect(auths.data['userpass/']).to.include({ type: 'userpass', local: false, description: 'people' });
    expect(auths.data['userpass-local/']).to.include({ type: 'userpass', local: true });
  });

  it('creates a user and reads it back without the password', async () => {
    await admin.write('auth/userpass/users/alice', { password: PASSWORD, token_policies: 'web-read', token_ttl: '1h', token_max_ttl: '4h' });
    const user = (await admin.read('auth/userpass/users/alice')).data;
    expect(user).to.include({ token_ttl: 3600, token_max_ttl: 14400 });
    expect(user.token_policies).to.deep.equal(['web-read']);
    expect(JSON.stringify(user)).not.to.include(PASSWORD);
    expect((await admin.list('auth/userpass/users')).data.keys).to.deep.equal(['alice']);
  });

  it('logs in, and the token reads within its policies and gets 403 outside them', async () => {
    const user = vault({ endpoint: server.addr });
    const login = await user.userpassLogin({ username: 'alice', password: PASSWORD });
    expect(login.auth.policies).to.deep.equal(['default', 'web-read']);
    expect(login.auth.metadata).to.deep.equal({ username: 'alice' });
    expect(login.auth.lease_duration).to.be.within(3590, 3600);
    expect(login.auth.renewable).to.equal(true);
    expect(user.token).to.equal(login.auth.client_token);

    expect((await user.read('apps/data/web/config')).data.data).to.deep.equal({ api_key: SECRET });
    expect((await user.list('apps/metadata/web/')).data.keys).to.deep.equal(['config']);
    const self = (await user.tokenLookupSelf()).data;
    expect(self).to.include({ path: 'auth/userpass/login/alice', display_name: 'userpass-alice' });

    for (const denied of [
      () => user.read('apps/data/billing/config'),
      () => user.write('apps/data/web/config', { data: { api_key: 'overwritten' } }),
      () => user.delete('apps/metadata/web/config'),
      () => user.read('auth/userpass/users/alice'),
      () => user.mounts(),
    ]) {
      expect(await failureOf(denied())).to.deep.equal({ status: 403, body: { errors: ['permission denied'] } });
    }
    expect((await admin.read('apps/data/web/config')).data.data).to.deep.equal({ api_key: SECRET });
  });

  it('answers a wrong password and an unknown user with the same 400', async () => {
    const user = vault({ endpoint: server.addr });
    const wrong = await failureOf(user.userpassLogin({ username: 'alice', password: 'wrong' }));
    const unknown = await failureOf(user.userpassLogin({ username: 'nobody', password: 'wrong' }));
    expect(wrong).to.deep.equal({ status: 400, body: { errors: ['invalid username or password'] } });
    expect(unknown).to.deep.equal(wrong);
    expect(user.token).to.equal(undefined);
  });

  it('logs in on a local userpass mount', async () => {
    await admin.write('auth/userpass-local/users/bob', { password: 'bob-pw', policies: 'web-read' });
    const user = vault({ endpoint: server.addr });
    await user.userpassLogin({ mount_point: 'userpass-local', username: 'bob', password: 'bob-pw' });
    expect((await user.read('apps/data/web/config')).data.data).to.deep.equal({ api_key: SECRET });
    expect((await user.tokenLookupSelf()).data.path).to.equal('auth/userpass-local/login/bob');
  });

  it("refuses the old password after a change and the token after the user's revocation", async () => {
    await admin.write('auth/userpass/users/carol', { password: 'first', token_policies: 'web-read' });
    const user = vault({ endpoint: server.addr });
    await user.userpassLogin({ username: 'carol', password: 'first' });
    await admin.write('auth/userpass/users/carol/password', { password: 'second' });
    expect((await failureOf(vault({ endpoint: server.addr }).userpassLogin({ username: 'carol', password: 'first' }))).status).to.equal(400);
    await vault({ endpoint: server.addr }).userpassLogin({ username: 'carol', password: 'second' });
    await user.tokenRevokeSelf();
    expect((await failureOf(user.read('apps/data/web/config'))).status).to.equal(403);
  });

  it('keeps users across a restart, and tokens stay valid', async () => {
    const user = vault({ endpoint: server.addr });
    await user.userpassLogin({ username: 'alice', password: PASSWORD });
    await server.restart();
    expect((await user.read('apps/data/web/config')).data.data).to.deep.equal({ api_key: SECRET });
    await vault({ endpoint: server.addr }).userpassLogin({ username: 'alice', password: PASSWORD });
  });

  it("stores users in the mount's storage (replicated or local) and tokens under local/, with no plaintext password", async () => {
    const auths = (await admin.auths()).data;
    const keys = (await querySqliteFile<{ key: string }>(join(server.dataDir, 'ferry.db'), 'SELECT key FROM entries')).map((r) => r.key);
    expect(keys).to.include(`auth/${auths['userpass/'].uuid}/user/alice`);
    expect(keys).to.include(`local/auth/${auths['userpass-local/'].uuid}/user/bob`);
    expect(keys.filter((k) => k.includes('/token/')).every((k) => k.startsWith('local/'))).to.equal(true);
    const file = readFileSync(join(server.dataDir, 'ferry.db'));
    for (const canary of [PASSWORD, SECRET]) expect(file.includes(Buffer.from(canary))).to.equal(false);
  });

  it('never writes the password or the secret to the server log', () => {
    const logs = server.logs();
    expect(logs.length).to.be.greaterThan(0);
    expect(logs).not.to.include(PASSWORD);
    expect(logs).not.to.include(SECRET);
  });
});
