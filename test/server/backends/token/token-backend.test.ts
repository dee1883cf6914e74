import { expect } from 'chai';
import { startInProcessCore, writePolicy, type InProcessCore } from '../../../helpers/in-process-core.js';

describe('token backend and identity', () => {
  let env: InProcessCore;
  let entityId: string;
  let userToken: string;
  beforeEach(async () => {
    env = await startInProcessCore();
    await env.call('update', 'sys/auth/userpass', { data: { type: 'userpass' } });
    await env.call('update', 'sys/mounts/secret', { data: { type: 'kv' } });
    await env.call('update', 'secret/team', { data: { v: '1' } });
    await writePolicy(env, 'team-read', 'path "secret/team" { capabilities = ["read"] }');
    await writePolicy(env, 'creator', 'path "auth/token/create" { capabilities = ["update"] }');
    await env.call('update', 'auth/userpass/users/ann', { data: { password: 'pw-ann', token_policies: 'creator' } });
    const auth = (await env.call('update', 'auth/userpass/login/ann', { token: '', data: { password: 'pw-ann' } }))?.auth;
    entityId = auth?.entityId as string;
    userToken = auth?.clientToken as string;
    await env.call('update', 'identity/group', { data: { name: 'team', policies: ['team-read'], member_entity_ids: [entityId] } });
  });

  it("gives a child token its parent's entity, whose policies it acts with", async () => {
    expect(entityId).to.match(/^[0-9a-f-]{36}$/);
    const child = (await env.call('update', 'auth/token/create', { token: userToken, data: { policies: 'default' } }))?.auth;
    expect(child?.entityId).to.equal(entityId);
    expect(child?.policies).to.deep.equal(['default']);
    expect((await env.call('read', 'secret/team', { token: child?.clientToken as string }))?.data).to.deep.equal({ v: '1' });
  });

  it('shows entity_id and identity_policies on lookup-self, lookup and lookup-accessor', async () => {
    const child = (await env.call('update', 'auth/token/create', { token: userToken, data: { policies: 'default' } }))?.auth;
    const childToken = child?.clientToken as string;
    const self = (await env.call('read', 'auth/token/lookup-self', { token: childToken }))?.data;
    expect(self).to.include({ entity_id: entityId });
    expect(self?.identity_policies).to.deep.equal(['team-read']);
    expect(self?.policies).to.deep.equal(['default']);
    const byId = (await env.call('update', 'auth/token/lookup', { data: { token: userToken } }))?.data;
    expect(byId?.identity_policies).to.deep.equal(['team-read']);
    const byAccessor = (await env.call('update', 'auth/token/lookup-accessor', { data: { accessor: child?.accessor } }))?.data;
    expect(byAccessor).to.include({ entity_id: entityId });
    expect(byAccessor?.identity_policies).to.deep.equal(['team-read']);
  });

  it('has no identity_policies on a token without an entity or whose entity adds none', async () => {
    const root = (await env.call('read', 'auth/token/lookup-self'))?.data;
    expect(root).to.include({ entity_id: '' });
    expect(root).to.not.have.property('identity_policies');
    await env.call('update', 'identity/group/name/team', { data: { policies: [] } });
    const self = (await env.call('read', 'auth/token/lookup-self', { token: userToken }))?.data;
    expect(self).to.include({ entity_id: entityId });
    expect(self).to.not.have.property('identity_policies');
  });

  it('counts identity policies in sys/capabilities-self, capabilities and capabilities-accessor as enforcement does', async () => {
    const child = (await env.call('update', 'auth/token/create', { token: userToken, data: { policies: 'default' } }))?.auth;
    const childToken = child?.clientToken as string;
    const self = (await env.call('update', 'sys/capabilities-self', { token: childToken, data: { paths: ['secret/team'] } }))?.data;
    expect(self?.capabilities).to.deep.equal(['read']);
    const other = (await env.call('update', 'sys/capabilities', { data: { token: childToken, paths: ['secret/team'] } }))?.data;
    expect(other?.capabilities).to.deep.equal(['read']);
    const byAccessor = (await env.call('update', 'sys/capabilities-accessor', { data: { accessor: child?.accessor, paths: ['secret/team'] } }))?.data;
    expect(byAccessor?.capabilities).to.deep.equal(['read']);
    await env.call('update', 'identity/group/name/team', { data: { policies: [] } });
    const after = (await env.call('update', 'sys/capabilities-self', { token: childToken, data: { paths: ['secret/team'] } }))?.data;
    expect(after?.capabilities).to.deep.equal(['deny']);
    await env.fails('read', 'secret/team', 'permission_denied', { token: childToken });
  });

  it("creates a token against a role with an allowed entity_alias: the alias's entity, made on first use", async () => {
    await env.call('update', 'auth/token/roles/svc', { data: { allowed_entity_aliases: 'svc-*,Exact', orphan: true } });
    const make = (alias: string) => env.call('update', 'auth/token/create/svc', { data: { entity_alias: alias, policies: 'default' } });
    const first = (await make('svc-a'))?.auth;
    expect(first?.entityId).to.match(/^[0-9a-f-]{36}$/);
    expect((await make('svc-a'))?.auth?.entityId).to.equal(first?.entityId);
    expect((await make('exact'))?.auth?.entityId).to.not.equal(first?.entityId);
    const entity = (await env.call('read', `identity/entity/id/${first?.entityId as string}`))?.data as { aliases: { name: string; mount_type: string }[] };
    expect(entity.aliases.map((a) => [a.name, a.mount_type])).to.deep.equal([['svc-a', 'token']]);
    // The alias's entity replaces the parent's.
    await writePolicy(env, 'svc-creator', 'path "auth/token/create/svc" { capabilities = ["update"] }');
    await env.call('update', 'auth/userpass/users/ann', { data: { token_policies: 'creator,svc-creator' } });
    const ann = (await env.call('update', 'auth/userpass/login/ann', { token: '', data: { password: 'pw-ann' } }))?.auth?.clientToken as string;
    const viaUser = (await env.call('update', 'auth/token/create/svc', { token: ann, data: { entity_alias: 'svc-a', policies: 'default' } }))?.auth;
    expect(viaUser?.entityId).to.equal(first?.entityId);
    const refused = await env.fails('update', 'auth/token/create/svc', 'invalid_request', { data: { entity_alias: 'other' } });
    expect(refused.message).to.equal("invalid 'entity_alias' value");
    const noRole = await env.fails('update', 'auth/token/create', 'invalid_request', { data: { entity_alias: 'svc-a' } });
    expect(noRole.message).to.equal("'entity_alias' is only allowed in combination with token role");
    await env.call('update', `identity/entity/id/${first?.entityId as string}`, { data: { disabled: true } });
    await env.fails('update', 'auth/token/create/svc', 'permission_denied', { data: { entity_alias: 'svc-a' } });
  });
});
