import { expect } from 'chai';
import { HvacError, runHvac } from '../helpers/hvac.js';
import { startSqliteServer, type ServerHandle } from '../helpers/test-cluster.js';

/** AppRole driven by a second real client: Debian's python3-hvac, the way its documentation shows. */
describe('AppRole through hvac (python3-hvac)', function () {
  this.timeout(120_000);
  let server: ServerHandle;
  const hvac = (body: string, token = server.rootToken) => runHvac(server.addr, token, body);
  const fails = async (body: string, token?: string): Promise<HvacError> => {
    try {
      await hvac(body, token);
    } catch (err) {
      expect(err).to.be.instanceOf(HvacError);
      return err as HvacError;
    }
    return expect.fail('the hvac call succeeded');
  };

  before(async () => {
    server = await startSqliteServer();
    await hvac(`
client.sys.enable_auth_method(method_type="approle")
client.sys.enable_secrets_engine(backend_type="kv", path="apps", options={"version": "2"})
client.sys.create_or_update_policy(name="app-read", policy='path "apps/data/web/*" { capabilities = ["read"] }')
client.secrets.kv.v2.create_or_update_secret(mount_point="apps", path="web/config", secret={"api_key": "CANARY-hvac-approle-4d1c"})
result = True
`);
  });
  after(async () => {
    await server?.stop();
  });

  it('creates, reads and lists roles with token settings', async () => {
    const result = (await hvac(`
client.auth.approle.create_or_update_approle(role_name="web", token_policies=["app-read"], token_ttl="20m", token_max_ttl="1h", secret_id_num_uses=5, secret_id_ttl="10m")
client.auth.approle.create_or_update_approle(role_name="ci", bind_secret_id=False, secret_id_bound_cidrs=["127.0.0.0/8"], token_period="30m")
result = {
  "web": client.auth.approle.read_role(role_name="web")["data"],
  "ci": client.auth.approle.read_role(role_name="ci")["data"],
  "list": client.auth.approle.list_roles()["data"]["keys"],
}
`)) as { web: Record<string, unknown>; ci: Record<string, unknown>; list: string[] };
    expect(result.web).to.include({ token_ttl: 1200, token_max_ttl: 3600, secret_id_num_uses: 5, secret_id_ttl: 600, bind_secret_id: true });
    expect(result.web.token_policies).to.deep.equal(['app-read']);
    expect(result.ci).to.include({ bind_secret_id: false, token_period: 1800 });
    expect(result.ci.secret_id_bound_cidrs).to.deep.equal(['127.0.0.0/8']);
    expect(result.list).to.deep.equal(['ci', 'web']);
  });

  it('reads and sets the role ID, generates secret IDs, and logs in: the token reads within its policy', async () => {
    const result = (await hvac(`
client.auth.approle.update_role_id(role_name="web", role_id="web-role-id-1")
role_id = client.auth.approle.read_role_id(role_name="web")["data"]["role_id"]
generated = client.auth.approle.generate_secret_id(role_name="web", metadata={"team": "blue"}, cidr_list=["127.0.0.1/32"])["data"]
custom = client.auth.approle.create_custom_secret_id(role_name="web", secret_id="custom-secret-9f2e")["data"]
login = client.auth.approle.login(role_id=role_id, secret_id=generated["secret_id"])
secret = client.secrets.kv.v2.read_secret_version(mount_point="apps", path="web/config")["data"]["data"]
self = client.auth.token.lookup_self()["data"]
result = {"role_id": role_id, "generated": generated, "custom": custom, "auth": login["auth"], "secret": secret, "self": self}
`)) as Record<string, any>;
    expect(result.role_id).to.equal('web-role-id-1');
    expect(result.generated.secret_id_num_uses).to.equal(5);
    expect(result.generated.secret_id_ttl).to.equal(600);
    expect(result.custom.secret_id).to.equal('custom-secret-9f2e');
    expect(result.auth.policies).to.deep.equal(['app-read', 'default']);
    expect(result.auth.metadata).to.deep.equal({ role_name: 'web', team: 'blue' });
    expect(result.auth.lease_duration).to.be.within(1190, 1200);
    expect(result.auth.entity_id).to.match(/^[0-9a-f-]{36}$/);
    expect(result.secret).to.deep.equal({ api_key: 'CANARY-hvac-approle-4d1c' });
    expect(result.self).to.include({ path: 'auth/approle/login', entity_id: result.auth.entity_id });
  });

  it('looks up, lists and destroys secret IDs by value and by accessor', async () => {
    const result = (await hvac(`
one = client.auth.approle.generate_secret_id(role_name="web")["data"]
two = client.auth.approle.generate_secret_id(role_name="web")["data"]
by_value = client.auth.approle.read_secret_id(role_name="web", secret_id=one["secret_id"])["data"]
by_accessor = client.auth.approle.read_secret_id_accessor(role_name="web", secret_id_accessor=two["secret_id_accessor"])["data"]
listed = client.auth.approle.list_secret_id_accessors(role_name="web")["data"]["keys"]
client.auth.approle.destroy_secret_id(role_name="web", secret_id=one["secret_id"])
client.auth.approle.destroy_secret_id_accessor(role_name="web", secret_id_accessor=two["secret_id_accessor"])
after = client.auth.approle.read_secret_id(role_name="web", secret_id=one["secret_id"])
remaining = client.auth.approle.list_secret_id_accessors(role_name="web")["data"]["keys"]
result = {"one": one, "two": two, "by_value": by_value, "by_accessor": by_accessor, "listed": listed, "after": after, "remaining": remaining}
`)) as Record<string, any>;
    expect(result.by_value).to.include({ secret_id_accessor: result.one.secret_id_accessor, secret_id_num_uses: 5, secret_id_ttl: 600 });
    expect(result.by_accessor).to.include({ secret_id_accessor: result.two.secret_id_accessor });
    expect(result.listed).to.include.members([result.one.secret_id_accessor, result.two.secret_id_accessor]);
    expect(result.after).to.deep.equal({ status_code: 204, json: null });
    expect(result.remaining).not.to.include.members([result.one.secret_id_accessor]);
    expect(result.remaining).not.to.include(result.two.secret_id_accessor);
    const unknown = await fails(`client.auth.approle.read_secret_id_accessor(role_name="web", secret_id_accessor="no-such-accessor")`);
    expect(unknown.pythonClass).to.equal('hvac.exceptions.InvalidPath');
    expect(unknown.message).to.include('failed to find accessor entry for secret_id_accessor');
  });

  it('refuses a wrong secret ID and a used-up one with InvalidRequest', async () => {
    const wrong = await fails(`client.auth.approle.login(role_id="web-role-id-1", secret_id="not-the-secret")`, '');
    expect(wrong.pythonClass).to.equal('hvac.exceptions.InvalidRequest');
    expect(wrong.message).to.include('invalid role or secret ID');
    const once = (await hvac(`
client.auth.approle.create_or_update_approle(role_name="once", secret_id_num_uses=1)
client.auth.approle.update_role_id(role_name="once", role_id="once-role-id")
result = client.auth.approle.generate_secret_id(role_name="once")["data"]["secret_id"]
`)) as string;
    await hvac(`result = client.auth.approle.login(role_id="once-role-id", secret_id=${JSON.stringify(once)})["auth"]["accessor"]`, '');
    const used = await fails(`client.auth.approle.login(role_id="once-role-id", secret_id=${JSON.stringify(once)})`, '');
    expect(used.message).to.include('invalid role or secret ID');
    const noConstraint = await fails(`client.auth.approle.create_or_update_approle(role_name="open", bind_secret_id=False)`);
    expect(noConstraint.message).to.include('at least one constraint should be enabled on the role');
  });

  it('issues batch tokens for token_type="batch", bound to the role\'s token_bound_cidrs; a periodic batch role is refused', async () => {
    const result = (await hvac(`
client.auth.approle.create_or_update_approle(role_name="batchy", token_type="batch", token_policies=["app-read"], token_bound_cidrs=["127.0.0.0/8"], token_ttl="10m")
role = client.auth.approle.read_role(role_name="batchy")["data"]
role_id = client.auth.approle.read_role_id(role_name="batchy")["data"]["role_id"]
secret_id = client.auth.approle.generate_secret_id(role_name="batchy")["data"]["secret_id"]
machine = hvac.Client(url=client.url)
auth = machine.auth.approle.login(role_id=role_id, secret_id=secret_id)["auth"]
secret = machine.secrets.kv.v2.read_secret_version(mount_point="apps", path="web/config")["data"]["data"]
looked = machine.auth.token.lookup_self()["data"]
try:
    machine.auth.token.renew_self()
    renewed = "renewed"
except hvac.exceptions.InvalidRequest as err:
    renewed = str(err)
try:
    client.auth.approle.create_or_update_approle(role_name="batchy", token_period="1h")
    periodic = "accepted"
except hvac.exceptions.InvalidRequest as err:
    periodic = str(err)
result = {"role": role, "auth": auth, "secret": secret, "looked": looked, "renewed": renewed, "periodic": periodic}
`)) as Record<string, any>;
    expect(result.role).to.include({ token_type: 'batch' });
    expect(result.auth).to.include({ token_type: 'batch', accessor: '', renewable: false, orphan: true });
    expect(result.auth.client_token).to.match(/^hvb\./);
    expect(result.auth.lease_duration).to.be.within(590, 600);
    expect(result.secret).to.deep.equal({ api_key: 'CANARY-hvac-approle-4d1c' });
    expect(result.looked).to.include({ type: 'batch' });
    expect(result.looked.bound_cidrs).to.deep.equal(['127.0.0.0/8']);
    expect(result.renewed).to.match(/batch tokens cannot be renewed/);
    expect(result.periodic).to.match(/'token_type' cannot be 'batch' or 'default_batch' when set to generate periodic tokens/);
  });

  it('logs in with the role ID alone on a CIDR-bound role, then tidies and deletes roles', async () => {
    const result = (await hvac(`
role_id = client.auth.approle.read_role_id(role_name="ci")["data"]["role_id"]
login = client.auth.approle.login(role_id=role_id, use_token=False)["auth"]
tidy = client.adapter.post("/v1/auth/approle/tidy/secret-id")
client.auth.approle.delete_role(role_name="ci")
result = {"login": login, "tidy": tidy, "roles": client.auth.approle.list_roles()["data"]["keys"]}
`)) as Record<string, any>;
    expect(result.login.policies).to.deep.equal(['default']);
    expect(result.login.lease_duration).to.equal(1800);
    expect(result.tidy.status_code).to.equal(202);
    expect(result.tidy.json.warnings[0]).to.match(/^Tidy operation successfully started/);
    expect(result.roles).to.deep.equal(['batchy', 'once', 'web']);
  });
});
