import { expect } from 'chai';
import { join } from 'node:path';
import vault from 'node-vault';
import { querySqliteFile } from '../helpers/sqlite-file.js';
import { startSqliteServer, waitFor, type ServerHandle } from '../helpers/test-cluster.js';
import { failureOf, type VaultClient } from '../helpers/node-vault-client.js';

type Client = VaultClient;

/** Storage keys of stored tokens (salted hashes: the ids never reach storage). */
async function tokenKeys(server: ServerHandle): Promise<Set<string>> {
  const rows = await querySqliteFile<{ key: string }>(join(server.dataDir, 'ferry.db'), "SELECT key FROM entries WHERE key LIKE 'local/token/id/%'");
  return new Set(rows.map((r) => r.key));
}

/** Creates a token and returns it with the storage key it was written under. */
async function createTrackedToken(server: ServerHandle, ttl: string): Promise<{ token: string; key: string }> {
  const before = await tokenKeys(server);
  const token = (await rootClient(server).tokenCreate({ policies: ['default'], ttl })).auth.client_token as string;
  const added = [...(await tokenKeys(server))].filter((k) => !before.has(k));
  expect(added).to.have.length(1);
  return { token, key: added[0] as string };
}

const lookupSelf = (server: ServerHandle, token: string) => vault({ endpoint: server.addr, token }).tokenLookupSelf();

/** node-vault's tokenCreate switches the calling client to the new token: use a throwaway root client. */
const rootClient = (server: ServerHandle): Client => vault({ endpoint: server.addr, token: server.rootToken });

describe('leases and token expiry through a real SQLite server (node-vault client)', () => {
  let server: ServerHandle;
  let client: Client;

  before(async () => {
    server = await startSqliteServer();
    client = vault({ endpoint: server.addr, token: server.rootToken });
  });
  after(async () => {
    await server?.stop();
  });

  it('stops honouring a ttl=2s token after expiry, and the sweep deletes it without any lookup', async () => {
    const { token, key } = await createTrackedToken(server, '2s');
    expect((await lookupSelf(server, token)).data.ttl).to.be.within(1, 2);
    await waitFor(async () => !(await tokenKeys(server)).has(key), { timeoutMs: 6000, description: 'the sweep to revoke the expired token' });
    expect((await failureOf(lookupSelf(server, token))).status).to.equal(403);
  });

  it('keeps a ttl=2s token expired across a restart in between', async () => {
    const { token } = await createTrackedToken(server, '2s');
    await lookupSelf(server, token);
    await server.restart();
    client = vault({ endpoint: server.addr, token: server.rootToken });
    await waitFor(async () => (await failureOf(lookupSelf(server, token))).status === 403, { timeoutMs: 6000, description: 'the token to expire' });
  });

  it('after a restart, the sweep still revokes a token on time (nobody looks it up)', async () => {
    const ttlSeconds = 8;
    const created = Date.now();
    const { token, key } = await createTrackedToken(server, `${ttlSeconds}s`);
    await server.restart();
    client = vault({ endpoint: server.addr, token: server.rootToken });
    expect(Date.now() - created, 'the restart took too long for this test').to.be.below((ttlSeconds - 2) * 1000);
    expect((await tokenKeys(server)).has(key)).to.equal(true);
    await waitFor(async () => !(await tokenKeys(server)).has(key), {
      timeoutMs: ttlSeconds * 1000 + 4000,
      description: 'the sweep to revoke the token after the restart',
    });
    expect(Date.now() - created).to.be.at.least((ttlSeconds - 1) * 1000);
    expect((await failureOf(lookupSelf(server, token))).status).to.equal(403);
  });

  it('revokes login tokens by prefix (sys/revoke-prefix/auth/userpass/login)', async () => {
    await client.enableAuth({ mount_point: 'userpass', type: 'userpass' });
    await client.write('auth/userpass/users/lea', { password: 'lease-pass-123', policies: 'default' });
    const login = await vault({ endpoint: server.addr }).userpassLogin({ username: 'lea', password: 'lease-pass-123' });
    const token = login.auth.client_token as string;
    await lookupSelf(server, token);
    await client.revokePrefix({ path_prefix: 'auth/userpass/login' });
    expect((await failureOf(lookupSelf(server, token))).status).to.equal(403);
    await client.tokenLookupSelf();
  });

  it('answers lease lookups and renewals of unknown leases with 400, revokes them as a no-op, and guards revoke-force with sudo', async () => {
    expect((await failureOf(client.write('sys/leases/lookup', { lease_id: 'secret/creds/none/abc' }))).status).to.equal(400);
    expect((await failureOf(client.renew({ lease_id: 'secret/creds/none/abc' }))).status).to.equal(400);
    await client.revoke({ lease_id: 'secret/creds/none/abc' });
    const limited = vault({ endpoint: server.addr, token: (await rootClient(server).tokenCreate({ policies: ['default'] })).auth.client_token });
    expect((await failureOf(limited.write('sys/leases/revoke-force/secret', {}))).status).to.equal(403);
  });
});
