import { expect } from 'chai';
import { HvacError, runHvac } from '../helpers/hvac.js';
import { startDevServer, type ServerHandle } from '../helpers/test-cluster.js';

/**
 * hvac (Debian's python3-hvac) driving sys/leases for auth leases: the tokens of logins and of the
 * token store are listed under `sys/leases/lookup/auth/...` as Vault lists them, can be looked up,
 * renewed and revoked as leases, and `revoke_prefix` revokes exactly what is listed.
 */
describe('hvac against ferry: leases', function () {
  this.timeout(120_000);
  let server: ServerHandle;

  before(async () => {
    server = await startDevServer();
    await runHvac(
      server.addr,
      server.rootToken,
      `
client.sys.enable_auth_method("userpass")
client.auth.userpass.create_or_update_user(username="bob", password="pw-bob", token_ttl="1h")
client.auth.userpass.create_or_update_user(username="amy", password="pw-amy", token_ttl="1h")
`,
    );
  });

  after(async () => {
    await server?.stop();
  });

  const hvac = (body: string) => runHvac(server.addr, server.rootToken, body) as Promise<any>;
  const login = (user: string) => `hvac.Client(url=client.url).auth.userpass.login(username="${user}", password="pw-${user}")["auth"]`;

  it('lists login tokens under sys/leases/lookup/auth/<mount>/login/<user>, one lease per token', async () => {
    const result = await hvac(`
bob1 = ${login('bob')}
bob2 = ${login('bob')}
amy = ${login('amy')}
result = {
    "auth": client.sys.list_leases("auth")["data"]["keys"],
    "login": client.sys.list_leases("auth/userpass/login")["data"]["keys"],
    "bob": client.sys.list_leases("auth/userpass/login/bob")["data"]["keys"],
}
`);
    expect(result.auth).to.include('userpass/');
    expect(result.login).to.deep.equal(['amy/', 'bob/']);
    expect(result.bob).to.have.length(2);
  });

  it('looks up and renews an auth lease like any other (read_lease, renew_lease)', async () => {
    const result = await hvac(`
leases = client.sys.list_leases("auth/userpass/login/amy")["data"]["keys"]
lease_id = "auth/userpass/login/amy/" + leases[0]
result = {"lookup": client.sys.read_lease(lease_id)["data"], "renew": client.sys.renew_lease(lease_id, increment=600), "id": lease_id}
`);
    expect(result.lookup).to.include({ id: result.id, renewable: true });
    expect(result.lookup.ttl).to.be.within(3500, 3600);
    expect(result.renew).to.include({ lease_id: result.id });
    expect(result.renew.lease_duration).to.be.within(598, 600);
  });

  it('revoke_prefix of a user revokes exactly the listed tokens', async () => {
    const result = await hvac(`
bob = ${login('bob')}
client.sys.revoke_prefix("auth/userpass/login/bob")
try:
    client.auth.token.lookup(bob["client_token"])
    alive = True
except hvac.exceptions.Forbidden:
    alive = False
result = {"alive": alive, "amy": client.sys.list_leases("auth/userpass/login/amy")["data"]["keys"]}
try:
    client.sys.list_leases("auth/userpass/login/bob")
except hvac.exceptions.InvalidPath:
    result["bob_gone"] = True
`);
    expect(result.alive).to.equal(false);
    expect(result.bob_gone).to.equal(true);
    expect(result.amy).to.have.length(1);
  });

  it('lists token-store tokens with a TTL under auth/token/create, and revoke_lease revokes one', async () => {
    const result = await hvac(`
made = client.auth.token.create(policies=["default"], ttl="10m")["auth"]
keys = client.sys.list_leases("auth/token/create")["data"]["keys"]
client.sys.revoke_lease("auth/token/create/" + keys[0])
try:
    client.auth.token.lookup(made["client_token"])
    alive = True
except hvac.exceptions.Forbidden:
    alive = False
result = {"keys": keys, "alive": alive}
`);
    expect(result.keys).to.have.length(1);
    expect(result.alive).to.equal(false);
  });

  it('refuses an unknown lease with hvac.exceptions.InvalidRequest', async () => {
    const failure = await hvac('client.sys.read_lease("auth/userpass/login/bob/0123")').catch((err: unknown) => err);
    expect((failure as HvacError).pythonClass).to.equal('hvac.exceptions.InvalidRequest');
    expect((failure as HvacError).errors).to.deep.equal(['invalid lease']);
  });
});
