import { expect } from 'chai';
import { startInProcessCore, tokenWithPolicies, writePolicy, type InProcessCore } from '../../../helpers/in-process-core.js';

describe('KV version 2 paths', () => {
  let env: InProcessCore;
  beforeEach(async () => {
    env = await startInProcessCore();
    await env.call('update', 'sys/mounts/secret', { data: { type: 'kv-v2' } });
  });

  const put = (path: string, data: Record<string, unknown>, options?: Record<string, unknown>) =>
    env.call('update', `secret/data/${path}`, { data: options === undefined ? { data } : { data, options } });

  it('answers a write with the version metadata Vault returns', async () => {
    const res = await put('app', { password: 'p1' });
    expect(res?.data).to.include({ version: 1, deletion_time: '', destroyed: false, custom_metadata: null });
    expect(Date.parse(res?.data?.created_time as string)).to.be.closeTo(Date.now(), 5000);
  });

  it('reads the current version and any earlier one by ?version=N', async () => {
    await put('app', { password: 'p1' });
    await put('app', { password: 'p2' });
    const current = await env.call('read', 'secret/data/app');
    expect(current?.data).to.deep.include({ data: { password: 'p2' } });
    expect((current?.data?.metadata as Record<string, unknown>).version).to.equal(2);
    const first = await env.call('read', 'secret/data/app', { query: { version: '1' } });
    expect(first?.data).to.deep.include({ data: { password: 'p1' } });
    await env.fails('read', 'secret/data/app', 'not_found', { query: { version: '9' } });
    await env.fails('read', 'secret/data/missing', 'not_found');
  });

  it('refuses a write without data', async () => {
    const err = await env.fails('update', 'secret/data/app', 'invalid_request', { data: { options: {} } });
    expect(err.message).to.equal('no data provided');
  });

  it('enforces check-and-set', async () => {
    await put('c', { v: 1 }, { cas: 0 });
    const err = await env.fails('update', 'secret/data/c', 'invalid_request', { data: { data: { v: 2 }, options: { cas: 0 } } });
    expect(err.message).to.equal('check-and-set parameter did not match the current version');
    await put('c', { v: 2 }, { cas: 1 });
    await env.fails('update', 'secret/data/c', 'invalid_request', { data: { data: { v: 3 }, options: { cas: 5 } } });
    expect(((await env.call('read', 'secret/data/c'))?.data?.metadata as Record<string, unknown>).version).to.equal(2);
  });

  it('requires cas when the mount or the key says so', async () => {
    await env.call('update', 'secret/config', { data: { cas_required: true } });
    const err = await env.fails('update', 'secret/data/k', 'invalid_request', { data: { data: { v: 1 } } });
    expect(err.message).to.equal('check-and-set parameter required for this call');
    await put('k', { v: 1 }, { cas: 0 });
    await env.call('update', 'secret/config', { data: { cas_required: false } });
    await env.call('update', 'secret/metadata/k', { data: { cas_required: true } });
    await env.fails('update', 'secret/data/k', 'invalid_request', { data: { data: { v: 2 } } });
    await put('k', { v: 2 }, { cas: 1 });
  });

  it('soft-deletes the latest version, answering 404 with metadata, and undeletes it', async () => {
    await put('d', { v: 1 });
    await put('d', { v: 2 });
    await env.call('delete', 'secret/data/d');
    const res = await env.call('read', 'secret/data/d');
    expect(res?.httpStatus).to.equal(404);
    expect(res?.data?.data).to.equal(null);
    expect((res?.data?.metadata as Record<string, unknown>).deletion_time).not.to.equal('');
    expect((await env.call('read', 'secret/data/d', { query: { version: '1' } }))?.data?.data).to.deep.equal({ v: 1 });
    await env.call('update', 'secret/undelete/d', { data: { versions: [2] } });
    expect((await env.call('read', 'secret/data/d'))?.data?.data).to.deep.equal({ v: 2 });
  });

  it('deletes and destroys chosen versions; destroyed versions cannot be undeleted', async () => {
    await put('x', { v: 1 });
    await put('x', { v: 2 });
    await put('x', { v: 3 });
    await env.call('update', 'secret/delete/x', { data: { versions: [1] } });
    await env.call('update', 'secret/destroy/x', { data: { versions: ['2'] } });
    await env.call('update', 'secret/undelete/x', { data: { versions: [1, 2] } });
    const meta = (await env.call('read', 'secret/metadata/x'))?.data as Record<string, any>;
    expect(meta.versions['1']).to.include({ deletion_time: '', destroyed: false });
    expect(meta.versions['2'].destroyed).to.equal(true);
    const destroyed = await env.call('read', 'secret/data/x', { query: { version: '2' } });
    expect(destroyed?.httpStatus).to.equal(404);
    expect((destroyed?.data?.metadata as Record<string, unknown>).destroyed).to.equal(true);
    const err = await env.fails('update', 'secret/destroy/x', 'invalid_request', { data: { versions: [] } });
    expect(err.message).to.equal('no version number provided');
  });

  it('removes destroyed data from storage', async () => {
    await put('gone', { secret: 'DESTROY-ME-MARKER' });
    await env.call('update', 'secret/destroy/gone', { data: { versions: [1] } });
    const versionRows = (await env.physical.scan('')).filter((r) => r.key.includes('/v2/versions/'));
    expect(versionRows).to.have.length(0);
  });

  it('keeps max_versions and records oldest_version', async () => {
    await env.call('update', 'secret/config', { data: { max_versions: 3 } });
    for (let i = 1; i <= 5; i++) await put('m', { i });
    const meta = (await env.call('read', 'secret/metadata/m'))?.data as Record<string, any>;
    expect(Object.keys(meta.versions)).to.deep.equal(['3', '4', '5']);
    expect(meta).to.include({ current_version: 5, oldest_version: 3 });
    await env.fails('read', 'secret/data/m', 'not_found', { query: { version: '1' } });
    await env.call('update', 'secret/metadata/m', { data: { max_versions: 1 } });
    await put('m', { i: 6 });
    const after = (await env.call('read', 'secret/metadata/m'))?.data as Record<string, any>;
    expect(Object.keys(after.versions)).to.deep.equal(['6']);
    expect(after).to.include({ max_versions: 1, oldest_version: 6 });
  });

  it('defaults to keeping 10 versions', async () => {
    for (let i = 1; i <= 12; i++) await put('ten', { i });
    const meta = (await env.call('read', 'secret/metadata/ten'))?.data as Record<string, any>;
    expect(Object.keys(meta.versions)).to.have.length(10);
    expect(meta.oldest_version).to.equal(3);
  });

  it('reads and writes the mount config', async () => {
    expect((await env.call('read', 'secret/config'))?.data).to.deep.equal({ cas_required: false, delete_version_after: '0s', max_versions: 0 });
    await env.call('update', 'secret/config', { data: { max_versions: 7, delete_version_after: '1h30m' } });
    expect((await env.call('read', 'secret/config'))?.data).to.deep.equal({ cas_required: false, delete_version_after: '1h30m0s', max_versions: 7 });
  });

  it('shows metadata, updates it, and deletes every version with it', async () => {
    await put('meta', { v: 1 });
    await env.call('update', 'secret/metadata/meta', { data: { custom_metadata: { owner: 'ops' }, delete_version_after: '90s' } });
    const meta = (await env.call('read', 'secret/metadata/meta'))?.data as Record<string, any>;
    expect(meta).to.include({ current_version: 1, oldest_version: 1, max_versions: 0, cas_required: false, delete_version_after: '1m30s' });
    expect(meta.custom_metadata).to.deep.equal({ owner: 'ops' });
    expect((await put('meta', { v: 2 }))?.data?.custom_metadata).to.deep.equal({ owner: 'ops' });
    await env.call('patch', 'secret/metadata/meta', { data: { custom_metadata: { owner: null, team: 'a' } } });
    expect(((await env.call('read', 'secret/metadata/meta'))?.data as Record<string, any>).custom_metadata).to.deep.equal({ team: 'a' });
    await env.call('delete', 'secret/metadata/meta');
    await env.fails('read', 'secret/metadata/meta', 'not_found');
    await env.fails('read', 'secret/data/meta', 'not_found');
    expect((await env.physical.scan('')).filter((r) => r.key.includes('/v2/versions/'))).to.have.length(0);
  });

  it('schedules deletion with delete_version_after', async () => {
    await env.call('update', 'secret/metadata/t', { data: { delete_version_after: '1s' } });
    const written = await put('t', { v: 1 });
    expect(Date.parse(written?.data?.deletion_time as string)).to.be.greaterThan(Date.now());
    expect((await env.call('read', 'secret/data/t'))?.data?.data).to.deep.equal({ v: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await env.call('read', 'secret/data/t'))?.httpStatus).to.equal(404);
  });

  it('lists keys under metadata/, 404 when empty', async () => {
    await env.fails('list', 'secret/metadata/', 'not_found');
    await put('a', { v: 1 });
    await put('dir/b', { v: 1 });
    await put('dir/sub/c', { v: 1 });
    expect((await env.call('list', 'secret/metadata/'))?.data).to.deep.equal({ keys: ['a', 'dir/'] });
    expect((await env.call('list', 'secret/metadata'))?.data).to.deep.equal({ keys: ['a', 'dir/'] });
    expect((await env.call('list', 'secret/metadata/dir/'))?.data).to.deep.equal({ keys: ['b', 'sub/'] });
  });

  it('keeps the versions of a and a/b apart', async () => {
    await put('a', { v: 'a' });
    await put('a/b', { v: 'ab' });
    await env.call('delete', 'secret/metadata/a');
    expect((await env.call('read', 'secret/data/a/b'))?.data?.data).to.deep.equal({ v: 'ab' });
  });

  it('merges a PATCH into the current version as a new version', async () => {
    await put('p', { a: '1', b: { c: '2', d: '3' } });
    const res = await env.call('patch', 'secret/data/p', { data: { data: { a: null, b: { d: '4' }, e: '5' } } });
    expect(res?.data?.version).to.equal(2);
    expect((await env.call('read', 'secret/data/p'))?.data?.data).to.deep.equal({ b: { c: '2', d: '4' }, e: '5' });
    await env.fails('patch', 'secret/data/none', 'not_found', { data: { data: { a: 1 } } });
  });

  it('returns subkeys without values', async () => {
    await put('s', { a: 'x', b: { c: 'y', d: { e: 'z' } } });
    expect((await env.call('read', 'secret/subkeys/s'))?.data?.subkeys).to.deep.equal({ a: null, b: { c: null, d: { e: null } } });
    expect((await env.call('read', 'secret/subkeys/s', { query: { depth: '1' } }))?.data?.subkeys).to.deep.equal({ a: null, b: null });
  });

  it('points v1-style paths at the versioned API', async () => {
    const err = await env.fails('read', 'secret/app', 'not_found');
    expect(err.message).to.match(/^Invalid path for a versioned K\/V secrets engine/);
  });

  it('checks create for a new key and update for an existing one under data/', async () => {
    await writePolicy(env, 'create-only', 'path "secret/data/*" { capabilities = ["create", "read"] }');
    const token = await tokenWithPolicies(env, ['create-only']);
    await env.call('update', 'secret/data/new', { token, data: { data: { v: 1 } } });
    await env.fails('update', 'secret/data/new', 'permission_denied', { token, data: { data: { v: 2 } } });
  });

  it('keeps data/, metadata/ and destroy/ grants apart under globs', async () => {
    await put('team/app', { v: 1 });
    await writePolicy(env, 'reader', 'path "secret/data/team/*" { capabilities = ["read"] }\npath "secret/metadata/team/*" { capabilities = ["list"] }');
    const token = await tokenWithPolicies(env, ['reader']);
    expect((await env.call('read', 'secret/data/team/app', { token }))?.data?.data).to.deep.equal({ v: 1 });
    await env.fails('delete', 'secret/metadata/team/app', 'permission_denied', { token });
    await env.fails('update', 'secret/destroy/team/app', 'permission_denied', { token, data: { versions: [1] } });
    await env.fails('delete', 'secret/data/team/app', 'permission_denied', { token });
    expect((await env.call('read', 'secret/data/team/app'))?.data?.data).to.deep.equal({ v: 1 });
  });

  it('serializes concurrent writes to one key: every version number is used once', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => put('race', { i })));
    const versions = results.map((r) => r?.data?.version as number).sort((a, b) => a - b);
    expect(versions).to.deep.equal(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('lets only one of many concurrent cas=0 writes win', async () => {
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => put('once', { i }, { cas: 0 })));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).to.have.length(1);
  });

  it('moves v1 data into version 1 when the mount is tuned to version 2', async () => {
    await env.call('update', 'sys/mounts/old', { data: { type: 'kv' } });
    await env.call('update', 'old/a', { data: { v: 'a' } });
    await env.call('update', 'old/b/c', { data: { v: 'c' } });
    await env.call('update', 'sys/mounts/old/tune', { data: { options: { version: '2' } } });
    expect((await env.call('read', 'old/data/a'))?.data?.data).to.deep.equal({ v: 'a' });
    expect((await env.call('read', 'old/data/b/c'))?.data).to.deep.include({ data: { v: 'c' } });
    expect((await env.call('list', 'old/metadata/'))?.data).to.deep.equal({ keys: ['a', 'b/'] });
    expect((await env.physical.scan('')).filter((r) => /\/v1\//.test(r.key))).to.have.length(0);
  });

  it('never echoes a secret value in an error', async () => {
    const canary = 'CANARY-kv2-91c2';
    const errors = [
      await env.fails('update', 'secret/data/x', 'invalid_request', { data: { data: canary } }),
      await env.fails('update', 'secret/data/x', 'invalid_request', { data: { data: { a: 1 }, options: { cas: canary } } }),
      await env.fails('update', 'secret/metadata/x', 'invalid_request', { data: { custom_metadata: { k: { nested: canary } } } }),
      await env.fails('update', 'secret/delete/x', 'invalid_request', { data: { versions: [canary] } }),
    ];
    for (const err of errors) expect(JSON.stringify(err.messages)).not.to.include(canary);
  });
});
