import { expect } from 'chai';
import { startDevServer, waitFor, type ServerHandle } from '../helpers/test-cluster.js';

/**
 * The seed's walkthrough between two real dev servers on loopback: enable → secondary token →
 * activate → stream, then what travels and what stays home.
 */
describe('replication: the seed walkthrough', function () {
  this.timeout(120_000);
  let primary: ServerHandle;
  let secondary: ServerHandle;
  const rootToken = 'seed-root-token';

  const status = async (server: ServerHandle) => (await server.request('GET', 'sys/replication/status', { token: null })).body.data;

  before(async () => {
    primary = await startDevServer({ rootTokenId: rootToken });
    secondary = await startDevServer({ rootTokenId: rootToken });
  });

  after(async () => {
    await Promise.all([primary?.stop(), secondary?.stop()]);
  });

  it('activates a secondary from a wrapped JWT token and streams', async () => {
    // State the secondary must lose on activation.
    expect((await secondary.request('POST', 'secret/data/old', { body: { data: { v: 'old-secondary-data' } } })).status).to.equal(200);
    const oldToken = (await secondary.request('POST', 'auth/token/create', { body: { policies: ['default'] } })).body.auth.client_token as string;

    const enable = await primary.request('POST', 'sys/replication/primary/enable');
    expect(enable.status).to.equal(200);
    expect(enable.body.warnings[0]).to.match(/enabled as a primary/);

    const tokenRes = await primary.request('POST', 'sys/replication/primary/secondary-token', { body: { id: 'dc2' } });
    expect(tokenRes.status).to.equal(200);
    expect(tokenRes.body.data).to.equal(null);
    const wrap = tokenRes.body.wrap_info;
    expect(wrap.creation_path).to.equal('sys/replication/primary/secondary-token');
    expect(wrap.ttl).to.equal(1800);
    const [header, claims] = (wrap.token as string)
      .split('.')
      .slice(0, 2)
      .map((p) => JSON.parse(Buffer.from(p, 'base64url').toString('utf8')));
    expect(header.alg).to.equal('ES512');
    expect(claims.type).to.equal('wrapping');
    expect(claims.addr).to.equal(primary.addr);

    const activate = await secondary.request('POST', 'sys/replication/secondary/enable', { body: { token: wrap.token } });
    expect(activate.status, activate.text).to.equal(200);

    const s = await waitFor(
      async () => {
        const st = await status(secondary);
        return st.mode === 'secondary' && st.state === 'stream-wals' ? st : undefined;
      },
      { timeoutMs: 15_000, description: 'secondary streaming' },
    );
    expect(s.secondary_id).to.equal('dc2');
    const p = await status(primary);
    expect(p.mode).to.equal('primary');
    expect(p.known_secondaries).to.deep.equal(['dc2']);
    expect(s.cluster_id).to.equal(p.cluster_id);

    // The wipe: old data and the old token are gone; the primary's dev root token works.
    expect((await secondary.request('GET', 'secret/data/old')).status).to.equal(404);
    expect((await secondary.request('GET', 'auth/token/lookup-self', { token: oldToken })).status).to.equal(403);
    expect((await secondary.request('GET', 'auth/token/lookup-self')).status).to.equal(200);
    // The token was single use.
    const again = await secondary.request('POST', 'sys/replication/secondary/enable', { body: { token: wrap.token } });
    expect(again.status).to.be.within(400, 499);
  });

  it('replicates a non-local mount and its secrets, but not a local mount', async () => {
    expect((await primary.request('POST', 'sys/mounts/shared', { body: { type: 'kv', options: { version: '2' } } })).status).to.equal(204);
    expect((await primary.request('POST', 'sys/mounts/primary-only', { body: { type: 'kv', local: true } })).status).to.equal(204);
    expect((await primary.request('POST', 'shared/data/app', { body: { data: { password: 'canary-shared-1' } } })).status).to.equal(200);
    expect((await primary.request('POST', 'primary-only/x', { body: { v: 'local-value' } })).status).to.equal(204);
    const read = await waitFor(
      async () => {
        const r = await secondary.request('GET', 'shared/data/app');
        return r.status === 200 ? r : undefined;
      },
      { timeoutMs: 10_000, description: 'replicated secret on the secondary' },
    );
    expect(read.body.data.data.password).to.equal('canary-shared-1');
    const mounts = (await secondary.request('GET', 'sys/mounts')).body.data;
    expect(mounts).to.have.property('shared/');
    expect(mounts).not.to.have.property('primary-only/');
  });

  it('refuses a non-local mount on the secondary and keeps a local one across sync', async () => {
    const refused = await secondary.request('POST', 'sys/mounts/nope', { body: { type: 'kv' } });
    expect(refused.status).to.equal(400);
    expect(refused.body.errors[0]).to.equal('cannot add a non-local mount to a replication secondary');
    expect((await secondary.request('POST', 'sys/mounts/site-local', { body: { type: 'kv', local: true } })).status).to.equal(204);
    expect((await secondary.request('POST', 'site-local/k', { body: { v: 'kept' } })).status).to.equal(204);
    // More replicated traffic, including a mount-table change, must not disturb the local mount.
    expect((await primary.request('POST', 'sys/mounts/another', { body: { type: 'kv' } })).status).to.equal(204);
    await waitFor(async () => ((await secondary.request('GET', 'sys/mounts')).body.data['another/'] ? true : undefined), { timeoutMs: 10_000 });
    expect((await secondary.request('GET', 'site-local/k')).body.data.v).to.equal('kept');
    expect((await primary.request('GET', 'sys/mounts')).body.data).not.to.have.property('site-local/');
  });

  it('keeps tokens local in both directions', async () => {
    const fromPrimary = (await primary.request('POST', 'auth/token/create', { body: { policies: ['default'] } })).body.auth.client_token;
    const fromSecondary = (await secondary.request('POST', 'auth/token/create', { body: { policies: ['default'] } })).body.auth.client_token;
    expect((await secondary.request('GET', 'auth/token/lookup-self', { token: fromPrimary })).status).to.equal(403);
    expect((await primary.request('GET', 'auth/token/lookup-self', { token: fromSecondary })).status).to.equal(403);
    expect((await secondary.request('GET', 'auth/token/lookup-self', { token: fromSecondary })).status).to.equal(200);
  });

  it('replicates policy and userpass config; a login on the secondary gives a secondary-only token', async () => {
    const policy = 'path "shared/data/*" { capabilities = ["read"] }';
    expect((await primary.request('PUT', 'sys/policies/acl/reader', { body: { policy } })).status).to.equal(204);
    expect((await primary.request('POST', 'sys/auth/userpass', { body: { type: 'userpass' } })).status).to.equal(204);
    expect((await primary.request('POST', 'auth/userpass/users/alice', { body: { password: 'alice-pass-1', policies: 'reader' } })).status).to.equal(204);
    const login = await waitFor(
      async () => {
        const r = await secondary.request('POST', 'auth/userpass/login/alice', { token: null, body: { password: 'alice-pass-1' } });
        return r.status === 200 ? r : undefined;
      },
      { timeoutMs: 10_000, description: 'userpass login on the secondary' },
    );
    const token = login.body.auth.client_token as string;
    expect((await secondary.request('GET', 'shared/data/app', { token })).status).to.equal(200);
    expect((await secondary.request('GET', 'sys/mounts', { token })).status).to.equal(403);
    expect((await primary.request('GET', 'auth/token/lookup-self', { token })).status).to.equal(403);
  });

  it('forwards a write on the secondary to the primary and reads it back at once', async () => {
    const write = await secondary.request('POST', 'shared/data/from-secondary', { body: { data: { v: 'forwarded' } } });
    expect(write.status, write.text).to.equal(200);
    expect((await secondary.request('GET', 'shared/data/from-secondary')).body.data.data.v).to.equal('forwarded');
    expect((await primary.request('GET', 'shared/data/from-secondary')).body.data.data.v).to.equal('forwarded');
  });

  it('refuses primary/enable on a secondary (never two primaries)', async () => {
    const res = await secondary.request('POST', 'sys/replication/primary/enable');
    expect(res.status).to.equal(400);
    expect((await status(secondary)).mode).to.equal('secondary');
  });

  it('reports equal Merkle roots when idle', async () => {
    const both = await waitFor(
      async () => {
        const [p, s] = await Promise.all([status(primary), status(secondary)]);
        return p.merkle_root === s.merkle_root && s.last_remote_wal >= p.last_wal ? { p, s } : undefined;
      },
      { timeoutMs: 15_000, description: 'converged Merkle roots' },
    );
    expect(both.p.merkle_root).to.match(/^[0-9a-f]{40}$/);
    const health = await secondary.request('GET', 'sys/health', { token: null });
    expect(health.body.replication_performance_mode).to.equal('secondary');
  });
});
