import { expect } from 'chai';
import { base64url, decodeJwt } from 'jose';
import { layout } from '../../../../server/core/storage-layout.js';
import { INVALID_WRAPPING_TOKEN, wrapResponse } from '../../../../server/core/wrapping/response-wrapper.js';
import { startInProcessCore, type InProcessCore } from '../../../helpers/in-process-core.js';

const SECRET = 'wrapped-plaintext-91ab';

function flipSignatureByte(token: string): string {
  const [h, p, s] = token.split('.') as [string, string, string];
  const sig = Buffer.from(base64url.decode(s));
  sig[20] = (sig[20] as number) ^ 0x80;
  return `${h}.${p}.${base64url.encode(sig)}`;
}

async function wrappedKeys(env: InProcessCore): Promise<number> {
  return (await env.physical.list(`${layout.wrapping}response/`)).length;
}

describe('ResponseWrapper (through the core)', () => {
  let env: InProcessCore;
  beforeEach(async () => {
    env = await startInProcessCore();
    await env.call('update', 'leasing/values/app', { data: { password: SECRET } });
  });
  afterEach(() => env.core.sealCore());

  const unwrap = (token: string) => env.call('update', 'sys/wrapping/unwrap', { data: { token } });
  const lookup = (token: string) => env.call('update', 'sys/wrapping/lookup', { data: { token }, token: '' });

  it('wraps any response when a wrap TTL is asked for: wrap_info only, no data', async () => {
    const res = await env.call('read', 'leasing/values/app', { wrapTtlSeconds: 120 });
    expect(res?.data).to.equal(null);
    expect(res?.wrapInfo?.token).to.match(/^hvs\./);
    expect(res?.wrapInfo).to.include({ ttl: 120, creation_path: 'leasing/values/app' });
    expect(res?.wrapInfo?.accessor).to.be.a('string').with.length.greaterThan(0);
    expect(Date.parse(res?.wrapInfo?.creation_time as string)).to.be.closeTo(Date.now(), 5000);
    expect(JSON.stringify(res)).not.to.contain(SECRET);
  });

  it("unwraps exactly once; the second unwrap is a 400 with Vault's message", async () => {
    const token = (await env.call('read', 'leasing/values/app', { wrapTtlSeconds: 120 }))?.wrapInfo?.token as string;
    expect((await unwrap(token))?.data).to.deep.equal({ password: SECRET });
    const err = await env.fails('update', 'sys/wrapping/unwrap', 'invalid_request', { data: { token } });
    expect(err.message).to.equal(INVALID_WRAPPING_TOKEN);
    expect(await wrappedKeys(env)).to.equal(0);
  });

  it('lets exactly one of many concurrent unwraps win', async () => {
    const token = (await env.call('read', 'leasing/values/app', { wrapTtlSeconds: 120 }))?.wrapInfo?.token as string;
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map(() => unwrap(token)));
    expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1);
  });

  it('looks a token up without a client token and without consuming it', async () => {
    const token = (await env.call('read', 'leasing/values/app', { wrapTtlSeconds: 90 }))?.wrapInfo?.token as string;
    const first = await lookup(token);
    expect(first?.data).to.include({ creation_ttl: 90, creation_path: 'leasing/values/app' });
    expect(first?.data?.creation_time).to.be.a('string');
    await lookup(token);
    expect((await unwrap(token))?.data).to.deep.equal({ password: SECRET });
    await env.fails('update', 'sys/wrapping/lookup', 'invalid_request', { data: { token }, token: '' });
  });

  it('issues JWT-form tokens on request, unwraps them once, and refuses a flipped signature byte without consuming', async () => {
    const res = await env.call('read', 'leasing/values/app', { wrapTtlSeconds: 60, headers: { 'x-vault-wrap-format': 'jwt' } });
    const jwt = res?.wrapInfo?.token as string;
    expect(jwt.split('.')).to.have.length(3);
    expect(decodeJwt(jwt)).to.include({ type: 'wrapping', addr: env.core.options.apiAddr, accessor: '' });
    const tampered = flipSignatureByte(jwt);
    expect((await env.fails('update', 'sys/wrapping/unwrap', 'invalid_request', { data: { token: tampered } })).message).to.equal(INVALID_WRAPPING_TOKEN);
    await env.fails('update', 'sys/wrapping/lookup', 'invalid_request', { data: { token: tampered }, token: '' });
    expect((await lookup(jwt))?.data?.creation_ttl).to.equal(60);
    expect((await unwrap(jwt))?.data).to.deep.equal({ password: SECRET });
    await env.fails('update', 'sys/wrapping/unwrap', 'invalid_request', { data: { token: jwt } });
  });

  it('exports wrapResponse for replication: a JWT whose jti is a live wrapping token', async () => {
    const info = await wrapResponse(
      env.core,
      { data: { bundle: 'activation' } },
      { ttlSeconds: 1800, creationPath: 'sys/replication/performance/primary/secondary-token', format: 'jwt' },
    );
    expect(info.ttl).to.equal(1800);
    expect(info.creation_path).to.equal('sys/replication/performance/primary/secondary-token');
    const claims = decodeJwt(info.token);
    expect(claims.jti).to.match(/^hvs\./);
    expect((claims.exp as number) - (claims.iat as number)).to.equal(1800);
    expect((await unwrap(info.token))?.data).to.deep.equal({ bundle: 'activation' });
  });

  it('sys/wrapping/wrap wraps the request body, with a default TTL when no header is sent', async () => {
    const res = await env.call('update', 'sys/wrapping/wrap', { data: { a: 'b' } });
    expect(res?.wrapInfo?.ttl).to.equal(300);
    expect(res?.warnings ?? []).to.deep.equal([]);
    expect(res?.wrapInfo?.creation_path).to.equal('sys/wrapping/wrap');
    expect((await unwrap(res?.wrapInfo?.token as string))?.data).to.deep.equal({ a: 'b' });
  });

  it('rewraps into a new token with the same TTL and path; the old token is spent', async () => {
    const old = (await env.call('read', 'leasing/values/app', { wrapTtlSeconds: 75 }))?.wrapInfo?.token as string;
    const res = await env.call('update', 'sys/wrapping/rewrap', { data: { token: old } });
    expect(res?.wrapInfo).to.include({ ttl: 75, creation_path: 'leasing/values/app' });
    expect(res?.wrapInfo?.token).not.to.equal(old);
    await env.fails('update', 'sys/wrapping/unwrap', 'invalid_request', { data: { token: old } });
    expect((await unwrap(res?.wrapInfo?.token as string))?.data).to.deep.equal({ password: SECRET });
  });

  it('wraps a token-creating response with wrapped_accessor, and the unwrapped token works', async () => {
    const res = await env.call('update', 'auth/token/create', { data: { policies: ['default'] }, wrapTtlSeconds: 60 });
    expect(res?.auth).to.equal(undefined);
    expect(res?.wrapInfo?.wrapped_accessor).to.be.a('string').with.length.greaterThan(0);
    const inner = await unwrap(res?.wrapInfo?.token as string);
    expect(inner?.auth?.accessor).to.equal(res?.wrapInfo?.wrapped_accessor);
    const self = await env.call('read', 'auth/token/lookup-self', { token: inner?.auth?.clientToken as string });
    expect(self?.data?.accessor).to.equal(inner?.auth?.accessor);
  });

  it('keeps the lease id of a wrapped lease-bearing response', async () => {
    const res = await env.call('read', 'leasing/creds/app', { wrapTtlSeconds: 60 });
    const inner = await unwrap(res?.wrapInfo?.token as string);
    expect(inner?.leaseId).to.match(/^leasing\/creds\/app\//);
    expect(env.core.expiration.leaseCount).to.equal(1);
    expect((await env.call('update', 'sys/leases/lookup', { data: { lease_id: inner?.leaseId } }))?.data?.id).to.equal(inner?.leaseId);
  });

  it('refuses an ordinary token as a wrapping token, and an expired wrapping token, dropping its stored response', async () => {
    await env.fails('update', 'sys/wrapping/unwrap', 'invalid_request', { data: { token: env.rootToken } });
    const token = (await env.call('read', 'leasing/values/app', { wrapTtlSeconds: 1 }))?.wrapInfo?.token as string;
    expect(await wrappedKeys(env)).to.equal(1);
    await new Promise((r) => setTimeout(r, 2100));
    await env.fails('update', 'sys/wrapping/unwrap', 'invalid_request', { data: { token } });
    expect(await wrappedKeys(env)).to.equal(0);
  });
});
