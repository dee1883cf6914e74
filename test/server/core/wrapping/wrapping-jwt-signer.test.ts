import { expect } from 'chai';
import { base64url, decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import { pino } from 'pino';
import type { Core } from '../../../../server/core/core.js';
import { createCore } from '../../../../server/core/create-core.js';
import { isJwtWrappingToken, WRAPPING_JWT_KEY_PATH, WrappingJwtSigner } from '../../../../server/core/wrapping/wrapping-jwt-signer.js';
import { MemoryBackend } from '../../../../server/storage/memory-backend.js';

async function unsealedCore(): Promise<Core> {
  const core = createCore({
    physical: new MemoryBackend(),
    logger: pino({ level: 'silent' }),
    clusterName: 't',
    apiAddr: 'http://127.0.0.1:8200',
    clusterAddr: 'https://127.0.0.1:8201',
    isDev: false,
  });
  await core.initialize(1, 1, { stayUnsealed: true });
  return core;
}

function flipSignatureByte(token: string): string {
  const [h, p, s] = token.split('.') as [string, string, string];
  const sig = Buffer.from(base64url.decode(s));
  sig[10] = (sig[10] as number) ^ 0x01;
  return `${h}.${p}.${base64url.encode(sig)}`;
}

describe('WrappingJwtSigner', () => {
  let core: Core;
  let signer: WrappingJwtSigner;
  beforeEach(async () => {
    core = await unsealedCore();
    signer = new WrappingJwtSigner(core.barrier);
  });
  afterEach(() => core.sealCore());

  it('recognises the JWT form by shape, not opaque ids', () => {
    expect(isJwtWrappingToken('hvs.abcdef')).to.equal(false);
    expect(isJwtWrappingToken('eyJh.eyJi.sig')).to.equal(true);
    expect(isJwtWrappingToken('a..c')).to.equal(false);
    expect(isJwtWrappingToken('eyJh.eyJi.sig.x')).to.equal(false);
  });

  it("signs ES512 with Vault's claims and a raw 132-byte signature, and verifies its own tokens", async () => {
    const token = await signer.sign({ jti: 'hvs.abc', ttlSeconds: 1800, addr: 'http://127.0.0.1:8200', accessor: '' });
    expect(decodeProtectedHeader(token)).to.deep.equal({ alg: 'ES512', typ: 'JWT' });
    const claims = decodeJwt(token);
    expect(claims).to.include({ jti: 'hvs.abc', type: 'wrapping', addr: 'http://127.0.0.1:8200', accessor: '' });
    expect((claims.exp as number) - (claims.iat as number)).to.equal(1800);
    expect((claims.iat as number) - (claims.nbf as number)).to.equal(5);
    expect(base64url.decode(token.split('.')[2] as string)).to.have.length(132);
    expect(await signer.verify(token)).to.equal('hvs.abc');
  });

  it('keeps one P-521 key per cluster behind the barrier under local/, reused after a restart of the signer', async () => {
    const token = await signer.sign({ jti: 'x', ttlSeconds: 60, addr: '', accessor: '' });
    const stored = JSON.parse(((await core.barrier.get(WRAPPING_JWT_KEY_PATH)) as Buffer).toString('utf8')) as { jwk: { crv: string } };
    expect(WRAPPING_JWT_KEY_PATH.startsWith('local/')).to.equal(true);
    expect(stored.jwk.crv).to.equal('P-521');
    expect(await new WrappingJwtSigner(core.barrier).verify(token)).to.equal('x');
  });

  it('mints a single key under concurrent first use', async () => {
    const tokens = await Promise.all([1, 2, 3, 4].map((i) => signer.sign({ jti: `t${i}`, ttlSeconds: 60, addr: '', accessor: '' })));
    const fresh = new WrappingJwtSigner(core.barrier);
    for (const [i, token] of tokens.entries()) expect(await fresh.verify(token)).to.equal(`t${i + 1}`);
  });

  it('refuses a flipped signature byte, alg none, HS256, another key, a wrong type, and an expired token', async () => {
    const good = await signer.sign({ jti: 'hvs.abc', ttlSeconds: 60, addr: '', accessor: '' });
    expect(await signer.verify(flipSignatureByte(good))).to.equal(undefined);
    const [, payload] = good.split('.') as [string, string];
    const none = `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${payload}.`;
    expect(await signer.verify(none)).to.equal(undefined);
    const now = Math.floor(Date.now() / 1000);
    const hs = await new SignJWT({ type: 'wrapping' })
      .setProtectedHeader({ alg: 'HS256' })
      .setJti('hvs.abc')
      .setIssuedAt()
      .setExpirationTime(now + 60)
      .sign(new Uint8Array(32));
    expect(await signer.verify(hs)).to.equal(undefined);
    const other = await generateKeyPair('ES512');
    const foreign = await new SignJWT({ type: 'wrapping' })
      .setProtectedHeader({ alg: 'ES512' })
      .setJti('hvs.abc')
      .setIssuedAt()
      .setExpirationTime(now + 60)
      .sign(other.privateKey);
    expect(await signer.verify(foreign)).to.equal(undefined);
    const key = await importOwnKey(core);
    const wrongType = await new SignJWT({ type: 'other' })
      .setProtectedHeader({ alg: 'ES512' })
      .setJti('hvs.abc')
      .setIssuedAt()
      .setExpirationTime(now + 60)
      .sign(key);
    expect(await signer.verify(wrongType)).to.equal(undefined);
    const expired = await new SignJWT({ type: 'wrapping' })
      .setProtectedHeader({ alg: 'ES512' })
      .setJti('hvs.abc')
      .setIssuedAt(now - 120)
      .setExpirationTime(now - 60)
      .sign(key);
    expect(await signer.verify(expired)).to.equal(undefined);
    const future = await new SignJWT({ type: 'wrapping' })
      .setProtectedHeader({ alg: 'ES512' })
      .setJti('hvs.abc')
      .setIssuedAt(now)
      .setNotBefore(now + 60)
      .setExpirationTime(now + 120)
      .sign(key);
    expect(await signer.verify(future)).to.equal(undefined);
    const control = await new SignJWT({ type: 'wrapping' })
      .setProtectedHeader({ alg: 'ES512' })
      .setJti('hvs.abc')
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(key);
    expect(await signer.verify(control)).to.equal('hvs.abc');
  });
});

async function importOwnKey(core: Core) {
  const { importJWK } = await import('jose');
  const stored = JSON.parse(((await core.barrier.get(WRAPPING_JWT_KEY_PATH)) as Buffer).toString('utf8')) as { jwk: Record<string, string> };
  return importJWK(stored.jwk, 'ES512');
}
