import { expect } from 'chai';
import { VaultError } from '../../../../server/core/vault-error.js';
import { startInProcessCore, writePolicy, type InProcessCore } from '../../../helpers/in-process-core.js';

describe('identity backend', () => {
  let env: InProcessCore;
  let userpassAccessor: string;
  beforeEach(async () => {
    env = await startInProcessCore();
    await env.call('update', 'sys/auth/userpass', { data: { type: 'userpass' } });
    userpassAccessor = ((await env.call('read', 'sys/auth'))?.data?.['userpass/'] as { accessor: string }).accessor;
  });

  const write = async (path: string, data: Record<string, unknown>) => (await env.call('update', `identity/${path}`, { data }))?.data as Record<string, any>;
  const read = async (path: string) => (await env.call('read', `identity/${path}`))?.data as Record<string, any>;

  it('creates an entity, reads it by id and by name, updates and lists it', async () => {
    const created = await write('entity', { name: 'alice', policies: 'p1,p2', metadata: { team: 'blue' } });
    expect(created.id).to.match(/^[0-9a-f-]{36}$/);
    expect(created.name).to.equal('alice');
    const byId = await read(`entity/id/${created.id}`);
    expect(byId).to.include({ name: 'alice', disabled: false });
    expect(byId.policies).to.deep.equal(['p1', 'p2']);
    expect(byId.metadata).to.deep.equal({ team: 'blue' });
    expect(byId.aliases).to.deep.equal([]);
    expect((await read('entity/name/alice')).id).to.equal(created.id);
    await write(`entity/id/${created.id}`, { name: 'alice2', disabled: true });
    expect(await read('entity/name/alice2')).to.include({ id: created.id, disabled: true });
    await env.fails('read', 'identity/entity/name/alice', 'not_found');
    expect((await env.call('list', 'identity/entity/id'))?.data?.keys).to.deep.equal([created.id]);
    expect((await env.call('list', 'identity/entity/name/'))?.data?.keys).to.deep.equal(['alice2']);
  });

  it('creates and updates an entity by name, and refuses a name another entity holds', async () => {
    const created = await write('entity/name/bob', { policies: ['x'] });
    expect(created.name).to.equal('bob');
    expect(await env.call('update', 'identity/entity/name/bob', { data: { policies: ['y'] } })).to.equal(undefined);
    expect((await read('entity/name/bob')).policies).to.deep.equal(['y']);
    const other = await write('entity', { name: 'carol' });
    const err = await env.fails('update', `identity/entity/id/${other.id}`, 'invalid_request', { data: { name: 'bob' } });
    expect(err.message).to.equal('entity name is already in use');
    await env.fails('update', 'identity/entity', 'invalid_request', { data: { name: 'z', metadata: { n: 1 } } });
    await env.fails('read', 'identity/entity/name/z', 'not_found');
  });

  it('adds aliases to an entity: one per mount, unique names per mount, known mounts only', async () => {
    const entity = await write('entity', { name: 'dave' });
    const alias = await write('entity-alias', { name: 'dave-login', canonical_id: entity.id, mount_accessor: userpassAccessor });
    expect(alias).to.deep.equal({ id: alias.id, canonical_id: entity.id });
    const view = await read(`entity-alias/id/${alias.id}`);
    expect(view).to.include({ name: 'dave-login', mount_type: 'userpass', mount_path: 'auth/userpass/', canonical_id: entity.id });
    expect((await read(`entity/id/${entity.id}`)).aliases.map((a: { id: string }) => a.id)).to.deep.equal([alias.id]);
    const second = await env.fails('update', 'identity/entity-alias', 'invalid_request', {
      data: { name: 'other', canonical_id: entity.id, mount_accessor: userpassAccessor },
    });
    expect(second.message).to.equal('alias already exists for requested entity and mount accessor');
    const other = await write('entity', { name: 'erin' });
    const taken = await env.fails('update', 'identity/entity-alias', 'invalid_request', {
      data: { name: 'dave-login', canonical_id: other.id, mount_accessor: userpassAccessor },
    });
    expect(taken.message).to.equal('combination of mount and alias name is already in use');
    const badMount = await env.fails('update', 'identity/entity-alias', 'invalid_request', {
      data: { name: 'x', canonical_id: other.id, mount_accessor: 'auth_nope' },
    });
    expect(badMount.message).to.equal('invalid mount accessor "auth_nope"');
    expect((await env.call('list', 'identity/entity-alias/id'))?.data?.keys).to.deep.equal([alias.id]);
    // Deleting the entity deletes its aliases.
    await env.call('delete', `identity/entity/id/${entity.id}`);
    await env.fails('read', `identity/entity-alias/id/${alias.id}`, 'not_found');
  });

  it('gives a userpass login the entity of its alias, created on the first login', async () => {
    await env.call('update', 'auth/userpass/users/frank', { data: { password: 'pw-frank' } });
    const first = await env.call('update', 'auth/userpass/login/frank', { token: '', data: { password: 'pw-frank' } });
    const entityId = first?.auth?.entityId as string;
    expect(entityId).to.match(/^[0-9a-f-]{36}$/);
    const found = (await env.call('update', 'identity/lookup/entity', { data: { alias_name: 'frank', alias_mount_accessor: userpassAccessor } }))?.data;
    expect(found?.id).to.equal(entityId);
    const second = await env.call('update', 'auth/userpass/login/frank', { token: '', data: { password: 'pw-frank' } });
    expect(second?.auth?.entityId).to.equal(entityId);
  });

  it('builds internal groups of entities and groups, with inherited membership and no cycles', async () => {
    const e = await write('entity', { name: 'gina' });
    const inner = await write('group', { name: 'inner', member_entity_ids: [e.id], policies: 'inner-p' });
    const outer = await write('group', { name: 'outer', member_group_ids: [inner.id] });
    const entity = await read(`entity/id/${e.id}`);
    expect(entity.direct_group_ids).to.deep.equal([inner.id]);
    expect(entity.group_ids).to.have.members([inner.id, outer.id]);
    expect(entity.inherited_group_ids).to.deep.equal([outer.id]);
    expect(await read('group/name/outer')).to.include({ id: outer.id, type: 'internal' });
    expect((await read(`group/id/${inner.id}`)).parent_group_ids).to.deep.equal([outer.id]);
    const cycle = await env.fails('update', `identity/group/id/${inner.id}`, 'invalid_request', { data: { member_group_ids: [outer.id] } });
    expect(cycle.message).to.equal('member group ID would create a cycle');
    await env.fails('update', 'identity/group', 'invalid_request', { data: { name: 'bad', member_entity_ids: ['no-such-entity'] } });
    await env.fails('read', 'identity/group/name/bad', 'not_found');
    expect((await env.call('list', 'identity/group/name'))?.data?.keys).to.deep.equal(['inner', 'outer']);
    await env.call('delete', 'identity/group/name/inner');
    expect((await read(`group/id/${outer.id}`)).member_group_ids).to.deep.equal([]);
  });

  it('gives group aliases to external groups only', async () => {
    const internal = await write('group', { name: 'int' });
    const external = await write('group', { name: 'ext', type: 'external' });
    await env.fails('update', 'identity/group-alias', 'invalid_request', { data: { name: 'g', canonical_id: internal.id, mount_accessor: userpassAccessor } });
    const alias = await write('group-alias', { name: 'g', canonical_id: external.id, mount_accessor: userpassAccessor });
    expect((await read(`group-alias/id/${alias.id}`)).canonical_id).to.equal(external.id);
    expect((await read('group/name/ext')).alias.id).to.equal(alias.id);
    expect((await env.call('update', 'identity/lookup/group', { data: { alias_id: alias.id } }))?.data?.name).to.equal('ext');
    await env.fails('update', `identity/group/id/${external.id}`, 'invalid_request', { data: { member_entity_ids: [] } });
    await env.call('delete', `identity/group-alias/id/${alias.id}`);
    await env.fails('list', 'identity/group-alias/id', 'not_found');
  });

  it('looks entities up by one criterion; no match is empty; two criteria are a 400', async () => {
    const e = await write('entity', { name: 'hank' });
    expect((await env.call('update', 'identity/lookup/entity', { data: { name: 'hank' } }))?.data?.id).to.equal(e.id);
    expect((await env.call('update', 'identity/lookup/entity', { data: { id: e.id } }))?.data?.name).to.equal('hank');
    expect(await env.call('update', 'identity/lookup/entity', { data: { name: 'nobody' } })).to.equal(undefined);
    await env.fails('update', 'identity/lookup/entity', 'invalid_request', { data: { name: 'hank', id: e.id } });
    await env.fails('update', 'identity/lookup/entity', 'invalid_request', { data: {} });
  });

  it("adds the entity's and its groups' policies to its tokens, and refuses a disabled entity's tokens", async () => {
    await env.call('update', 'sys/mounts/secret', { data: { type: 'kv' } });
    await env.call('update', 'secret/team', { data: { v: '1' } });
    await writePolicy(env, 'team-read', 'path "secret/team" { capabilities = ["read"] }');
    await env.call('update', 'auth/userpass/users/ivy', { data: { password: 'pw-ivy' } });
    const login = async () => (await env.call('update', 'auth/userpass/login/ivy', { token: '', data: { password: 'pw-ivy' } }))?.auth;
    const auth = await login();
    const token = auth?.clientToken as string;
    await env.fails('read', 'secret/team', 'permission_denied', { token });
    await write('group', { name: 'team', policies: ['team-read'], member_entity_ids: [auth?.entityId] });
    expect((await env.call('read', 'secret/team', { token }))?.data).to.deep.equal({ v: '1' });
    await write(`entity/id/${auth?.entityId as string}`, { disabled: true });
    await env.fails('read', 'secret/team', 'permission_denied', { token });
  });

  it('batch-deletes entities and removes them from groups', async () => {
    const a = await write('entity', { name: 'a1' });
    const b = await write('entity', { name: 'b1' });
    const g = await write('group', { name: 'g1', member_entity_ids: [a.id, b.id] });
    await env.call('update', 'identity/entity/batch-delete', { data: { entity_ids: [a.id, b.id] } });
    await env.fails('list', 'identity/entity/id', 'not_found');
    expect((await read(`group/id/${g.id}`)).member_entity_ids).to.deep.equal([]);
  });

  it('merges entities: aliases, policies and group memberships move to the target, the sources go', async () => {
    await env.call('update', 'sys/auth/userpass2', { data: { type: 'userpass' } });
    const otherAccessor = ((await env.call('read', 'sys/auth'))?.data?.['userpass2/'] as { accessor: string }).accessor;
    const to = await write('entity', { name: 'to', policies: ['a'] });
    const from = await write('entity', { name: 'from', policies: ['b'] });
    const alias = await write('entity-alias', { name: 'from-login', canonical_id: from.id, mount_accessor: otherAccessor });
    const group = await write('group', { name: 'g', member_entity_ids: [from.id] });
    await env.call('update', 'identity/entity/merge', { data: { from_entity_ids: [from.id], to_entity_id: to.id } });
    const merged = await read(`entity/id/${to.id}`);
    expect(merged.policies).to.deep.equal(['a', 'b']);
    expect(merged.merged_entity_ids).to.deep.equal([from.id]);
    expect(merged.aliases.map((a: { id: string }) => a.id)).to.deep.equal([alias.id]);
    expect((await read(`group/id/${group.id}`)).member_entity_ids).to.deep.equal([to.id]);
    await env.fails('read', `identity/entity/id/${from.id}`, 'not_found');
    // Two aliases on one mount cannot end up on one entity; nothing changes then.
    const third = await write('entity', { name: 'third' });
    await write('entity-alias', { name: 'third-login', canonical_id: third.id, mount_accessor: otherAccessor });
    const conflict = await env.fails('update', 'identity/entity/merge', 'invalid_request', { data: { from_entity_ids: [third.id], to_entity_id: to.id } });
    expect(conflict.message).to.match(/^conflicting mount accessors/);
    expect((await read(`entity/id/${third.id}`)).name).to.equal('third');
    await env.fails('update', 'identity/entity/merge', 'invalid_request', { data: { from_entity_ids: [to.id], to_entity_id: to.id } });
  });

  it('answers every malformed field with a 400 VaultError', async () => {
    const entity = await write('entity', { name: 'fuzz' });
    const bad: unknown[] = [{ nested: { deeper: 1 } }, [1, [2]], 42, true, 'x'];
    const cases: [string, string[]][] = [
      ['identity/entity', ['metadata', 'policies', 'disabled', 'id']],
      [`identity/entity/id/${entity.id}`, ['metadata', 'policies', 'disabled', 'name']],
      ['identity/entity/name/fuzz2', ['metadata', 'policies']],
      ['identity/entity-alias', ['canonical_id', 'mount_accessor', 'custom_metadata', 'name']],
      ['identity/group', ['type', 'member_entity_ids', 'member_group_ids', 'metadata', 'policies']],
      ['identity/group-alias', ['canonical_id', 'mount_accessor', 'name']],
      ['identity/lookup/entity', ['id', 'name', 'alias_id', 'alias_name']],
      ['identity/entity/merge', ['from_entity_ids', 'to_entity_id']],
      ['identity/entity/batch-delete', ['entity_ids']],
    ];
    for (const [path, fields] of cases) {
      for (const field of fields) {
        for (const value of bad) {
          try {
            await env.call('update', path, { data: { [field]: value } });
          } catch (err) {
            const label = `${path} ${field}=${JSON.stringify(value)}: ${(err as Error).message}`;
            expect(err, label).to.be.instanceOf(VaultError);
            expect((err as VaultError).status, label).to.be.within(400, 499);
          }
        }
      }
    }
    expect((await read(`entity/id/${entity.id}`)).id).to.equal(entity.id);
  });
});
