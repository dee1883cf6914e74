import { expect } from 'chai';
import { decodeRootToken, encodeRootToken, ROOT_TOKEN_LENGTH } from '../../../server/core/generate-root.js';
import { startInProcessCore, type InProcessCore } from '../../helpers/in-process-core.js';

describe('GenerateRoot (through the core)', () => {
  let env: InProcessCore;
  beforeEach(async () => {
    env = await startInProcessCore({ shares: 5, threshold: 3 });
  });
  afterEach(() => env.core.sealCore());

  const attempt = (op: 'read' | 'update' | 'delete', data: Record<string, unknown> = {}) => env.call(op, 'sys/generate-root/attempt', { token: '', data });
  const update = (key: Buffer, nonce: string) => env.call('update', 'sys/generate-root/update', { token: '', data: { key: key.toString('base64'), nonce } });

  it('round-trips the XOR/base64 encoding', () => {
    const otp = 'A'.repeat(ROOT_TOKEN_LENGTH);
    const token = 'hvs.' + 'b'.repeat(24);
    expect(decodeRootToken(encodeRootToken(token, otp), otp)).to.equal(token);
  });

  it('reports no attempt, then starts one with a 28-character base62 OTP', async () => {
    expect((await attempt('read'))?.data).to.include({ started: false, progress: 0, required: 3, complete: false, encoded_token: '' });
    const started = await attempt('update');
    expect(started?.data?.otp).to.match(/^[0-9A-Za-z]{28}$/);
    expect(started?.data).to.include({ started: true, otp_length: 28, progress: 0, required: 3 });
    expect(started?.data?.nonce).to.be.a('string').with.length.greaterThan(0);
    const status = await attempt('read');
    expect(status?.data).to.include({ started: true, nonce: started?.data?.nonce });
    expect(status?.data).not.to.have.property('otp');
    await env.fails('update', 'sys/generate-root/attempt', 'invalid_request', { token: '' });
  });

  it('mints a working root token from threshold unseal key shares', async () => {
    const started = await attempt('update');
    const nonce = started?.data?.nonce as string;
    const otp = started?.data?.otp as string;
    expect((await update(env.unsealKeys[0] as Buffer, nonce))?.data?.progress).to.equal(1);
    await env.fails('update', 'sys/generate-root/update', 'invalid_request', {
      token: '',
      data: { key: (env.unsealKeys[0] as Buffer).toString('hex'), nonce },
    });
    expect((await update(env.unsealKeys[3] as Buffer, nonce))?.data?.progress).to.equal(2);
    const done = await update(env.unsealKeys[4] as Buffer, nonce);
    expect(done?.data).to.include({ complete: true, progress: 3 });
    expect(done?.data?.encoded_root_token).to.equal(done?.data?.encoded_token);
    const token = decodeRootToken(done?.data?.encoded_token as string, otp);
    expect(token).to.match(/^hvs\.[0-9A-Za-z]{24}$/);
    const self = await env.call('read', 'auth/token/lookup-self', { token });
    expect(self?.data?.policies).to.deep.equal(['root']);
    expect((await attempt('read'))?.data?.started).to.equal(false);
  });

  it('refuses shares of another cluster with a 400 and resets progress, minting nothing', async () => {
    const other = await startInProcessCore({ shares: 5, threshold: 3 });
    await other.core.sealCore();
    const started = await attempt('update');
    const nonce = started?.data?.nonce as string;
    const before = (await env.core.tokens.allEntries()).length;
    await update(other.unsealKeys[0] as Buffer, nonce);
    await update(other.unsealKeys[1] as Buffer, nonce);
    await env.fails('update', 'sys/generate-root/update', 'invalid_request', {
      token: '',
      data: { key: (other.unsealKeys[2] as Buffer).toString('base64'), nonce },
    });
    expect((await attempt('read'))?.data).to.include({ started: true, progress: 0 });
    expect((await env.core.tokens.allEntries()).length).to.equal(before);
    // Mixed shares (two of ours, one foreign) fail as well.
    await update(env.unsealKeys[0] as Buffer, nonce);
    await update(env.unsealKeys[1] as Buffer, nonce);
    await env.fails('update', 'sys/generate-root/update', 'invalid_request', {
      token: '',
      data: { key: (other.unsealKeys[0] as Buffer).toString('base64'), nonce },
    });
  });

  it('refuses a wrong nonce and an update without an attempt; cancel drops the attempt', async () => {
    await env.fails('update', 'sys/generate-root/update', 'invalid_request', {
      token: '',
      data: { key: (env.unsealKeys[0] as Buffer).toString('base64'), nonce: 'x' },
    });
    await attempt('update');
    await env.fails('update', 'sys/generate-root/update', 'invalid_request', {
      token: '',
      data: { key: (env.unsealKeys[0] as Buffer).toString('base64'), nonce: 'wrong' },
    });
    await attempt('delete');
    expect((await attempt('read'))?.data?.started).to.equal(false);
  });

  it('refuses PGP and a malformed client OTP', async () => {
    await env.fails('update', 'sys/generate-root/attempt', 'invalid_request', { token: '', data: { pgp_key: 'abc' } });
    await env.fails('update', 'sys/generate-root/attempt', 'invalid_request', { token: '', data: { otp: 'short' } });
  });
});
