import { expect } from 'chai';
import { HvacError, runHvac } from '../helpers/hvac.js';
import { startDevServer, type ServerHandle } from '../helpers/test-cluster.js';

/**
 * hvac (Debian's python3-hvac) driving the token store: create, lookup (self, accessor), renew
 * (self, accessor), revoke (self, accessor, orphaning), accessors, roles and creation against them,
 * periodic tokens.
 */
describe('hvac against ferry: token store', function () {
  this.timeout(120_000);
  let server: ServerHandle;

  before(async () => {
    server = await startDevServer();
  });

  after(async () => {
    await server?.stop();
  });

  const hvac = (body: string, token = server.rootToken) => runHvac(server.addr, token, body) as Promise<any>;

  it('creates tokens and looks them up by id, by self and by accessor', async () => {
    const result = await hvac(`
created = client.auth.token.create(policies=["app"], ttl="1h", meta={"team": "ops"}, display_name="ci")
token = created["auth"]["client_token"]
accessor = created["auth"]["accessor"]
result = {
    "created": created["auth"],
    "lookup": client.auth.token.lookup(token)["data"],
    "by_accessor": client.auth.token.lookup_accessor(accessor)["data"],
    "accessors": client.auth.token.list_accessors()["data"]["keys"],
}
child = hvac.Client(url=client.url, token=token)
result["self"] = child.auth.token.lookup_self()["data"]
`);
    expect(result.created).to.include({ renewable: true, orphan: false, lease_duration: 3600 });
    expect(result.created.policies).to.deep.equal(['app', 'default']);
    expect(result.lookup).to.include({ display_name: 'token-ci', path: 'auth/token/create', accessor: result.created.accessor });
    expect(result.lookup.meta).to.deep.equal({ team: 'ops' });
    expect(result.by_accessor).to.include({ id: '', accessor: result.created.accessor });
    expect(result.self.id).to.equal(result.created.client_token);
    expect(result.accessors).to.include(result.created.accessor);
  });

  it('renews by token, by self and by accessor', async () => {
    const result = await hvac(`
created = client.auth.token.create(policies=["app"], ttl="10m")["auth"]
child = hvac.Client(url=client.url, token=created["client_token"])
result = {
    "renew": client.auth.token.renew(created["client_token"], increment="20m")["auth"],
    "self": child.auth.token.renew_self(increment="30m")["auth"],
    "accessor": client.auth.token.renew_accessor(created["accessor"], increment="40m")["auth"],
}
`);
    expect(result.renew.lease_duration).to.be.within(1198, 1200);
    expect(result.self.lease_duration).to.be.within(1798, 1800);
    expect(result.accessor.lease_duration).to.be.within(2398, 2400);
    expect(result.accessor.client_token).to.equal('');
  });

  it('revokes by accessor, by token (with children), by self, and orphans children on revoke-orphan', async () => {
    const result = await hvac(`
def alive(t):
    try:
        client.auth.token.lookup(t)
        return True
    except hvac.exceptions.Forbidden:
        return False
client.sys.create_or_update_policy(name="parent", policy='path "auth/token/create" { capabilities = ["update"] }')
a = client.auth.token.create(policies=["app"])["auth"]
client.auth.token.revoke_accessor(a["accessor"])
parent = client.auth.token.create(policies=["parent"])["auth"]
as_parent = hvac.Client(url=client.url, token=parent["client_token"])
kid = as_parent.auth.token.create(policies=["parent"])["auth"]
client.auth.token.revoke(parent["client_token"])
parent2 = client.auth.token.create(policies=["parent"])["auth"]
kid2 = hvac.Client(url=client.url, token=parent2["client_token"]).auth.token.create(policies=["parent"])["auth"]
client.auth.token.revoke_and_orphan_children(parent2["client_token"])
me = client.auth.token.create(policies=["app"])["auth"]
hvac.Client(url=client.url, token=me["client_token"]).auth.token.revoke_self()
result = {
    "accessor_revoked": not alive(a["client_token"]),
    "parent_revoked": not alive(parent["client_token"]),
    "child_revoked": not alive(kid["client_token"]),
    "orphaned_child_alive": alive(kid2["client_token"]),
    "orphaned_child": client.auth.token.lookup(kid2["client_token"])["data"]["orphan"],
    "self_revoked": not alive(me["client_token"]),
}
`);
    expect(result).to.deep.equal({
      accessor_revoked: true,
      parent_revoked: true,
      child_revoked: true,
      orphaned_child_alive: true,
      orphaned_child: true,
      self_revoked: true,
    });
  });

  it('manages token roles (create_or_update_role, read_role, list_roles, delete_role) and creates tokens against them', async () => {
    const result = await hvac(`
client.sys.create_or_update_policy(name="app", policy='path "secret/*" { capabilities = ["read"] }')
client.auth.token.create_or_update_role("deploy", allowed_policies=["app", "ci"], disallowed_policies=["admin"], orphan=True, renewable=False, path_suffix="v1")
role = client.auth.token.read_role("deploy")["data"]
roles = client.auth.token.list_roles()["data"]["keys"]
made = client.auth.token.create(role_name="deploy", policies=["app"])["auth"]
lookup = client.auth.token.lookup(made["client_token"])["data"]
default_policies = client.auth.token.create(role_name="deploy")["auth"]["policies"]
result = {"role": role, "roles": roles, "made": made, "lookup": lookup, "default_policies": default_policies}
try:
    client.auth.token.create(role_name="deploy", policies=["admin"])
except hvac.exceptions.InvalidRequest as exc:
    result["refused"] = exc.errors
client.sys.revoke_prefix("auth/token/create/deploy")
try:
    client.auth.token.lookup(made["client_token"])
    result["revoked_by_prefix"] = False
except hvac.exceptions.Forbidden:
    result["revoked_by_prefix"] = True
client.auth.token.delete_role("deploy")
try:
    client.auth.token.read_role("deploy")
except hvac.exceptions.InvalidPath:
    result["deleted"] = True
`);
    expect(result.role).to.include({ orphan: true, renewable: false, path_suffix: 'v1', token_type: 'default-service' });
    expect(result.role.allowed_policies).to.deep.equal(['app', 'ci']);
    expect(result.roles).to.deep.equal(['deploy']);
    expect(result.made).to.include({ orphan: true, renewable: false });
    expect(result.made.policies).to.deep.equal(['app', 'default']);
    expect(result.lookup).to.include({ path: 'auth/token/create/deploy/v1', role: 'deploy' });
    expect(result.default_policies).to.deep.equal(['app', 'ci', 'default']);
    expect(result.refused).to.deep.equal(['token policies (["admin"]) must be subset of the role\'s allowed policies (["app" "ci"])']);
    expect(result.revoked_by_prefix).to.equal(true);
    expect(result.deleted).to.equal(true);
  });

  it('issues periodic tokens whose lease_duration is the period, from a role (create_token_role) and directly', async () => {
    const result = await hvac(`
client.create_token_role("periodic", period="1h", explicit_max_ttl="3h")
from_role = client.auth.token.create(role_name="periodic", policies=["app"])["auth"]
direct = client.auth.token.create(policies=["app"], period="30m")["auth"]
renewed = client.auth.token.renew(direct["client_token"], increment="5h")["auth"]
lookup = client.auth.token.lookup(direct["client_token"])["data"]
result = {"from_role": from_role, "direct": direct, "renewed": renewed, "lookup": lookup, "role": client.auth.token.read_role("periodic")["data"]}
`);
    expect(result.role).to.include({ period: 3600, token_period: 3600, explicit_max_ttl: 10800, token_explicit_max_ttl: 10800 });
    expect(result.from_role.lease_duration).to.equal(3600);
    expect(result.direct.lease_duration).to.equal(1800);
    expect(result.renewed.lease_duration).to.be.within(1798, 1800);
    expect(result.lookup).to.include({ period: 1800 });
  });

  it('issues batch tokens (type="batch") that authorize but are neither stored, renewed nor revoked', async () => {
    const result = await hvac(`
made = client.auth.token.create(type="batch", policies=["app"], ttl="5m")["auth"]
as_batch = hvac.Client(url=client.url, token=made["client_token"])
result = {"made": made, "self": as_batch.auth.token.lookup_self()["data"]}
try:
    as_batch.auth.token.renew_self()
except hvac.exceptions.InvalidRequest as exc:
    result["renew"] = exc.errors
`);
    expect(result.made.client_token).to.match(/^hvb\./);
    expect(result.made).to.include({ token_type: 'batch', accessor: '', renewable: false });
    expect(result.made.lease_duration).to.equal(300);
    expect(result.self).to.include({ type: 'batch', id: result.made.client_token });
    expect(result.renew).to.deep.equal(['batch tokens cannot be renewed']);
  });

  it('refuses a periodic token to a caller without sudo', async () => {
    const token = (await hvac(`
client.sys.create_or_update_policy(name="creator", policy='path "auth/token/create" { capabilities = ["update"] }')
result = client.auth.token.create(policies=["creator"])["auth"]["client_token"]
`)) as string;
    const failure = await runHvac(server.addr, token, 'result = client.auth.token.create(policies=["creator"], period="1h")').catch((err: unknown) => err);
    expect((failure as HvacError).pythonClass).to.equal('hvac.exceptions.InvalidRequest');
    expect((failure as HvacError).errors).to.deep.equal(['root or sudo privileges required to create periodic token']);
  });
});
