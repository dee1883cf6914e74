import { expect } from 'chai';
import { HvacError, runHvac } from '../helpers/hvac.js';
import { startSqliteServer, type ServerHandle } from '../helpers/test-cluster.js';

/** Identity driven by a second real client: Debian's python3-hvac, the way its documentation shows. */
describe('identity through hvac (python3-hvac)', function () {
  this.timeout(120_000);
  let server: ServerHandle;
  const hvac = (body: string, token = server.rootToken) => runHvac(server.addr, token, body);

  before(async () => {
    server = await startSqliteServer();
    await hvac(`
client.sys.enable_auth_method(method_type="userpass")
client.sys.enable_auth_method(method_type="approle")
client.sys.enable_secrets_engine(backend_type="kv", path="team", options={"version": "1"})
client.sys.create_or_update_policy(name="team-read", policy='path "team/*" { capabilities = ["read"] }')
client.secrets.kv.v1.create_or_update_secret(mount_point="team", path="doc", secret={"v": "CANARY-hvac-identity-77e0"})
result = True
`);
  });
  after(async () => {
    await server?.stop();
  });

  it('creates, reads, updates, lists and deletes entities by id and by name', async () => {
    const result = (await hvac(`
created = client.secrets.identity.create_or_update_entity(name="alice", metadata={"team": "blue"}, policies=["p1"])["data"]
by_id = client.secrets.identity.read_entity(entity_id=created["id"])["data"]
client.secrets.identity.update_entity(entity_id=created["id"], name="alice", policies=["p1", "p2"])
by_name = client.secrets.identity.read_entity_by_name(name="alice")["data"]
bob = client.secrets.identity.create_or_update_entity_by_name(name="bob", policies=["x"])["data"]
ids = client.secrets.identity.list_entities()["data"]["keys"]
names = client.secrets.identity.list_entities_by_name()["data"]["keys"]
names_get = client.secrets.identity.list_entities_by_name(method="GET")["data"]["keys"]
client.secrets.identity.delete_entity_by_name(name="bob")
names_after = client.secrets.identity.list_entities_by_name()["data"]["keys"]
result = {"created": created, "by_id": by_id, "by_name": by_name, "bob": bob, "ids": ids, "names": names, "names_get": names_get, "names_after": names_after}
`)) as Record<string, any>;
    expect(result.created.name).to.equal('alice');
    expect(result.by_id).to.include({ id: result.created.id, name: 'alice', disabled: false });
    expect(result.by_id.metadata).to.deep.equal({ team: 'blue' });
    expect(result.by_name.policies).to.deep.equal(['p1', 'p2']);
    expect(result.ids).to.have.members([result.created.id, result.bob.id]);
    expect(result.names).to.deep.equal(['alice', 'bob']);
    expect(result.names_get).to.deep.equal(['alice', 'bob']);
    expect(result.names_after).to.deep.equal(['alice']);
  });

  it('creates entity aliases on a mount, reads, updates, lists and deletes them', async () => {
    const result = (await hvac(`
accessor = client.sys.list_auth_methods()["data"]["userpass/"]["accessor"]
entity = client.secrets.identity.read_entity_by_name(name="alice")["data"]
alias = client.secrets.identity.create_or_update_entity_alias(name="alice-login", canonical_id=entity["id"], mount_accessor=accessor)["data"]
read = client.secrets.identity.read_entity_alias(alias_id=alias["id"])["data"]
client.secrets.identity.update_entity_alias(alias_id=alias["id"], name="alice-renamed", canonical_id=entity["id"], mount_accessor=accessor)
renamed = client.secrets.identity.read_entity_alias(alias_id=alias["id"])["data"]["name"]
listed = client.secrets.identity.list_entity_aliases()["data"]["keys"]
looked = client.secrets.identity.lookup_entity(alias_name="alice-renamed", alias_mount_accessor=accessor)["data"]["name"]
client.secrets.identity.delete_entity_alias(alias_id=alias["id"])
aliases_after = client.secrets.identity.read_entity(entity_id=entity["id"])["data"]["aliases"]
result = {"accessor": accessor, "alias": alias, "read": read, "renamed": renamed, "listed": listed, "looked": looked, "aliases_after": aliases_after}
`)) as Record<string, any>;
    expect(result.read).to.include({ name: 'alice-login', mount_accessor: result.accessor, mount_type: 'userpass', mount_path: 'auth/userpass/' });
    expect(result.renamed).to.equal('alice-renamed');
    expect(result.listed).to.deep.equal([result.alias.id]);
    expect(result.looked).to.equal('alice');
    expect(result.aliases_after).to.deep.equal([]);
  });

  it('builds internal groups with member entities and groups; an external group takes a group alias', async () => {
    const result = (await hvac(`
alice = client.secrets.identity.read_entity_by_name(name="alice")["data"]["id"]
inner = client.secrets.identity.create_or_update_group(name="inner", group_type="internal", member_entity_ids=[alice], policies=["inner-p"])["data"]
outer = client.secrets.identity.create_or_update_group_by_name(name="outer", group_type="internal", member_group_ids=[inner["id"]])["data"]
client.secrets.identity.update_group(group_id=inner["id"], name="inner", policies=["inner-p", "more"], member_entity_ids=[alice])
inner_read = client.secrets.identity.read_group(group_id=inner["id"])["data"]
outer_read = client.secrets.identity.read_group_by_name(name="outer")["data"]
entity = client.secrets.identity.read_entity(entity_id=alice)["data"]
ext = client.secrets.identity.create_or_update_group(name="ldap-admins", group_type="external")["data"]
accessor = client.sys.list_auth_methods()["data"]["userpass/"]["accessor"]
galias = client.secrets.identity.create_or_update_group_alias(name="admins", mount_accessor=accessor, canonical_id=ext["id"])["data"]
galias_read = client.secrets.identity.read_group_alias(alias_id=galias["id"])["data"]
galiases = client.secrets.identity.list_group_aliases()["data"]["keys"]
by_alias = client.secrets.identity.lookup_group(alias_id=galias["id"])["data"]["name"]
groups = client.secrets.identity.list_groups_by_name()["data"]["keys"]
client.secrets.identity.delete_group_alias(entity_id=galias["id"])
client.secrets.identity.delete_group_by_name(name="ldap-admins")
client.secrets.identity.delete_group(group_id=outer["id"])
groups_after = client.secrets.identity.list_groups()["data"]["keys"]
missing = client.secrets.identity.lookup_group(name="ldap-admins")
result = {"inner": inner, "outer": outer, "inner_read": inner_read, "outer_read": outer_read, "entity": entity, "galias_read": galias_read,
          "ext": ext, "galiases": galiases, "by_alias": by_alias, "groups": groups, "groups_after": groups_after, "missing": missing}
`)) as Record<string, any>;
    expect(result.inner_read.policies).to.deep.equal(['inner-p', 'more']);
    expect(result.inner_read.parent_group_ids).to.deep.equal([result.outer.id]);
    expect(result.outer_read.member_group_ids).to.deep.equal([result.inner.id]);
    expect(result.entity.direct_group_ids).to.deep.equal([result.inner.id]);
    expect(result.entity.inherited_group_ids).to.deep.equal([result.outer.id]);
    expect(result.galias_read).to.include({ name: 'admins', canonical_id: result.ext.id });
    expect(result.galiases).to.have.length(1);
    expect(result.by_alias).to.equal('ldap-admins');
    expect(result.groups).to.deep.equal(['inner', 'ldap-admins', 'outer']);
    expect(result.groups_after).to.deep.equal([result.inner.id]);
    expect(result.missing).to.deep.equal({ status_code: 204, json: null });
  });

  it('gives userpass and AppRole logins an entity_id; group policies apply to the entity tokens', async () => {
    const result = (await hvac(`
client.auth.userpass.create_or_update_user(username="carol", password="CANARY-pw-carol-31", policies=[])
client.auth.approle.create_or_update_approle(role_name="svc")
role_id = client.auth.approle.read_role_id(role_name="svc")["data"]["role_id"]
secret_id = client.auth.approle.generate_secret_id(role_name="svc")["data"]["secret_id"]
user = hvac.Client(url=client.url)
up = user.auth.userpass.login(username="carol", password="CANARY-pw-carol-31")["auth"]
machine = hvac.Client(url=client.url)
ar = machine.auth.approle.login(role_id=role_id, secret_id=secret_id)["auth"]
try:
    user.secrets.kv.v1.read_secret(mount_point="team", path="doc")
    before = "allowed"
except hvac.exceptions.Forbidden:
    before = "forbidden"
client.secrets.identity.create_or_update_group(name="team", member_entity_ids=[up["entity_id"], ar["entity_id"]], policies=["team-read"])
after_user = user.secrets.kv.v1.read_secret(mount_point="team", path="doc")["data"]
after_machine = machine.secrets.kv.v1.read_secret(mount_point="team", path="doc")["data"]
accessor = client.sys.list_auth_methods()["data"]["userpass/"]["accessor"]
entity = client.secrets.identity.lookup_entity(alias_name="carol", alias_mount_accessor=accessor)["data"]
result = {"up": up, "ar": ar, "before": before, "after_user": after_user, "after_machine": after_machine, "entity": entity}
`)) as Record<string, any>;
    expect(result.up.entity_id).to.match(/^[0-9a-f-]{36}$/);
    expect(result.ar.entity_id).to.match(/^[0-9a-f-]{36}$/);
    expect(result.ar.entity_id).not.to.equal(result.up.entity_id);
    expect(result.before).to.equal('forbidden');
    expect(result.after_user).to.deep.equal({ v: 'CANARY-hvac-identity-77e0' });
    expect(result.after_machine).to.deep.equal({ v: 'CANARY-hvac-identity-77e0' });
    expect(result.entity.id).to.equal(result.up.entity_id);
    expect(result.entity.aliases[0]).to.include({ name: 'carol', mount_type: 'userpass' });
  });

  it("gives a child token its parent's entity: lookup shows identity_policies, get_capabilities counts them", async () => {
    const result = (await hvac(`
client.sys.create_or_update_policy(name="creator", policy='path "auth/token/create" { capabilities = ["update"] }')
client.auth.userpass.create_or_update_user(username="dave", password="CANARY-pw-dave-52", policies=["creator"])
user = hvac.Client(url=client.url)
up = user.auth.userpass.login(username="dave", password="CANARY-pw-dave-52")["auth"]
client.secrets.identity.create_or_update_group(name="dave-team", member_entity_ids=[up["entity_id"]], policies=["team-read"])
made = user.auth.token.create(policies=["default"])["auth"]
child = hvac.Client(url=client.url, token=made["client_token"])
looked = child.auth.token.lookup_self()["data"]
by_accessor = client.auth.token.lookup_accessor(made["accessor"])["data"]
own = child.sys.get_capabilities(paths=["team/doc"])
other = client.sys.get_capabilities(paths=["team/doc"], token=made["client_token"])
acc = client.sys.get_capabilities(paths=["team/doc"], accessor=made["accessor"])
doc = child.secrets.kv.v1.read_secret(mount_point="team", path="doc")["data"]
result = {"up": up, "made": made, "looked": looked, "by_accessor": by_accessor, "own": own, "other": other, "acc": acc, "doc": doc}
`)) as Record<string, any>;
    expect(result.made.entity_id).to.equal(result.up.entity_id);
    expect(result.made.policies).to.deep.equal(['default']);
    expect(result.looked).to.include({ entity_id: result.up.entity_id });
    expect(result.looked.identity_policies).to.deep.equal(['team-read']);
    expect(result.by_accessor.identity_policies).to.deep.equal(['team-read']);
    for (const answer of [result.own, result.other, result.acc]) expect(answer.capabilities).to.deep.equal(['read']);
    expect(result.doc).to.deep.equal({ v: 'CANARY-hvac-identity-77e0' });
  });

  it('merges entities with merge_entities and batch-deletes with entity/batch-delete', async () => {
    const result = (await hvac(`
to = client.secrets.identity.create_or_update_entity(name="merge-to", policies=["a"])["data"]["id"]
src = client.secrets.identity.create_or_update_entity(name="merge-from", policies=["b"])["data"]["id"]
client.secrets.identity.merge_entities(from_entity_ids=[src], to_entity_id=to)
merged = client.secrets.identity.read_entity(entity_id=to)["data"]
gone = client.secrets.identity.lookup_entity(entity_id=src)
client.adapter.post("/v1/identity/entity/batch-delete", json={"entity_ids": [to]})
after = client.secrets.identity.lookup_entity(name="merge-to")
result = {"merged": merged, "src": src, "gone": gone, "after": after}
`)) as Record<string, any>;
    expect(result.merged.policies).to.deep.equal(['a', 'b']);
    expect(result.merged.merged_entity_ids).to.deep.equal([result.src]);
    expect(result.gone).to.deep.equal({ status_code: 204, json: null });
    expect(result.after).to.deep.equal({ status_code: 204, json: null });
  });

  it('answers bad identity input with InvalidRequest and changes nothing', async () => {
    const listAliases = `result = client.secrets.identity.list_entity_aliases()["data"]["keys"]`;
    const before = await hvac(listAliases);
    let error: unknown;
    try {
      await hvac(`client.secrets.identity.create_or_update_entity_alias(name="x", canonical_id="no-such-entity", mount_accessor="auth_nope")`);
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(HvacError);
    expect((error as HvacError).pythonClass).to.equal('hvac.exceptions.InvalidRequest');
    expect((error as HvacError).message).to.include('invalid mount accessor');
    expect(await hvac(listAliases)).to.deep.equal(before);
  });
});
