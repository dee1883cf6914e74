import { expect } from 'chai';
import { startInProcessCore, tokenWithPolicies, writePolicy, type InProcessCore } from '../../../helpers/in-process-core.js';

describe('token store roles', () => {
  let env: InProcessCore;
  beforeEach(async () => {
    env = await startInProcessCore();
  });

  const createWith = (role: string, data: Record<string, unknown> = {}, token?: string) =>
    env.call('update', `auth/token/create/${role}`, { data, ...(token === undefined ? {} : { token }) });

  it('creates, reads (with the deprecated names beside token_*), lists and deletes roles', async () => {
    await env.call('update', 'auth/token/roles/App', {
      data: {
        allowed_policies: 'b, A',
        disallowed_policies: ['x'],
        orphan: true,
        renewable: false,
        path_suffix: 'v1',
        token_period: '1h',
        token_explicit_max_ttl: 7200,
      },
    });
    await env.call('update', 'auth/token/roles/other', { data: {} });
    const role = (await env.call('read', 'auth/token/roles/app'))?.data;
    expect(role).to.include({
      name: 'app',
      orphan: true,
      renewable: false,
      path_suffix: 'v1',
      token_period: 3600,
      period: 3600,
      token_explicit_max_ttl: 7200,
      explicit_max_ttl: 7200,
      token_type: 'default-service',
    });
    expect(role?.allowed_policies).to.deep.equal(['a', 'b']);
    expect(role?.disallowed_policies).to.deep.equal(['x']);
    expect((await env.call('list', 'auth/token/roles'))?.data).to.deep.equal({ keys: ['app', 'other'] });
    await env.call('delete', 'auth/token/roles/other');
    await env.fails('read', 'auth/token/roles/other', 'not_found');
  });

  it('updates only the fields a write names', async () => {
    await env.call('update', 'auth/token/roles/r', { data: { allowed_policies: 'a', token_period: 60 } });
    await env.call('update', 'auth/token/roles/r', { data: { orphan: true } });
    expect((await env.call('read', 'auth/token/roles/r'))?.data).to.include({ orphan: true, token_period: 60 });
  });

  it('refuses bad roles with a 400 and stores nothing', async () => {
    const batch = await env.fails('update', 'auth/token/roles/r', 'invalid_request', { data: { token_type: 'batch', token_period: 60 } });
    expect(batch.message).to.equal("'token_type' cannot be 'batch' when role is set to generate periodic tokens");
    await env.fails('update', 'auth/token/roles/r', 'invalid_request', { data: { path_suffix: 'a/../b' } });
    await env.fails('update', 'auth/token/roles/r', 'invalid_request', { data: { token_type: 'weird' } });
    await env.fails('update', 'auth/token/roles/r', 'invalid_request', { data: { token_num_uses: -1 } });
    await env.fails('read', 'auth/token/roles/r', 'not_found');
  });

  it('answers an unknown role with a 400', async () => {
    const err = await env.fails('update', 'auth/token/create/nope', 'invalid_request');
    expect(err.message).to.equal('unknown role nope');
  });

  it("gives the role's allowed policies by default and refuses others", async () => {
    await env.call('update', 'auth/token/roles/r', { data: { allowed_policies: ['a', 'b'] } });
    expect((await createWith('r'))?.auth?.policies).to.deep.equal(['a', 'b', 'default']);
    expect((await createWith('r', { policies: ['a'] }))?.auth?.policies).to.deep.equal(['a', 'default']);
    const err = await env.fails('update', 'auth/token/create/r', 'invalid_request', { data: { policies: ['a', 'c'] } });
    expect(err.message).to.equal('token policies (["a" "c"]) must be subset of the role\'s allowed policies (["a" "b"])');
  });

  it('lets a non-root caller get policies it does not hold when the role allows them', async () => {
    await writePolicy(env, 'creator', 'path "auth/token/create/r" { capabilities = ["update"] }');
    await env.call('update', 'auth/token/roles/r', { data: { allowed_policies: 'ops' } });
    const creator = await tokenWithPolicies(env, ['creator']);
    expect((await createWith('r', {}, creator))?.auth?.policies).to.deep.equal(['default', 'ops']);
  });

  it('refuses disallowed policies (also by glob) and leaves out default when it is disallowed', async () => {
    await env.call('update', 'auth/token/roles/r', { data: { disallowed_policies: 'default', disallowed_policies_glob: 'adm*' } });
    expect((await createWith('r', { policies: ['app'] }))?.auth?.policies).to.deep.equal(['app']);
    const err = await env.fails('update', 'auth/token/create/r', 'invalid_request', { data: { policies: ['admin'] } });
    expect(err.message).to.equal('token policy "admin" is disallowed by this role');
  });

  it('accepts allowed policies by glob', async () => {
    await env.call('update', 'auth/token/roles/r', { data: { allowed_policies_glob: ['team-*'] } });
    expect((await createWith('r', { policies: ['team-a'] }))?.auth?.policies).to.deep.equal(['default', 'team-a']);
    await env.fails('update', 'auth/token/create/r', 'invalid_request', { data: { policies: ['other'] } });
  });

  it('makes orphans without sudo, non-renewable tokens, and puts the role and path suffix in the path', async () => {
    await writePolicy(env, 'creator', 'path "auth/token/create/*" { capabilities = ["update"] }\npath "auth/token/lookup" { capabilities = ["update"] }');
    await env.call('update', 'auth/token/roles/r', { data: { allowed_policies: 'app', orphan: true, renewable: false, path_suffix: 'v2' } });
    const creator = await tokenWithPolicies(env, ['creator']);
    const auth = (await createWith('r', { renewable: true }, creator))?.auth;
    expect(auth).to.include({ orphan: true, renewable: false });
    const lookup = (await env.call('update', 'auth/token/lookup', { data: { token: auth?.clientToken } }))?.data;
    expect(lookup).to.include({ path: 'auth/token/create/r/v2', role: 'r', orphan: true });
  });

  it('issues periodic tokens whose lease duration is the period, and the smaller explicit max TTL and use limit', async () => {
    await env.call('update', 'auth/token/roles/p', { data: { token_period: '10m', token_explicit_max_ttl: '1h', token_num_uses: 5 } });
    const auth = (await createWith('p', { explicit_max_ttl: '2h', num_uses: 9 }))?.auth;
    expect(auth?.leaseDurationSeconds).to.be.within(599, 600);
    expect(auth?.numUses).to.equal(5);
    const entry = await env.core.tokens.lookupById(auth?.clientToken as string);
    expect(entry).to.include({ periodSeconds: 600, explicitMaxTtlSeconds: 3600 });
  });

  it("binds the role's tokens to its CIDR blocks: from elsewhere they are refused and lose no use", async () => {
    await env.call('update', 'auth/token/roles/net', { data: { token_bound_cidrs: '10.0.0.0/8, 192.168.1.7' } });
    expect((await env.call('read', 'auth/token/roles/net'))?.data?.token_bound_cidrs).to.deep.equal(['10.0.0.0/8', '192.168.1.7/32']);
    const auth = (await createWith('net', { num_uses: 2 }))?.auth;
    const token = auth?.clientToken as string;
    await env.fails('read', 'auth/token/lookup-self', 'permission_denied', { token, remoteAddress: '127.0.0.1' });
    await env.fails('read', 'auth/token/lookup-self', 'permission_denied', { token, remoteAddress: '::ffff:192.168.1.8' });
    const inside = await env.call('read', 'auth/token/lookup-self', { token, remoteAddress: '::ffff:10.1.2.3' });
    expect(inside?.data?.num_uses).to.equal(1);
    await env.fails('update', 'auth/token/roles/bad', 'invalid_request', { data: { token_bound_cidrs: 'not-a-cidr' } });
  });

  it("resets a role token to the role's current period at renewal", async () => {
    await env.call('update', 'auth/token/roles/p', { data: { token_period: '10m' } });
    const token = (await createWith('p'))?.auth?.clientToken as string;
    await env.call('update', 'auth/token/roles/p', { data: { token_period: '20m' } });
    const renewed = (await env.call('update', 'auth/token/renew-self', { token, data: { increment: '1m' } }))?.auth;
    expect(renewed?.leaseDurationSeconds).to.be.within(1199, 1200);
  });
});

describe('periodic tokens without a role', () => {
  let env: InProcessCore;
  beforeEach(async () => {
    env = await startInProcessCore();
  });

  it('gives lease_duration = period (also with policies) and renews to the period, ignoring the increment', async () => {
    const auth = (await env.call('update', 'auth/token/create', { data: { period: '15m', policies: ['app'], ttl: '1h' } }))?.auth;
    expect(auth?.leaseDurationSeconds).to.be.within(899, 900);
    const renewed = (await env.call('update', 'auth/token/renew', { data: { token: auth?.clientToken, increment: '5h' } }))?.auth;
    expect(renewed?.leaseDurationSeconds).to.be.within(899, 900);
  });

  it('needs root or sudo', async () => {
    await writePolicy(env, 'creator', 'path "auth/token/create" { capabilities = ["update"] }');
    const creator = await tokenWithPolicies(env, ['creator']);
    const err = await env.fails('update', 'auth/token/create', 'invalid_request', { token: creator, data: { period: '1h' } });
    expect(err.message).to.equal('root or sudo privileges required to create periodic token');
  });
});
