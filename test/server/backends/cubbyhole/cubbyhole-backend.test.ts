import { expect } from 'chai';
import { layout } from '../../../../server/core/storage-layout.js';
import { startInProcessCore, tokenWithPolicies, type InProcessCore } from '../../../helpers/in-process-core.js';

describe('cubbyhole backend', () => {
  let env: InProcessCore;
  let alice: string;
  let bob: string;
  beforeEach(async () => {
    env = await startInProcessCore();
    alice = await tokenWithPolicies(env, ['default']);
    bob = await tokenWithPolicies(env, ['default']);
  });

  it("gives each token its own space: one token cannot see another one's secrets", async () => {
    await env.call('update', 'cubbyhole/note', { token: alice, data: { secret: 'alice-only' } });
    expect((await env.call('read', 'cubbyhole/note', { token: alice }))?.data).to.deep.equal({ secret: 'alice-only' });
    await env.fails('read', 'cubbyhole/note', 'not_found', { token: bob });
    await env.fails('list', 'cubbyhole/', 'not_found', { token: bob });
    await env.call('update', 'cubbyhole/note', { token: bob, data: { secret: 'bob-only' } });
    expect((await env.call('read', 'cubbyhole/note', { token: alice }))?.data).to.deep.equal({ secret: 'alice-only' });
  });

  it("reads, lists and deletes within the caller's cubbyhole", async () => {
    await env.call('update', 'cubbyhole/a', { token: alice, data: { v: 1 } });
    await env.call('update', 'cubbyhole/dir/b', { token: alice, data: { v: 2 } });
    expect((await env.call('list', 'cubbyhole/', { token: alice }))?.data).to.deep.equal({ keys: ['a', 'dir/'] });
    await env.call('delete', 'cubbyhole/a', { token: alice });
    await env.fails('read', 'cubbyhole/a', 'not_found', { token: alice });
  });

  it('stores everything under local/cubbyhole/, keyed by token hash, never the token id', async () => {
    await env.call('update', 'cubbyhole/k', { token: alice, data: { v: 1 } });
    const hash = env.core.tokens.hashOf(alice);
    const keys = (await env.physical.scan('')).map((r) => r.key);
    expect(keys).to.include(`${layout.cubbyhole}${hash}/k`);
    expect(keys.filter((k) => k.includes('cubbyhole'))).to.satisfy((ks: string[]) => ks.every((k) => k.startsWith('local/')));
    expect(keys.join('\n')).not.to.include(alice);
  });

  it('destroys the cubbyhole when the token is revoked', async () => {
    await env.call('update', 'cubbyhole/k', { token: alice, data: { v: 1 } });
    await env.call('update', 'cubbyhole/k', { token: bob, data: { v: 2 } });
    const hash = env.core.tokens.hashOf(alice);
    await env.call('update', 'auth/token/revoke', { data: { token: alice } });
    expect(await env.physical.scan(`${layout.cubbyhole}${hash}/`)).to.have.length(0);
    expect((await env.call('read', 'cubbyhole/k', { token: bob }))?.data).to.deep.equal({ v: 2 });
  });

  it('still destroys cubbyholes on revocation after a seal and unseal re-created the backend', async () => {
    await env.sealAndUnseal();
    await env.call('update', 'cubbyhole/k', { token: alice, data: { v: 1 } });
    const hash = env.core.tokens.hashOf(alice);
    expect(await env.physical.scan(`${layout.cubbyhole}${hash}/`)).to.have.length(1);
    await env.call('update', 'auth/token/revoke', { data: { token: alice } });
    expect(await env.physical.scan(`${layout.cubbyhole}${hash}/`)).to.have.length(0);
  });

  it('refuses requests without a token', async () => {
    await env.fails('read', 'cubbyhole/k', 'permission_denied', { token: '' });
  });
});
