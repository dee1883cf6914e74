import { expect } from 'chai';
import { startInProcessCore, writePolicy, type InProcessCore } from '../../helpers/in-process-core.js';

describe('batch tokens', () => {
  let env: InProcessCore;
  beforeEach(async () => {
    env = await startInProcessCore();
    await writePolicy(env, 'parent', 'path "auth/token/create" { capabilities = ["update"] }');
  });

  const createBatch = async (data: Record<string, unknown> = {}, token?: string) =>
    (await env.call('update', 'auth/token/create', { data: { type: 'batch', ...data }, ...(token === undefined ? {} : { token }) }))?.auth;

  it('are never stored, carry their entry in the id, and authorize like any token', async () => {
    const before = (await env.core.tokens.allEntries()).length;
    const auth = await createBatch({ policies: ['app'], ttl: '10m', meta: { a: 'b' } });
    expect(auth?.clientToken).to.match(/^hvb\./);
    expect(auth).to.include({ accessor: '', renewable: false, tokenType: 'batch', orphan: false });
    expect(auth?.leaseDurationSeconds).to.be.within(599, 600);
    expect((await env.core.tokens.allEntries()).length).to.equal(before);
    const self = (await env.call('read', 'auth/token/lookup-self', { token: auth?.clientToken as string }))?.data;
    expect(self).to.include({ type: 'batch', accessor: '', path: 'auth/token/create' });
    expect(self?.policies).to.deep.equal(['app', 'default']);
    expect(self?.meta).to.deep.equal({ a: 'b' });
  });

  it('stay valid across a seal and unseal (the keyring seals them)', async () => {
    const token = (await createBatch({ no_parent: true, policies: ['app'] }))?.clientToken as string;
    await env.sealAndUnseal();
    expect((await env.call('read', 'auth/token/lookup-self', { token }))?.data?.type).to.equal('batch');
  });

  it('are neither renewed nor revoked, and create no tokens', async () => {
    const token = (await createBatch({ policies: ['parent'] }))?.clientToken as string;
    expect((await env.fails('update', 'auth/token/renew-self', 'invalid_request', { token })).message).to.equal('batch tokens cannot be renewed');
    expect((await env.fails('update', 'auth/token/revoke-self', 'invalid_request', { token })).message).to.equal('batch tokens cannot be revoked');
    expect((await env.fails('update', 'auth/token/revoke', 'invalid_request', { data: { token } })).message).to.equal('batch tokens cannot be revoked');
    const err = await env.fails('update', 'auth/token/create', 'invalid_request', { token, data: { policies: ['parent'] } });
    expect(err.message).to.equal('batch tokens cannot create more tokens');
  });

  it('die with their parent; an orphan one does not', async () => {
    const parent = (await env.call('update', 'auth/token/create', { data: { policies: ['parent'] } }))?.auth?.clientToken as string;
    const child = (await createBatch({ policies: ['parent'] }, parent))?.clientToken as string;
    const orphan = (await createBatch({ no_parent: true, policies: ['app'] }))?.clientToken as string;
    await env.call('update', 'auth/token/revoke', { data: { token: parent } });
    await env.fails('read', 'auth/token/lookup-self', 'permission_denied', { token: child });
    expect((await env.call('read', 'auth/token/lookup-self', { token: orphan }))?.data?.orphan).to.equal(true);
  });

  it('refuse a tampered id, root policies, use limits and periods', async () => {
    const token = (await createBatch({ policies: ['app'] }))?.clientToken as string;
    const flipped = token.slice(0, -2) + (token.endsWith('A') ? 'B' : 'A') + token.slice(-1);
    await env.fails('read', 'auth/token/lookup-self', 'permission_denied', { token: flipped });
    await env.fails('update', 'auth/token/create', 'invalid_request', { data: { type: 'batch', policies: ['root'] } });
    await env.fails('update', 'auth/token/create', 'invalid_request', { data: { type: 'batch', policies: ['app'], num_uses: 3 } });
    await env.fails('update', 'auth/token/create', 'invalid_request', { data: { type: 'batch', policies: ['app'], period: '1h' } });
    await env.fails('update', 'auth/token/create', 'invalid_request', { data: { type: 'weird' } });
  });

  it("follow a role's token_type (batch fixes it, default-batch is the default)", async () => {
    await env.call('update', 'auth/token/roles/b', { data: { token_type: 'batch', orphan: true, allowed_policies: 'app' } });
    await env.call('update', 'auth/token/roles/db', { data: { token_type: 'default-batch', allowed_policies: 'app' } });
    expect((await env.call('update', 'auth/token/create/b', { data: { type: 'service' } }))?.auth?.tokenType).to.equal('batch');
    expect((await env.call('update', 'auth/token/create/db'))?.auth?.tokenType).to.equal('batch');
    expect((await env.call('update', 'auth/token/create/db', { data: { type: 'service' } }))?.auth?.tokenType).to.equal('service');
    const err = await env.fails('update', 'auth/token/roles/b', 'invalid_request', { data: { token_num_uses: 2 } });
    expect(err.message).to.match(/cannot be 'batch'/);
  });
});
