import { expect } from 'chai';
import { startInProcessCore, tokenWithPolicies, writePolicy, type InProcessCore } from '../../../helpers/in-process-core.js';

describe('KV version 1 (PassthroughBackend)', () => {
  let env: InProcessCore;
  beforeEach(async () => {
    env = await startInProcessCore();
    await env.call('update', 'sys/mounts/kv', { data: { type: 'kv' } });
  });

  it('reads back the stored map as data', async () => {
    await env.call('update', 'kv/app/db', { data: { user: 'u', password: 'p', nested: { a: 1 } } });
    const res = await env.call('read', 'kv/app/db');
    expect(res?.data).to.deep.equal({ user: 'u', password: 'p', nested: { a: 1 } });
  });

  it('overwrites the whole secret on a second write', async () => {
    await env.call('update', 'kv/x', { data: { a: '1', b: '2' } });
    await env.call('update', 'kv/x', { data: { c: '3' } });
    expect((await env.call('read', 'kv/x'))?.data).to.deep.equal({ c: '3' });
  });

  it('answers a missing key with 404 and no messages', async () => {
    const err = await env.fails('read', 'kv/nope', 'not_found');
    expect(err.messages).to.deep.equal([]);
  });

  it('refuses an empty write', async () => {
    const err = await env.fails('update', 'kv/x', 'invalid_request', { data: {} });
    expect(err.message).to.equal('missing data fields');
  });

  it('lists immediate children with folders ending in a slash, 404 when empty', async () => {
    await env.fails('list', 'kv/', 'not_found');
    await env.call('update', 'kv/a', { data: { v: 1 } });
    await env.call('update', 'kv/b/c', { data: { v: 1 } });
    await env.call('update', 'kv/b/d/e', { data: { v: 1 } });
    expect((await env.call('list', 'kv/'))?.data).to.deep.equal({ keys: ['a', 'b/'] });
    expect((await env.call('list', 'kv/b/'))?.data).to.deep.equal({ keys: ['c', 'd/'] });
    expect((await env.call('list', 'kv/b'))?.data).to.deep.equal({ keys: ['c', 'd/'] });
  });

  it('deletes, idempotently', async () => {
    await env.call('update', 'kv/x', { data: { a: 1 } });
    await env.call('delete', 'kv/x');
    await env.call('delete', 'kv/x');
    await env.fails('read', 'kv/x', 'not_found');
  });

  it('refuses empty and dot segments in secret paths', async () => {
    for (const path of ['kv/a//b', 'kv/a/./b', 'kv/./b', 'kv/a/']) {
      await env.fails('update', path, 'invalid_request', { data: { a: 1 } });
    }
  });

  it('never puts the value of a secret into an error message', async () => {
    const canary = 'CANARY-kv1-7f3a';
    const err = await env.fails('update', 'kv/a//b', 'invalid_request', { data: { password: canary } });
    expect(JSON.stringify(err.messages)).not.to.include(canary);
  });

  it('checks create for a new key and update for an existing one', async () => {
    await writePolicy(env, 'create-only', 'path "kv/*" { capabilities = ["create", "read"] }');
    const token = await tokenWithPolicies(env, ['create-only']);
    await env.call('update', 'kv/fresh', { token, data: { a: 1 } });
    await env.fails('update', 'kv/fresh', 'permission_denied', { token, data: { a: 2 } });
    expect((await env.call('read', 'kv/fresh', { token }))?.data).to.deep.equal({ a: 1 });
  });

  it('stores values encrypted under the mount prefix, replicated or local', async () => {
    await env.call('update', 'sys/mounts/localkv', { data: { type: 'kv', local: true } });
    await env.call('update', 'kv/r', { data: { secret: 'PLAINTEXT-MARKER-1' } });
    await env.call('update', 'localkv/l', { data: { secret: 'PLAINTEXT-MARKER-2' } });
    const rows = await env.physical.scan('');
    const keyOf = (suffix: string) => rows.find((r) => r.key.endsWith(suffix))?.key ?? '';
    expect(keyOf('/v1/r')).to.match(/^logical\/[0-9a-f-]+\/v1\/r$/);
    expect(keyOf('/v1/l')).to.match(/^local\/logical\/[0-9a-f-]+\/v1\/l$/);
    for (const row of rows) expect(row.value.toString('latin1')).not.to.include('PLAINTEXT-MARKER');
  });
});
