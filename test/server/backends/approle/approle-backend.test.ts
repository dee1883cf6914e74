import { expect } from 'chai';
import { VaultError } from '../../../../server/core/vault-error.js';
import { startInProcessCore, writePolicy, type InProcessCore } from '../../../helpers/in-process-core.js';

describe('approle backend', () => {
  let env: InProcessCore;
  beforeEach(async () => {
    env = await startInProcessCore();
    await env.call('update', 'sys/auth/approle', { data: { type: 'approle' } });
  });

  const roleId = async (role: string) => (await env.call('read', `auth/approle/role/${role}/role-id`))?.data?.role_id as string;
  const newSecret = async (role: string, data: Record<string, unknown> = {}) =>
    (await env.call('update', `auth/approle/role/${role}/secret-id`, { data }))?.data as {
      secret_id: string;
      secret_id_accessor: string;
      secret_id_num_uses: number;
      secret_id_ttl: number;
    };
  const login = (data: Record<string, unknown>, remoteAddress = '127.0.0.1') => env.call('update', 'auth/approle/login', { token: '', data, remoteAddress });

  it('creates, reads, lists and deletes roles with token settings and a generated role ID', async () => {
    await env.call('update', 'auth/approle/role/Web', {
      data: { token_policies: 'a,b', token_ttl: '1h', token_max_ttl: '2h', secret_id_num_uses: 3, secret_id_ttl: '10m' },
    });
    await env.call('update', 'auth/approle/role/batch', { data: { policies: ['c'], period: '30m' } });
    const read = (await env.call('read', 'auth/approle/role/web'))?.data as Record<string, unknown>;
    expect(read).to.include({ token_ttl: 3600, token_max_ttl: 7200, secret_id_num_uses: 3, secret_id_ttl: 600, bind_secret_id: true, local_secret_ids: false });
    expect(read.token_policies).to.deep.equal(['a', 'b']);
    expect(read).not.to.have.property('hmac_key');
    expect((await env.call('read', 'auth/approle/role/batch'))?.data).to.include({ token_period: 1800, period: 1800 });
    expect((await env.call('list', 'auth/approle/role'))?.data).to.deep.equal({ keys: ['batch', 'web'] });
    expect(await roleId('web')).to.match(/^[0-9a-f-]{36}$/);
    await env.call('delete', 'auth/approle/role/batch');
    await env.fails('read', 'auth/approle/role/batch', 'not_found');
  });

  it('refuses a role without any constraint, and changing local_secret_ids after creation', async () => {
    const err = await env.fails('update', 'auth/approle/role/open', 'invalid_request', { data: { bind_secret_id: false } });
    expect(err.message).to.equal('at least one constraint should be enabled on the role');
    await env.fails('read', 'auth/approle/role/open', 'not_found');
    await env.call('update', 'auth/approle/role/r', { data: {} });
    const local = await env.fails('update', 'auth/approle/role/r', 'invalid_request', { data: { local_secret_ids: true } });
    expect(local.message).to.equal('local_secret_ids can only be modified during role creation');
  });

  it('logs in with role ID and secret ID: policies, metadata, TTL, and an entity for the role ID', async () => {
    await writePolicy(env, 'app', 'path "secret/*" { capabilities = ["read"] }');
    await env.call('update', 'auth/approle/role/web', { data: { token_policies: 'app', token_ttl: '20m' } });
    const id = await roleId('web');
    const secret = await newSecret('web', { metadata: JSON.stringify({ team: 'blue' }) });
    const res = await login({ role_id: id, secret_id: secret.secret_id });
    const auth = res?.auth;
    expect(auth?.policies).to.deep.equal(['app', 'default']);
    expect(auth?.metadata).to.deep.equal({ role_name: 'web', team: 'blue' });
    expect(auth?.leaseDurationSeconds).to.be.within(1190, 1200);
    expect(auth?.entityId).to.match(/^[0-9a-f-]{36}$/);
    const lookup = (await env.call('read', 'auth/token/lookup-self', { token: auth?.clientToken as string }))?.data;
    expect(lookup).to.include({ path: 'auth/approle/login', entity_id: auth?.entityId });
    const entity = (await env.call('read', `identity/entity/id/${auth?.entityId as string}`))?.data as { aliases: { name: string; mount_type: string }[] };
    expect(entity.aliases.map((a) => [a.name, a.mount_type])).to.deep.equal([[id, 'approle']]);
    // A second login is the same entity.
    expect((await login({ role_id: id, secret_id: secret.secret_id }))?.auth?.entityId).to.equal(auth?.entityId);
  });

  it('answers unknown role IDs and wrong secret IDs with the same 400, and needs both fields', async () => {
    await env.call('update', 'auth/approle/role/web', { data: {} });
    const id = await roleId('web');
    expect((await env.fails('update', 'auth/approle/login', 'invalid_request', { token: '', data: { role_id: 'nope', secret_id: 'x' } })).message).to.equal(
      'invalid role or secret ID',
    );
    expect((await env.fails('update', 'auth/approle/login', 'invalid_request', { token: '', data: { role_id: id, secret_id: 'wrong' } })).message).to.equal(
      'invalid role or secret ID',
    );
    expect((await env.fails('update', 'auth/approle/login', 'invalid_request', { token: '', data: { role_id: id } })).message).to.equal('missing secret_id');
    expect((await env.fails('update', 'auth/approle/login', 'invalid_request', { token: '', data: {} })).message).to.equal('missing role_id');
  });

  it('counts secret ID uses down and deletes the secret ID at its last use', async () => {
    await env.call('update', 'auth/approle/role/web', { data: { secret_id_num_uses: 2 } });
    const id = await roleId('web');
    const secret = await newSecret('web');
    expect(secret.secret_id_num_uses).to.equal(2);
    await login({ role_id: id, secret_id: secret.secret_id });
    const looked = (await env.call('update', 'auth/approle/role/web/secret-id/lookup', { data: { secret_id: secret.secret_id } }))?.data;
    expect(looked).to.include({ secret_id_num_uses: 1, secret_id_accessor: secret.secret_id_accessor });
    await login({ role_id: id, secret_id: secret.secret_id });
    await env.fails('update', 'auth/approle/login', 'invalid_request', { token: '', data: { role_id: id, secret_id: secret.secret_id } });
    expect(await env.call('update', 'auth/approle/role/web/secret-id/lookup', { data: { secret_id: secret.secret_id } })).to.equal(undefined);
    await env.fails('update', 'auth/approle/role/web/secret-id', 'invalid_request', { data: { num_uses: 5 } });
  });

  it('expires secret IDs at their TTL and tidy removes them', async () => {
    await env.call('update', 'auth/approle/role/web', { data: { secret_id_ttl: '1s' } });
    const id = await roleId('web');
    const secret = await newSecret('web');
    expect(secret.secret_id_ttl).to.equal(1);
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await login({ role_id: id, secret_id: secret.secret_id });
      } catch {
        break;
      }
      if (Date.now() > deadline) expect.fail('secret ID did not expire');
      await new Promise((r) => setTimeout(r, 200));
    }
    const tidy = await env.call('update', 'auth/approle/tidy/secret-id');
    expect(tidy?.httpStatus).to.equal(202);
    const keys = await env.physical.list('');
    const stored = (await env.physical.scan('')).filter((e) => e.key.includes('/secret_id/'));
    expect(stored, keys.join(',')).to.have.length(0);
  });

  it('looks up, lists and destroys secret IDs by accessor; an unknown accessor is a 404', async () => {
    await env.call('update', 'auth/approle/role/web', { data: {} });
    const a = await newSecret('web');
    const b = (await env.call('update', 'auth/approle/role/web/custom-secret-id', { data: { secret_id: 'my-custom-secret-1' } }))?.data as {
      secret_id: string;
      secret_id_accessor: string;
    };
    expect(b.secret_id).to.equal('my-custom-secret-1');
    await env.fails('update', 'auth/approle/role/web/custom-secret-id', 'invalid_request', { data: { secret_id: 'my-custom-secret-1' } });
    expect((await env.call('list', 'auth/approle/role/web/secret-id/'))?.data?.keys).to.have.members([a.secret_id_accessor, b.secret_id_accessor]);
    const viaAccessor = (await env.call('update', 'auth/approle/role/web/secret-id-accessor/lookup', { data: { secret_id_accessor: a.secret_id_accessor } }))
      ?.data;
    expect(viaAccessor).to.include({ secret_id_accessor: a.secret_id_accessor, secret_id_num_uses: 0 });
    expect(JSON.stringify(viaAccessor)).not.to.include(a.secret_id);
    await env.call('update', 'auth/approle/role/web/secret-id-accessor/destroy', { data: { secret_id_accessor: a.secret_id_accessor } });
    const missing = await env.fails('update', 'auth/approle/role/web/secret-id-accessor/lookup', 'not_found', {
      data: { secret_id_accessor: a.secret_id_accessor },
    });
    expect(missing.message).to.equal(`failed to find accessor entry for secret_id_accessor: "${a.secret_id_accessor}"`);
    await env.call('update', 'auth/approle/role/web/secret-id/destroy', { data: { secret_id: b.secret_id } });
    await env.fails('list', 'auth/approle/role/web/secret-id/', 'not_found');
  });

  it('enforces role and secret ID CIDR bindings on login', async () => {
    await env.call('update', 'auth/approle/role/web', { data: { secret_id_bound_cidrs: '10.0.0.0/8' } });
    const id = await roleId('web');
    await env.fails('update', 'auth/approle/role/web/secret-id', 'invalid_request', { data: { cidr_list: '192.168.0.0/16' } });
    const secret = await newSecret('web', { cidr_list: '10.1.0.0/16' });
    const role = await env.fails('update', 'auth/approle/login', 'invalid_request', {
      token: '',
      data: { role_id: id, secret_id: secret.secret_id },
      remoteAddress: '127.0.0.1',
    });
    expect(role.message).to.equal('source address "127.0.0.1" unauthorized by CIDR restrictions on the role');
    const onSecret = await env.fails('update', 'auth/approle/login', 'invalid_request', {
      token: '',
      data: { role_id: id, secret_id: secret.secret_id },
      remoteAddress: '10.2.0.1',
    });
    expect(onSecret.message).to.equal('source address "10.2.0.1" unauthorized by CIDR restrictions on the secret ID');
    expect((await login({ role_id: id, secret_id: secret.secret_id }, '10.1.2.3'))?.auth?.clientToken).to.be.a('string');
  });

  it('logs in with the role ID alone when bind_secret_id is off and a CIDR binds the role', async () => {
    await env.call('update', 'auth/approle/role/ci', { data: { bind_secret_id: false, secret_id_bound_cidrs: '127.0.0.0/8' } });
    await env.fails('update', 'auth/approle/role/ci/secret-id', 'invalid_request');
    expect((await login({ role_id: await roleId('ci') }))?.auth?.clientToken).to.be.a('string');
  });

  it('sets a custom role ID, frees the old one, and refuses one held by another role', async () => {
    await env.call('update', 'auth/approle/role/a', { data: { bind_secret_id: false, secret_id_bound_cidrs: '127.0.0.1/32' } });
    await env.call('update', 'auth/approle/role/b', { data: { role_id: 'taken-id', bind_secret_id: false, secret_id_bound_cidrs: '127.0.0.1/32' } });
    const old = await roleId('a');
    await env.call('update', 'auth/approle/role/a/role-id', { data: { role_id: 'custom-a' } });
    expect(await roleId('a')).to.equal('custom-a');
    await env.fails('update', 'auth/approle/login', 'invalid_request', { token: '', data: { role_id: old } });
    expect((await login({ role_id: 'custom-a' }))?.auth?.metadata).to.deep.equal({ role_name: 'a' });
    await env.fails('update', 'auth/approle/role/a/role-id', 'invalid_request', { data: { role_id: 'taken-id' } });
  });

  it('reads, sets and resets single role fields on their own paths', async () => {
    await env.call('update', 'auth/approle/role/web', { data: {} });
    await env.call('update', 'auth/approle/role/web/policies', { data: { policies: 'x,y' } });
    expect((await env.call('read', 'auth/approle/role/web/policies'))?.data).to.deep.equal({ policies: ['x', 'y'], token_policies: ['x', 'y'] });
    await env.call('update', 'auth/approle/role/web/secret-id-ttl', { data: { secret_id_ttl: '5m' } });
    expect((await env.call('read', 'auth/approle/role/web/secret-id-ttl'))?.data).to.deep.equal({ secret_id_ttl: 300 });
    await env.call('update', 'auth/approle/role/web/period', { data: { period: 60 } });
    expect((await env.call('read', 'auth/approle/role/web'))?.data).to.include({ token_period: 60, secret_id_ttl: 300 });
    await env.call('delete', 'auth/approle/role/web/secret-id-ttl');
    expect((await env.call('read', 'auth/approle/role/web/secret-id-ttl'))?.data).to.deep.equal({ secret_id_ttl: 0 });
    const err = await env.fails('update', 'auth/approle/role/web/bind-secret-id', 'invalid_request', { data: { bind_secret_id: false } });
    expect(err.message).to.equal('at least one constraint should be enabled on the role');
    await env.fails('update', 'auth/approle/role/web/token-ttl', 'invalid_request', { data: { token_ttl: 'soon' } });
    expect((await env.call('read', 'auth/approle/role/web/local-secret-ids'))?.data).to.deep.equal({ local_secret_ids: false });
  });

  it('keeps secret IDs of a role with local_secret_ids under local/ and others in replicated storage', async () => {
    await env.call('update', 'auth/approle/role/here', { data: { local_secret_ids: true } });
    await env.call('update', 'auth/approle/role/everywhere', { data: {} });
    await newSecret('here');
    await newSecret('everywhere');
    const keys = (await env.physical.scan('')).map((e) => e.key).filter((k) => k.includes('secret_id/'));
    expect(keys).to.have.length(2);
    expect(keys.filter((k) => k.startsWith('local/auth/'))).to.have.length(1);
    expect(keys.filter((k) => k.startsWith('auth/'))).to.have.length(1);
    // Deleting a role deletes its secret IDs.
    await env.call('delete', 'auth/approle/role/here');
    expect((await env.physical.scan('')).map((e) => e.key).filter((k) => k.startsWith('local/auth/'))).to.have.length(0);
  });

  it('issues batch tokens for token_type batch and default-batch: no accessor, not renewable, unrevocable', async () => {
    await env.call('update', 'auth/approle/role/b', { data: { token_type: 'batch', token_ttl: '10m' } });
    await env.call('update', 'auth/approle/role/db', { data: { token_type: 'default-batch' } });
    await env.call('update', 'auth/approle/role/ds', { data: { token_type: 'default-service' } });
    for (const role of ['b', 'db']) {
      const auth = (await login({ role_id: await roleId(role), secret_id: (await newSecret(role)).secret_id }))?.auth;
      expect(auth, role).to.include({ tokenType: 'batch', accessor: '', renewable: false, orphan: true });
      expect(auth?.clientToken).to.match(/^hvb\./);
      expect(auth?.entityId).to.match(/^[0-9a-f-]{36}$/);
      const token = auth?.clientToken as string;
      expect((await env.call('read', 'auth/token/lookup-self', { token }))?.data).to.include({ type: 'batch', entity_id: auth?.entityId });
      await env.fails('update', 'auth/token/renew-self', 'invalid_request', { token });
      await env.fails('update', 'auth/token/revoke-self', 'invalid_request', { token });
    }
    const service = (await login({ role_id: await roleId('ds'), secret_id: (await newSecret('ds')).secret_id }))?.auth;
    expect(service).to.include({ tokenType: 'service', renewable: true });
    expect(service?.accessor).to.not.equal('');
    expect((await env.call('read', 'auth/approle/role/db'))?.data).to.include({ token_type: 'default-batch' });
  });

  it('refuses batch token types with a period or a use limit, and unknown types, keeping the role as it was', async () => {
    await env.call('update', 'auth/approle/role/p', { data: { token_period: '1h' } });
    const periodic = await env.fails('update', 'auth/approle/role/p', 'invalid_request', { data: { token_type: 'batch' } });
    expect(periodic.message).to.equal("'token_type' cannot be 'batch' or 'default_batch' when set to generate periodic tokens");
    const uses = await env.fails('update', 'auth/approle/role/u', 'invalid_request', { data: { token_type: 'default-batch', token_num_uses: 2 } });
    expect(uses.message).to.equal("'token_type' cannot be 'batch' or 'default_batch' when set to generate tokens with limited use count");
    const unknown = await env.fails('update', 'auth/approle/role/p', 'invalid_request', { data: { token_type: 'weird' } });
    expect(unknown.message).to.equal(`invalid 'token_type' value "weird"`);
    expect((await env.call('read', 'auth/approle/role/p'))?.data).to.include({ token_type: 'default', token_period: 3600 });
    await env.fails('read', 'auth/approle/role/u', 'not_found');
  });

  it("binds the issued token (service or batch) to the role's token_bound_cidrs", async () => {
    await env.call('update', 'sys/mounts/secret', { data: { type: 'kv' } });
    await env.call('update', 'secret/x', { data: { v: '1' } });
    await writePolicy(env, 'app', 'path "secret/x" { capabilities = ["read"] }');
    for (const type of ['service', 'batch']) {
      await env.call('update', `auth/approle/role/${type}`, { data: { token_type: type, token_policies: 'app', token_bound_cidrs: '10.0.0.0/8' } });
      const secret = await newSecret(type);
      const auth = (await login({ role_id: await roleId(type), secret_id: secret.secret_id }, '10.1.2.3'))?.auth;
      const token = auth?.clientToken as string;
      expect(auth?.tokenType).to.equal(type);
      expect((await env.call('read', 'secret/x', { token, remoteAddress: '10.1.2.3' }))?.data, type).to.deep.equal({ v: '1' });
      await env.fails('read', 'secret/x', 'permission_denied', { token, remoteAddress: '127.0.0.1' });
      const lookup = (await env.call('read', 'auth/token/lookup-self', { token, remoteAddress: '10.1.2.3' }))?.data;
      expect(lookup?.bound_cidrs, type).to.deep.equal(['10.0.0.0/8']);
    }
  });

  it('answers every malformed field with a 400 VaultError and writes nothing', async () => {
    await env.call('update', 'auth/approle/role/web', { data: {} });
    const before = (await env.physical.scan('')).filter((e) => !e.key.startsWith('local/')).length;
    const bad: unknown[] = [{ nested: true }, [1, [2]], 'not-a-duration-or-number', -5, true];
    const cases: [string, string][] = [
      ['auth/approle/role/web', 'token_ttl'],
      ['auth/approle/role/web', 'secret_id_num_uses'],
      ['auth/approle/role/web', 'token_bound_cidrs'],
      ['auth/approle/role/web', 'bind_secret_id'],
      ['auth/approle/role/web', 'token_type'],
      ['auth/approle/role/web/secret-id', 'metadata'],
      ['auth/approle/role/web/secret-id', 'cidr_list'],
      ['auth/approle/role/web/secret-id', 'ttl'],
      ['auth/approle/role/web/secret-id-ttl', 'secret_id_ttl'],
      ['auth/approle/role/web/policies', 'token_policies'],
      ['auth/approle/role/web/role-id', 'role_id'],
    ];
    for (const [path, field] of cases) {
      for (const value of bad) {
        try {
          await env.call('update', path, { data: { [field]: value } });
        } catch (err) {
          expect(err, `${path} ${field}=${JSON.stringify(value)}`).to.be.instanceOf(VaultError);
          expect((err as VaultError).status, `${path} ${field}=${JSON.stringify(value)}: ${(err as Error).message}`).to.be.within(400, 499);
        }
      }
    }
    // Only the values that are valid for a field may have changed something: the role still reads, and no secret ID was made.
    expect((await env.call('read', 'auth/approle/role/web'))?.data).to.have.property('bind_secret_id');
    const secretKeys = (await env.physical.scan('')).filter((e) => e.key.includes('/secret_id/'));
    expect(secretKeys, `${before} replicated keys before`).to.have.length(0);
  });
});
