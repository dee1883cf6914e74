import { expect } from 'chai';
import { assertCliBuilt, runFerry } from '../helpers/ferry-cli.js';
import { startSqliteServer, waitFor, type ServerHandle } from '../helpers/test-cluster.js';

/**
 * A DR secondary answers no client request: a KV read, a login and a write are refused with
 * Vault's 400 "path disabled in replication DR secondary mode", whatever the token; it answers
 * status, health (472, or `drsecondarycode`) and seal status. Activation tokens of the other
 * replication type are refused with a 400 before anything changes.
 */
describe('DR secondary refusals (SQLite primary and DR secondary)', function () {
  this.timeout(120_000);

  const REFUSAL = 'path disabled in replication DR secondary mode';
  let primary: ServerHandle;
  let secondary: ServerHandle;

  async function ok(server: ServerHandle, method: string, path: string, body?: unknown): Promise<any> {
    const res = await server.request(method, path, body === undefined ? {} : { body });
    expect(res.status, `${method} ${path}: ${res.text}`).to.be.within(200, 204);
    return res.body;
  }

  before(async () => {
    [primary, secondary] = await Promise.all([startSqliteServer(), startSqliteServer()]);
    await ok(primary, 'POST', 'sys/mounts/secret', { type: 'kv', options: { version: '2' } });
    await ok(primary, 'POST', 'secret/data/app', { data: { password: 'dr-refusal-pw' } });
    await ok(primary, 'POST', 'sys/auth/userpass', { type: 'userpass' });
    await ok(primary, 'POST', 'auth/userpass/users/alice', { password: 'alice-pass-77', policies: 'default' });
    await ok(primary, 'POST', 'sys/replication/dr/primary/enable', {});
    await ok(primary, 'POST', 'sys/replication/performance/primary/enable', {});
  });

  after(async () => {
    await Promise.all([primary?.stop(), secondary?.stop()]);
  });

  it('refuses a performance activation token on DR enable and a DR token on performance enable, changing nothing', async () => {
    const perfToken = (await ok(primary, 'POST', 'sys/replication/performance/primary/secondary-token', { id: 'perf-1' })).wrap_info.token as string;
    const drToken = (await ok(primary, 'POST', 'sys/replication/dr/primary/secondary-token', { id: 'dr-wrong' })).wrap_info.token as string;
    const wrongDr = await secondary.request('POST', 'sys/replication/dr/secondary/enable', { body: { token: perfToken } });
    expect(wrongDr.status, wrongDr.text).to.equal(400);
    expect(wrongDr.body.errors[0]).to.match(/performance secondary activation token/);
    const wrongPerf = await secondary.request('POST', 'sys/replication/performance/secondary/enable', { body: { token: drToken } });
    expect(wrongPerf.status, wrongPerf.text).to.equal(400);
    expect(wrongPerf.body.errors[0]).to.match(/DR secondary activation token/);
    const status = (await secondary.request('GET', 'sys/replication/status', { token: null })).body.data;
    expect(status.dr.mode).to.equal('disabled');
    expect(status.performance.mode).to.equal('disabled');
    // The secondary's own root token still works: nothing was wiped.
    expect((await secondary.request('GET', 'sys/mounts')).status).to.equal(200);
  });

  it("once a DR secondary, refuses a KV read, a login and a write with Vault's error, and answers status and health", async () => {
    const drToken = (await ok(primary, 'POST', 'sys/replication/dr/primary/secondary-token', { id: 'dr-1' })).wrap_info.token as string;
    await ok(secondary, 'POST', 'sys/replication/dr/secondary/enable', { token: drToken });
    secondary.unsealKeys = primary.unsealKeys;
    secondary.unsealThreshold = primary.unsealThreshold;
    await waitFor(async () => (await secondary.request('GET', 'sys/replication/dr/status', { token: null })).body.data?.state === 'stream-wals', {
      timeoutMs: 20_000,
      description: 'the DR secondary to stream WALs',
    });

    const read = await secondary.request('GET', 'secret/data/app', { token: primary.rootToken });
    const login = await secondary.request('POST', 'auth/userpass/login/alice', { token: null, body: { password: 'alice-pass-77' } });
    const write = await secondary.request('POST', 'secret/data/app', { token: primary.rootToken, body: { data: { password: 'x' } } });
    const lookupSelf = await secondary.request('GET', 'auth/token/lookup-self', { token: primary.rootToken });
    const mounts = await secondary.request('GET', 'sys/mounts', { token: primary.rootToken });
    for (const [what, res] of Object.entries({ read, login, write, lookupSelf, mounts })) {
      expect(res.status, `${what}: ${res.text}`).to.equal(400);
      expect(res.body, what).to.deep.equal({ errors: [REFUSAL] });
      expect(res.text, `${what} must not echo the secret`).not.to.contain('dr-refusal-pw');
    }

    const health = await secondary.request('GET', 'sys/health', { token: null });
    expect(health.status).to.equal(472);
    expect(health.body.replication_dr_mode).to.equal('secondary');
    expect(health.body.replication_performance_mode).to.equal('disabled');
    expect((await secondary.request('GET', 'sys/health?drsecondarycode=200', { token: null })).status).to.equal(200);
    expect((await secondary.request('GET', 'sys/seal-status', { token: null })).status).to.equal(200);

    const combined = (await secondary.request('GET', 'sys/replication/status', { token: null })).body.data;
    expect(combined.dr.mode).to.equal('secondary');
    expect(combined.performance.mode).to.equal('disabled');
    const drStatus = (await secondary.request('GET', 'sys/replication/dr/status', { token: null })).body.data;
    expect(drStatus.mode).to.equal('secondary');
    expect(drStatus.known_primary_cluster_addrs).to.have.length(1);
    // The primary lists its DR secondaries (every token issued) apart from its performance ones.
    const primaryStatus = (await primary.request('GET', 'sys/replication/status', { token: null })).body.data;
    expect(primaryStatus.dr.known_secondaries).to.deep.equal(['dr-1', 'dr-wrong']);
    expect(primaryStatus.dr.secondaries.find((s: { node_id: string }) => s.node_id === 'dr-1').connection_status).to.equal('connected');
    // Revocation is per type: a DR secondary's id means nothing to the performance paths.
    const crossRevoke = await primary.request('POST', 'sys/replication/performance/primary/revoke-secondary', { body: { id: 'dr-wrong' } });
    expect(crossRevoke.status, crossRevoke.text).to.equal(400);
    await ok(primary, 'POST', 'sys/replication/dr/primary/revoke-secondary', { id: 'dr-wrong' });
    expect((await primary.request('GET', 'sys/replication/dr/status', { token: null })).body.data.known_secondaries).to.deep.equal(['dr-1']);
    expect(primaryStatus.performance.known_secondaries).to.deep.equal(['perf-1']);

    // DR operation paths answer, and refuse a missing or wrong operation token with a 400.
    const noToken = await secondary.request('POST', 'sys/replication/dr/secondary/promote', { token: null, body: {} });
    expect(noToken.status, noToken.text).to.equal(400);
    const badToken = await secondary.request('POST', 'sys/replication/dr/secondary/promote', { token: null, body: { dr_operation_token: 'hvs.not-a-token' } });
    expect(badToken.status, badToken.text).to.equal(400);
    expect(badToken.body.errors[0]).to.equal('invalid DR operation token');
    const attempt = await secondary.request('GET', 'sys/replication/dr/secondary/generate-operation-token/attempt', { token: null });
    expect(attempt.status, attempt.text).to.equal(200);
    expect(attempt.body.started).to.equal(false);
    expect(attempt.body.required).to.equal(2);
  });

  it('the ferry CLI drives the DR paths through its generic read and write commands', async () => {
    assertCliBuilt();
    const status = await runFerry(['read', '-format=json', 'sys/replication/dr/status'], { addr: secondary.addr });
    expect(status.code, status.stderr).to.equal(0);
    expect(JSON.parse(status.stdout).data.mode).to.equal('secondary');
    const token = await runFerry(['write', '-format=json', 'sys/replication/dr/primary/secondary-token', 'id=dr-cli'], {
      addr: primary.addr,
      token: primary.rootToken,
    });
    expect(token.code, token.stderr).to.equal(0);
    expect(JSON.parse(token.stdout).wrap_info.token).to.be.a('string');
    const refused = await runFerry(['write', 'sys/replication/dr/secondary/promote', 'dr_operation_token=hvs.wrong'], { addr: secondary.addr });
    expect(refused.code).to.equal(2);
    expect(refused.stderr).to.contain('invalid DR operation token');
  });
});
