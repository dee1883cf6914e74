import { expect } from 'chai';
import { createHmac } from 'node:crypto';
import { startDevServer, waitFor, type ApiResponse, type ServerHandle } from '../helpers/test-cluster.js';

/**
 * Activation safety (issue 4): `sys/replication/secondary/enable` validates the activation token
 * before it touches anything. For every bad token — replayed, expired, signature-tampered,
 * `alg: none` / HS256 forged, or minted by another primary — the target answers 4xx with
 * `{"errors":[...]}`, stays a non-replicating cluster, and keeps all of its data.
 */
describe('replication activation safety: bad secondary tokens leave the target untouched', function () {
  this.timeout(120_000);

  const REQUEST_TIMEOUT_MS = 20_000;
  const KEEP_VALUE = 'keep-me-6f1c2e';

  let primaryA: ServerHandle;
  let primaryB: ServerHandle;
  let usedSecondary: ServerHandle;
  let target: ServerHandle;

  /** Every request in this file is bounded: a hung server fails the test instead of stalling it. */
  async function call(server: ServerHandle, method: string, path: string, options: Parameters<ServerHandle['request']>[2] = {}): Promise<ApiResponse> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${method} ${path} at ${server.addr} took longer than ${REQUEST_TIMEOUT_MS}ms`)), REQUEST_TIMEOUT_MS);
    });
    try {
      return await Promise.race([server.request(method, path, options), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function secondaryToken(primary: ServerHandle, id: string, ttl?: string): Promise<string> {
    const res = await call(primary, 'POST', 'sys/replication/primary/secondary-token', { body: ttl === undefined ? { id } : { id, ttl } });
    expect(res.status, res.text).to.equal(200);
    const token = res.body?.wrap_info?.token;
    expect(token, 'wrap_info.token').to.be.a('string');
    return token as string;
  }

  const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const decodePart = (token: string, index: number): Record<string, unknown> =>
    JSON.parse(Buffer.from(token.split('.')[index] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;

  /** Tries to activate `target` with `body`, then proves nothing about it changed. */
  async function expectRejectedAndIntact(body: Record<string, unknown>, message?: RegExp): Promise<void> {
    const res = await call(target, 'POST', 'sys/replication/secondary/enable', { body });
    expect(res.status, `activation answered ${res.status}: ${res.text}`).to.be.within(400, 499);
    expect(res.body, res.text).to.have.property('errors').that.is.an('array').that.is.not.empty;
    const token = String(body.token);
    const signature = token.split('.')[2] ?? '';
    const errorText = (res.body.errors as unknown[]).join(' ');
    if (signature.length > 8) expect(errorText, 'error text must not echo the token').to.not.include(signature);
    if (message !== undefined) expect(errorText).to.match(message);

    const kept = await call(target, 'GET', 'secret/data/keepme');
    expect(kept.status, `target lost its data: ${kept.text}`).to.equal(200);
    expect(kept.body.data.data).to.deep.equal({ value: KEEP_VALUE });

    const status = await call(target, 'GET', 'sys/replication/status', { token: null });
    expect(status.status, status.text).to.equal(200);
    expect(status.body.data.mode).to.equal('disabled');
  }

  /** Defence in depth: the primary itself refuses to unwrap a forged token sent straight to it. */
  async function expectPrimaryRefusesUnwrap(forged: string): Promise<void> {
    const res = await call(primaryA, 'POST', 'sys/wrapping/unwrap', { token: forged, body: {} });
    expect(res.status, `primary unwrap of a forged token answered ${res.status}: ${res.text}`).to.be.within(400, 499);
    expect(res.body, res.text).to.not.have.property('data');
  }

  before(async () => {
    [primaryA, primaryB, usedSecondary, target] = await Promise.all([
      startDevServer({ rootTokenId: 'root' }),
      startDevServer({ rootTokenId: 'root' }),
      startDevServer({ rootTokenId: 'root' }),
      startDevServer({ rootTokenId: 'root' }),
    ]);
    for (const primary of [primaryA, primaryB]) {
      const res = await call(primary, 'POST', 'sys/replication/primary/enable', { body: {} });
      expect(res.status, res.text).to.be.within(200, 204);
    }
    const put = await call(target, 'POST', 'secret/data/keepme', { body: { data: { value: KEEP_VALUE } } });
    expect(put.status, put.text).to.equal(200);
  });

  after(async () => {
    await Promise.all([primaryA, primaryB, usedSecondary, target].map((s) => s?.stop()));
  });

  it('the target starts with its data and replication disabled (control)', async () => {
    const kept = await call(target, 'GET', 'secret/data/keepme');
    expect(kept.status).to.equal(200);
    expect(kept.body.data.data).to.deep.equal({ value: KEEP_VALUE });
    const status = await call(target, 'GET', 'sys/replication/status', { token: null });
    expect(status.body.data.mode).to.equal('disabled');
  });

  it('rejects a replayed token (already used once by another secondary)', async () => {
    const token = await secondaryToken(primaryA, 'dc-replay');
    const first = await call(usedSecondary, 'POST', 'sys/replication/secondary/enable', { body: { token } });
    expect(first.status, `first use answered ${first.status}: ${first.text}`).to.be.within(200, 204);
    await waitFor(async () => (await call(usedSecondary, 'GET', 'sys/replication/status', { token: null })).body?.data?.mode === 'secondary', {
      timeoutMs: 15_000,
      description: 'the first secondary to become a secondary',
    });
    // Said plainly, not as the primary's raw unwrap error ("status code is 403, permission denied").
    await expectRejectedAndIntact(
      { token },
      /^the activation token was already used or has expired: generate a new one on the primary \(http:\/\/127\.0\.0\.1:\d+\)$/,
    );
  });

  it('rejects an expired token (ttl=1s)', async () => {
    const token = await secondaryToken(primaryA, 'dc-expired', '1s');
    const exp = decodePart(token, 1).exp as number;
    expect(exp).to.be.a('number');
    await waitFor(() => Date.now() > exp * 1000 + 1_500, { timeoutMs: 10_000, intervalMs: 100, description: 'the token to expire' });
    await expectRejectedAndIntact({ token }, /expired/);
  });

  it('rejects a token whose signature was tampered with', async () => {
    const token = await secondaryToken(primaryA, 'dc-tampered');
    const [header, payload, signature = ''] = token.split('.');
    const mid = Math.floor(signature.length / 2);
    const flipped = signature[mid] === 'A' ? 'B' : 'A';
    const tampered = `${header}.${payload}.${signature.slice(0, mid)}${flipped}${signature.slice(mid + 1)}`;
    expect(tampered).to.not.equal(token);
    await expectRejectedAndIntact({ token: tampered });
  });

  it('rejects an alg:none token forged from real claims', async () => {
    const real = await secondaryToken(primaryA, 'dc-none');
    const forged = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(decodePart(real, 1))}.`;
    await expectRejectedAndIntact({ token: forged });
    await expectPrimaryRefusesUnwrap(forged);
  });

  it('rejects an HS256 token forged from real claims', async () => {
    const real = await secondaryToken(primaryA, 'dc-hs256');
    const signingInput = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(decodePart(real, 1))}`;
    const mac = createHmac('sha256', 'attacker-chosen-secret').update(signingInput).digest('base64url');
    await expectRejectedAndIntact({ token: `${signingInput}.${mac}` });
    await expectPrimaryRefusesUnwrap(`${signingInput}.${mac}`);
  });

  it('rejects a token from another primary pointed at this primary', async () => {
    const foreign = await secondaryToken(primaryB, 'dc-foreign');
    await expectRejectedAndIntact({ token: foreign, primary_api_addr: primaryA.addr });
  });

  it('still activates with a good token afterwards (the rejections were not blanket refusals)', async () => {
    const token = await secondaryToken(primaryA, 'dc-good');
    const res = await call(target, 'POST', 'sys/replication/secondary/enable', { body: { token } });
    expect(res.status, res.text).to.be.within(200, 204);
    await waitFor(async () => (await call(target, 'GET', 'sys/replication/status', { token: null })).body?.data?.mode === 'secondary', {
      timeoutMs: 15_000,
      description: 'the target to become a secondary',
    });
  });
});
