import { expect } from 'chai';
import { layout } from '../../../../server/core/storage-layout.js';
import { leasingBackend, startInProcessCore, type InProcessCore } from '../../../helpers/in-process-core.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
}

describe('ExpirationManager (through the core)', () => {
  let env: InProcessCore;
  beforeEach(async () => {
    // kv-typed mounts run the leasing backend too: they prove that kv responses never get a lease.
    env = await startInProcessCore({ backendsFor: (leasing) => ({ kv: leasingBackend(leasing) }) });
  });
  afterEach(() => env.core.sealCore());

  const issue = async (name = 'app', ttl?: string, token?: string) => {
    const res = await env.call('read', `leasing/creds/${name}`, { data: ttl === undefined ? {} : { ttl }, ...(token ? { token } : {}) });
    return res as NonNullable<typeof res>;
  };

  it('registers a lease for a lease-bearing response: id under the request path, TTL, renewable', async () => {
    const res = await issue('app', '1h');
    expect(res.leaseId).to.match(/^leasing\/creds\/app\/[0-9A-Za-z]{24}$/);
    expect(res.secret?.ttlSeconds).to.equal(3600);
    const lookup = await env.call('update', 'sys/leases/lookup', { data: { lease_id: res.leaseId } });
    expect(lookup?.data).to.include({ id: res.leaseId, renewable: true, last_renewal: null });
    expect(lookup?.data?.ttl).to.be.within(3595, 3600);
    const stored = await env.physical.list(`${layout.leases}id/leasing/creds/app/`);
    expect(stored).to.have.length(1);
    expect(JSON.stringify(lookup)).not.to.contain('user-app');
  });

  it('gives kv-typed mounts their TTL but no lease, as Vault does', async () => {
    await env.call('update', 'sys/mounts/kvish', { data: { type: 'kv' } });
    const res = await env.call('read', 'kvish/creds/app', { data: { ttl: '1h' } });
    expect(res?.leaseId).to.equal(undefined);
    expect(res?.secret?.renewable).to.equal(false);
    expect(env.core.expiration.leaseCount).to.equal(0);
  });

  it("applies the mount's default and max lease TTLs", async () => {
    await env.call('update', 'sys/mounts/short', { data: { type: 'leasing', config: { default_lease_ttl: 60, max_lease_ttl: 120 } } });
    expect((await env.call('read', 'short/creds/a'))?.secret?.ttlSeconds).to.equal(60);
    const capped = await env.call('read', 'short/creds/b', { data: { ttl: '1h' } });
    expect(capped?.secret?.ttlSeconds).to.equal(120);
    const renewed = await env.call('update', 'sys/leases/renew', { data: { lease_id: capped?.leaseId, increment: '1h' } });
    expect(renewed?.secret?.ttlSeconds).to.be.at.most(120);
  });

  it('renews through sys/leases/renew and the legacy sys/renew', async () => {
    const res = await issue('app', '60s');
    const renewed = await env.call('update', 'sys/leases/renew', { data: { lease_id: res.leaseId, increment: 600 } });
    expect(renewed?.leaseId).to.equal(res.leaseId);
    expect(renewed?.secret?.ttlSeconds).to.be.within(598, 600);
    const legacy = await env.call('update', `sys/renew/${res.leaseId}`, { data: { increment: '300s' } });
    expect(legacy?.secret?.ttlSeconds).to.be.within(298, 300);
    expect((await env.call('update', 'sys/leases/lookup', { data: { lease_id: res.leaseId } }))?.data?.last_renewal).to.be.a('string');
    await env.fails('update', 'sys/leases/renew', 'invalid_request', { data: { lease_id: 'leasing/creds/app/nope' } });
  });

  it('revokes through the issuing backend; lookups of a revoked lease are 400', async () => {
    const res = await issue('app');
    await env.call('update', 'sys/leases/revoke', { data: { lease_id: res.leaseId } });
    expect(env.leasing.revoked).to.deep.equal([{ username: 'user-app' }]);
    await env.fails('update', 'sys/leases/lookup', 'invalid_request', { data: { lease_id: res.leaseId } });
    // Unknown leases revoke as a no-op, as in Vault.
    await env.call('update', `sys/revoke/${res.leaseId}`);
    expect(env.leasing.revoked).to.have.length(1);
  });

  it('lists lease ids by prefix (sudo path)', async () => {
    await issue('a');
    await issue('a');
    await issue('b');
    const top = await env.call('list', 'sys/leases/lookup/leasing/creds/');
    expect(top?.data?.keys).to.deep.equal(['a/', 'b/']);
    expect((await env.call('list', 'sys/leases/lookup/leasing/creds/a/'))?.data?.keys).to.have.length(2);
    await env.fails('list', 'sys/leases/lookup/nothing/', 'not_found');
  });

  it('revoke-prefix revokes every lease below the prefix; a failing backend stops it unless forced', async () => {
    await issue('a');
    await issue('b');
    const other = await env.call('update', 'sys/mounts/other', { data: { type: 'leasing' } }).then(() => env.call('read', 'other/creds/z'));
    env.leasing.failRevocation = true;
    await env.fails('update', 'sys/leases/revoke-prefix/leasing/creds', 'internal');
    expect(env.core.expiration.leaseCount).to.equal(3);
    await env.call('update', 'sys/leases/revoke-force/leasing/creds');
    expect(env.core.expiration.leaseCount).to.equal(1);
    env.leasing.failRevocation = false;
    await env.call('update', 'sys/revoke-prefix/other/');
    expect(env.core.expiration.leaseCount).to.equal(0);
    expect(env.leasing.revoked).to.deep.equal([{ username: 'user-z' }]);
    void other;
  });

  it('revoke-prefix on an auth path revokes the tokens issued under it', async () => {
    const child = (await env.call('update', 'auth/token/create', { data: { policies: ['default'] } }))?.auth?.clientToken as string;
    await env.call('update', 'sys/leases/revoke-prefix/auth/token/create');
    await env.fails('read', 'auth/token/lookup-self', 'permission_denied', { token: child });
    await env.call('read', 'auth/token/lookup-self');
  });

  it('revokes an expired lease on time through the backend', async () => {
    const res = await issue('app', '1s');
    await until(() => env.leasing.revoked.length === 1, 4000);
    expect(env.core.expiration.leaseCount).to.equal(0);
    expect(await env.physical.list(`${layout.leases}id/leasing/creds/app/`)).to.deep.equal([]);
    void res;
  });

  it('revokes nothing on a DR secondary (its primary does); once promoted it revokes on time again', async () => {
    let isDrSecondary = false;
    env.core.attachReplication({ mode: () => (isDrSecondary ? 'secondary' : 'primary'), isDrSecondary: () => isDrSecondary }, () => []);
    await issue('app', '1s');
    isDrSecondary = true;
    await sleep(2500);
    expect(env.leasing.revoked).to.deep.equal([]);
    expect(env.core.expiration.leaseCount).to.equal(1);
    isDrSecondary = false;
    await until(() => env.leasing.revoked.length === 1, 4000);
  });

  it("revokes a token's leases together with the token", async () => {
    const child = (await env.call('update', 'auth/token/create', { data: { policies: ['root'] } }))?.auth?.clientToken as string;
    await issue('mine', '1h', child);
    await issue('rootish', '1h');
    await env.call('update', 'auth/token/revoke', { data: { token: child } });
    expect(env.leasing.revoked).to.deep.equal([{ username: 'user-mine' }]);
    expect(env.core.expiration.leaseCount).to.equal(1);
  });

  it('sweeps expired tokens (and their leases) without anyone looking them up', async () => {
    const child = (await env.call('update', 'auth/token/create', { data: { policies: ['root'], ttl: '1s' } }))?.auth?.clientToken as string;
    await issue('short', '1h', child);
    const hash = env.core.tokens.hashOf(child);
    await until(async () => !(await env.core.tokens.allEntries()).some((e) => e.hash === hash), 4000);
    await until(() => env.leasing.revoked.length === 1, 2000);
  });

  it('keeps leases across a restart and still revokes them on time afterwards', async () => {
    await issue('persist', '2s');
    await issue('long', '1h');
    await env.core.sealCore();
    const restarted = await startInProcessCore({ restart: { physical: env.physical, unsealKeys: env.unsealKeys, rootToken: env.rootToken } });
    env = restarted;
    expect(restarted.core.expiration.leaseCount).to.equal(2);
    await until(() => restarted.leasing.revoked.length === 1, 5000);
    expect(restarted.leasing.revoked).to.deep.equal([{ username: 'user-persist' }]);
    expect(restarted.core.expiration.leaseCount).to.equal(1);
  });

  it('expires a 2s token across a restart in between', async () => {
    const child = (await env.call('update', 'auth/token/create', { data: { policies: ['default'], ttl: '2s' } }))?.auth?.clientToken as string;
    await env.call('read', 'auth/token/lookup-self', { token: child });
    await env.core.sealCore();
    env = await startInProcessCore({ restart: { physical: env.physical, unsealKeys: env.unsealKeys, rootToken: env.rootToken } });
    await env.call('read', 'auth/token/lookup-self', { token: child });
    await sleep(2200);
    await env.fails('read', 'auth/token/lookup-self', 'permission_denied', { token: child });
  });

  it('stops the sweep on seal', async () => {
    await issue('app', '1s');
    await env.core.sealCore();
    await sleep(1500);
    expect(env.leasing.revoked).to.deep.equal([]);
    env = await startInProcessCore({ restart: { physical: env.physical, unsealKeys: env.unsealKeys, rootToken: env.rootToken } });
    await until(() => env.leasing.revoked.length === 1, 3000);
  });
});
