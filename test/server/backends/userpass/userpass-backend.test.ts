import { expect } from 'chai';
import { startInProcessCore, writePolicy, type InProcessCore } from '../../../helpers/in-process-core.js';

describe('userpass backend', () => {
  let env: InProcessCore;
  beforeEach(async () => {
    env = await startInProcessCore();
    await env.call('update', 'sys/auth/userpass', { data: { type: 'userpass' } });
  });

  const login = (name: string, password: string, remoteAddress = '127.0.0.1') =>
    env.call('update', `auth/userpass/login/${name}`, { token: '', data: { password }, remoteAddress });

  it('creates, reads, lists and deletes users without ever returning the password', async () => {
    await env.call('update', 'auth/userpass/users/alice', { data: { password: 'pw-alice', token_policies: 'a,b', token_ttl: '1h', token_max_ttl: '2h' } });
    await env.call('update', 'auth/userpass/users/bob', { data: { password: 'pw-bob', policies: ['c'] } });
    const read = (await env.call('read', 'auth/userpass/users/alice'))?.data as Record<string, unknown>;
    expect(read).to.include({ token_ttl: 3600, token_max_ttl: 7200, token_num_uses: 0 });
    expect(read.token_policies).to.deep.equal(['a', 'b']);
    expect(JSON.stringify(read)).not.to.include('pw-alice');
    expect(read).not.to.have.property('password');
    expect((await env.call('list', 'auth/userpass/users'))?.data).to.deep.equal({ keys: ['alice', 'bob'] });
    await env.call('delete', 'auth/userpass/users/bob');
    await env.fails('read', 'auth/userpass/users/bob', 'not_found');
    expect((await env.call('list', 'auth/userpass/users/'))?.data).to.deep.equal({ keys: ['alice'] });
  });

  it('requires a password for a new user, and keeps it when an update omits it', async () => {
    const err = await env.fails('update', 'auth/userpass/users/carol', 'invalid_request', { data: { token_policies: 'x' } });
    expect(err.message).to.equal('missing password');
    await env.call('update', 'auth/userpass/users/carol', { data: { password: 'pw1' } });
    await env.call('update', 'auth/userpass/users/carol', { data: { token_policies: 'x' } });
    expect((await login('carol', 'pw1'))?.auth?.policies).to.deep.equal(['default', 'x']);
  });

  it('lower-cases user names', async () => {
    await env.call('update', 'auth/userpass/users/Dave', { data: { password: 'pw' } });
    expect((await env.call('list', 'auth/userpass/users'))?.data).to.deep.equal({ keys: ['dave'] });
    expect((await login('DAVE', 'pw'))?.auth?.metadata).to.deep.equal({ username: 'dave' });
  });

  it("logs in without a token and issues a token with the user's policies, TTL and path", async () => {
    await env.call('update', 'auth/userpass/users/alice', {
      data: { password: 'pw', token_policies: 'app', token_ttl: 600, token_max_ttl: 1200, token_num_uses: 5 },
    });
    const auth = (await login('alice', 'pw'))?.auth;
    expect(auth).to.include({ renewable: true, orphan: true, numUses: 5 });
    expect(auth?.policies).to.deep.equal(['app', 'default']);
    expect(auth?.leaseDurationSeconds).to.be.within(598, 600);
    const entry = await env.core.tokens.lookupById(auth?.clientToken as string);
    expect(entry).to.include({ path: 'auth/userpass/login/alice', displayName: 'userpass-alice', explicitMaxTtlSeconds: 1200 });
  });

  it('leaves out the default policy when token_no_default_policy is set', async () => {
    await env.call('update', 'auth/userpass/users/e', { data: { password: 'pw', token_policies: 'app', token_no_default_policy: true } });
    expect((await login('e', 'pw'))?.auth?.policies).to.deep.equal(['app']);
  });

  it("caps the token TTL by the mount's max lease TTL", async () => {
    await env.call('update', 'sys/auth/short', { data: { type: 'userpass', config: { default_lease_ttl: '30s', max_lease_ttl: '60s' } } });
    await env.call('update', 'auth/short/users/f', { data: { password: 'pw' } });
    const defaulted = await env.call('update', 'auth/short/login/f', { token: '', data: { password: 'pw' } });
    expect(defaulted?.auth?.leaseDurationSeconds).to.be.within(28, 30);
    await env.call('update', 'auth/short/users/f', { data: { token_ttl: '10m' } });
    const capped = await env.call('update', 'auth/short/login/f', { token: '', data: { password: 'pw' } });
    expect(capped?.auth?.leaseDurationSeconds).to.be.within(58, 60);
  });

  it('answers a wrong password and an unknown user with the same 400', async () => {
    await env.call('update', 'auth/userpass/users/alice', { data: { password: 'pw' } });
    const wrong = await env.fails('update', 'auth/userpass/login/alice', 'invalid_request', { token: '', data: { password: 'nope' } });
    const unknown = await env.fails('update', 'auth/userpass/login/mallory', 'invalid_request', { token: '', data: { password: 'nope' } });
    expect(wrong.messages).to.deep.equal(['invalid username or password']);
    expect(unknown.messages).to.deep.equal(wrong.messages);
  });

  it('spends comparable time on a wrong password and an unknown user', async function () {
    this.timeout(60_000);
    await env.call('update', 'auth/userpass/users/alice', { data: { password: 'pw' } });
    const time = async (name: string) => {
      const started = process.hrtime.bigint();
      await login(name, 'wrong').catch(() => undefined);
      return Number(process.hrtime.bigint() - started) / 1e6;
    };
    await time('warmup');
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 6; i++) {
      known.push(await time('alice'));
      unknown.push(await time(`ghost${i}`));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    // Both pay one scrypt (tens of ms); without the dummy hash the unknown user would take ~0 ms.
    expect(median(unknown)).to.be.greaterThan(median(known) * 0.6);
    expect(median(known)).to.be.greaterThan(median(unknown) * 0.6);
  });

  it('changes the password and the policies through their own paths', async () => {
    await env.call('update', 'auth/userpass/users/g', { data: { password: 'old', token_policies: 'p1' } });
    await env.call('update', 'auth/userpass/users/g/password', { data: { password: 'new' } });
    await env.fails('update', 'auth/userpass/login/g', 'invalid_request', { token: '', data: { password: 'old' } });
    await env.call('update', 'auth/userpass/users/g/policies', { data: { token_policies: 'p2,p3' } });
    expect((await login('g', 'new'))?.auth?.policies).to.deep.equal(['default', 'p2', 'p3']);
    await env.fails('update', 'auth/userpass/users/nobody/password', 'invalid_request', { data: { password: 'x' } });
  });

  it('refuses a login from outside token_bound_cidrs', async () => {
    await env.call('update', 'auth/userpass/users/h', { data: { password: 'pw', token_bound_cidrs: '10.0.0.0/8' } });
    await env.fails('update', 'auth/userpass/login/h', 'permission_denied', { token: '', data: { password: 'pw' }, remoteAddress: '127.0.0.1' });
    expect((await login('h', 'pw', '::ffff:10.1.2.3'))?.auth?.clientToken).to.be.a('string');
    await env.fails('update', 'auth/userpass/users/h', 'invalid_request', { data: { token_bound_cidrs: 'not-a-cidr' } });
  });

  it('issues a batch token for token_type batch or default-batch, and refuses a periodic batch user', async () => {
    await env.call('update', 'auth/userpass/users/b', { data: { password: 'pw', token_type: 'default-batch', token_ttl: '5m' } });
    const auth = (await login('b', 'pw'))?.auth;
    expect(auth).to.include({ tokenType: 'batch', accessor: '', renewable: false });
    expect(auth?.leaseDurationSeconds).to.be.within(290, 300);
    expect(auth?.entityId).to.match(/^[0-9a-f-]{36}$/);
    const token = auth?.clientToken as string;
    expect((await env.call('read', 'auth/token/lookup-self', { token }))?.data).to.include({ type: 'batch', path: 'auth/userpass/login/b' });
    await env.fails('update', 'auth/token/renew-self', 'invalid_request', { token });
    const err = await env.fails('update', 'auth/userpass/users/b', 'invalid_request', { data: { token_period: '1h' } });
    expect(err.message).to.equal("'token_type' cannot be 'batch' or 'default_batch' when set to generate periodic tokens");
    expect((await env.call('read', 'auth/userpass/users/b'))?.data).to.include({ token_type: 'default-batch', token_period: 0 });
  });

  it("binds the token to the user's token_bound_cidrs after login", async () => {
    await env.call('update', 'sys/mounts/secret', { data: { type: 'kv' } });
    await env.call('update', 'secret/x', { data: { v: '1' } });
    await writePolicy(env, 'app', 'path "secret/x" { capabilities = ["read"] }');
    await env.call('update', 'auth/userpass/users/c', { data: { password: 'pw', token_policies: 'app', token_bound_cidrs: '10.0.0.0/8' } });
    const token = (await login('c', 'pw', '10.9.9.9'))?.auth?.clientToken as string;
    expect((await env.call('read', 'secret/x', { token, remoteAddress: '10.9.9.9' }))?.data).to.deep.equal({ v: '1' });
    await env.fails('read', 'secret/x', 'permission_denied', { token, remoteAddress: '127.0.0.1' });
  });

  it('issues tokens that work within their policies and are denied outside them', async () => {
    await env.call('update', 'sys/mounts/kv', { data: { type: 'kv' } });
    await env.call('update', 'kv/app/config', { data: { v: 1 } });
    await env.call('update', 'kv/other', { data: { v: 2 } });
    await writePolicy(env, 'app-read', 'path "kv/app/*" { capabilities = ["read"] }');
    await env.call('update', 'auth/userpass/users/i', { data: { password: 'pw', token_policies: 'app-read' } });
    const token = (await login('i', 'pw'))?.auth?.clientToken as string;
    expect((await env.call('read', 'kv/app/config', { token }))?.data).to.deep.equal({ v: 1 });
    await env.fails('read', 'kv/other', 'permission_denied', { token });
    await env.fails('update', 'kv/app/config', 'permission_denied', { token, data: { v: 3 } });
  });

  it('stores users under the mount (local/ only for a local mount) with no plaintext password', async () => {
    await env.call('update', 'sys/auth/localup', { data: { type: 'userpass', local: true } });
    await env.call('update', 'auth/userpass/users/r', { data: { password: 'PLAIN-PW-MARKER' } });
    await env.call('update', 'auth/localup/users/l', { data: { password: 'PLAIN-PW-MARKER' } });
    const keys = (await env.physical.scan('')).map((r) => r.key);
    expect(keys.some((k) => /^auth\/[0-9a-f-]+\/user\/r$/.test(k))).to.equal(true);
    expect(keys.some((k) => /^local\/auth\/[0-9a-f-]+\/user\/l$/.test(k))).to.equal(true);
    const rows = [...(await env.core.barrier.scan('auth/')), ...(await env.core.barrier.scan('local/auth/'))];
    expect(rows.length).to.be.greaterThan(1);
    for (const row of rows) expect(row.value.toString('utf8')).not.to.include('PLAIN-PW-MARKER');
  });

  it('never quotes a password in an error', async () => {
    const canary = 'CANARY-pw-55d1';
    const errors = [
      await env.fails('update', 'auth/userpass/login/nobody', 'invalid_request', { token: '', data: { password: canary } }),
      await env.fails('update', 'auth/userpass/users/j', 'invalid_request', { data: { password: { nested: canary } } }),
      await env.fails('update', 'auth/userpass/users/j', 'invalid_request', { data: { password: 'x', token_bound_cidrs: canary } }),
    ];
    for (const err of errors) expect(JSON.stringify(err.messages)).not.to.include(canary);
  });
});
